// POST /api/cameras/:id/live up to the token, over real HTTP (session cookie, CSRF, policy, audit
// group commit, placement from Redis, ensure-ingest, EdDSA token). The media node is the one
// stand-in: an HTTP server answering ensure-ingest at once, registered in Redis like a real node.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { buildApp } from '../../gateway/src/app.ts';
import { gatewayEnvSchema } from '../../gateway/src/config.ts';
import { createLogger } from '../../gateway/src/lib/logger.ts';
import { DEMO_PASSWORD, freshDatabase, quantiles, REDIS_URL } from './setup.ts';

const ORIGIN = 'http://127.0.0.1:3000';
const TARGET_P99_MS = 15;

export async function runLive(print: (s: string) => void): Promise<Record<string, unknown>> {
  print('live: POST /api/cameras/:id/live up to the token (media node stood in)');
  const world = await freshDatabase();
  const redis = new Redis(REDIS_URL);
  const nodeId = `bench-${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  let ensures = 0;
  const node = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      ensures++;
      const r = JSON.parse(body) as { cameraId: string; profile: 'main' | 'sub' };
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          cameraId: r.cameraId,
          profile: r.profile,
          node: nodeId,
          state: 'live',
          transcoded: false,
          bitrateKbps: 2000,
          fps: 25,
          viewers: 1,
          startedAt: Date.now(),
          timeline: {},
          restarts: 0,
        }),
      );
    });
  });
  await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
  const nodeUrl = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
  const beat = async () => {
    await redis.set(
      `media:node:${nodeId}`,
      JSON.stringify({
        id: nodeId,
        publicUrl: nodeUrl,
        controlUrl: nodeUrl,
        workers: 1,
        streams: 0,
        consumers: 0,
        load: 0,
        heartbeatAt: Date.now(),
      }),
    );
    await redis.sadd('media:nodes', nodeId);
  };
  await beat();
  const heartbeat = setInterval(() => void beat(), 2000);
  const config = gatewayEnvSchema.parse({
    STREAM_TOKEN_PUBLIC_KEY: jwk.x,
    STREAM_TOKEN_PRIVATE_KEY: jwk.d,
    MEDIA_CONTROL_SECRET: secret,
    WEB_ORIGINS: ORIGIN,
  });
  const app = await buildApp({ config, db: world.db, redis, logger: createLogger('silent', 'gateway') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'eoc.operator', password: DEMO_PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login ${login.status}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cameras = (
      await world.db.query<{ id: string }>(
        `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
          WHERE s.funding = 'government' AND c.state IN ('accepted', 'in_service') AND c.grade <= 3 ORDER BY c.id`,
      )
    ).rows.map((r) => r.id);
    const pull = async (i: number): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/cameras/${cameras[i % cameras.length]}/live`, {
        method: 'POST',
        headers: { origin: ORIGIN, cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ profile: i % 2 ? 'main' : 'sub' }),
      });
      const body = (await res.json()) as { token?: string };
      if (res.status !== 200 || !body.token) throw new Error(`live ${res.status} ${JSON.stringify(body)}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 200; i++) await pull(i); // warm-up: JIT, connections, caches
    const out: Record<string, unknown> = { targetP99Ms: TARGET_P99_MS, cameras: cameras.length };
    for (const concurrency of [1, 8, 32]) {
      const n = concurrency === 1 ? 2000 : 4000;
      const lat: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) lat.push(await pull(next++));
        }),
      );
      const s = (performance.now() - t0) / 1000;
      const q = quantiles(lat);
      const rate = Math.round(n / s);
      out[`concurrency${concurrency}`] = { ...q, requestsPerS: rate };
      print(
        `  ${String(concurrency).padStart(2)} in flight: p50 ${q.p50} ms, p95 ${q.p95} ms, p99 ${q.p99} ms, ${rate} req/s` +
          ` (p99 target ${TARGET_P99_MS} ms: ratio ${(q.p99 / TARGET_P99_MS).toFixed(2)})`,
      );
    }
    const audited = Number(
      (
        await world.db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM audit_log WHERE action = 'stream.token'`,
        )
      ).rows[0]?.n,
    );
    out.ensureIngestCalls = ensures;
    out.tokensAudited = audited;
    print(`  ${ensures} ensure-ingest calls, ${audited} token issues audited`);
    return out;
  } finally {
    clearInterval(heartbeat);
    await app.close();
    await redis.srem('media:nodes', nodeId);
    await redis.del(`media:node:${nodeId}`);
    redis.disconnect();
    node.close();
    await world.drop();
  }
}
