// POST /api/cameras/:id/live up to the token, over real HTTP (session cookie, CSRF, policy, audit
// group commit, placement from Redis, ensure-ingest, EdDSA token). The media node is the one
// stand-in: an HTTP server answering ensure-ingest at once, registered in Redis like a real node.
// The gateway runs on the main thread alone; the client and the stand-in node run on worker threads.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
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
  // The stand-in node runs on a worker thread too: a real node is another process.
  const node = new Worker(NODE, { eval: true, workerData: { nodeId } });
  const nodePort = await new Promise<number>((resolve, reject) => {
    node.once('message', (m: { port: number }) => resolve(m.port));
    node.once('error', reject);
  });
  const nodeUrl = `http://127.0.0.1:${nodePort}`;
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
    // The client runs on a worker thread: its own event loop and heap, so its JSON, fetch and
    // garbage collection do not pause the gateway being measured (as a browser would not).
    const load = (concurrency: number, n: number) =>
      runClient({ base, origin: ORIGIN, cookie, csrfToken, cameras, concurrency, n, warm: 100 });
    await load(1, 200); // warm-up: JIT, connections, caches
    const out: Record<string, unknown> = { targetP99Ms: TARGET_P99_MS, cameras: cameras.length };
    for (const concurrency of [1, 8, 32]) {
      const n = concurrency === 1 ? 3000 : 4000;
      const { lat, seconds } = await load(concurrency, n);
      const q = quantiles(lat);
      const rate = Math.round(n / seconds);
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
    const ensures = await new Promise<number>((resolve) => {
      node.once('message', (m: { ensures: number }) => resolve(m.ensures));
      node.postMessage('count');
    });
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
    await node.terminate();
    await world.drop();
  }
}

interface ClientJob {
  base: string;
  origin: string;
  cookie: string;
  csrfToken: string;
  cameras: string[];
  concurrency: number;
  n: number;
  /** Requests sent before timing starts. */
  warm: number;
}

// The media node's ensure-ingest, answered at once; posts its port, then the count when asked.
const NODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:http');
let ensures = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    ensures++;
    const r = JSON.parse(body);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      cameraId: r.cameraId, profile: r.profile, node: workerData.nodeId, state: 'live',
      transcoded: false, bitrateKbps: 2000, fps: 25, viewers: 1, startedAt: Date.now(),
      timeline: {}, restarts: 0,
    }));
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => parentPort.postMessage({ ensures }));
`;

// Plain JavaScript, evaluated by the worker: `concurrency` loops pull cameras in turn over kept-alive
// connections (node:http, lighter than fetch), each request timed from send to the parsed token; a
// failed request fails the run.
const CLIENT = `
const { parentPort, workerData: j } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: j.concurrency });
const base = new URL(j.base);
const pull = (i) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const body = JSON.stringify({ profile: i % 2 ? 'main' : 'sub' });
  const req = http.request({
    host: base.hostname, port: base.port, method: 'POST', agent,
    path: '/api/cameras/' + j.cameras[i % j.cameras.length] + '/live',
    headers: { origin: j.origin, cookie: j.cookie, 'x-csrf-token': j.csrfToken,
      'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { text += c; });
    res.on('end', () => {
      const out = JSON.parse(text);
      if (res.statusCode !== 200 || !out.token) reject(new Error('live ' + res.statusCode + ' ' + text));
      else resolve(performance.now() - t0);
    });
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  const lat = [];
  // Untimed first: this worker's connections and JIT.
  let next = 0;
  await Promise.all(Array.from({ length: j.concurrency }, async () => {
    while (next < j.warm) await pull(next++);
  }));
  next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: j.concurrency }, async () => {
    while (next < j.n) lat.push(await pull(next++));
  }));
  parentPort.postMessage({ lat, seconds: (performance.now() - t0) / 1000 });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

function runClient(job: ClientJob): Promise<{ lat: number[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CLIENT, { eval: true, workerData: job });
    w.once('message', (m: { lat: number[]; seconds: number } | { error: string }) => {
      void w.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    w.once('error', reject);
  });
}
