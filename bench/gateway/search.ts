// Camera search with 100 000 cameras over real HTTP (session, policy pushdown + decide() gate):
// radius 2 km around random points of the city and bounding boxes of about 4 × 4 km, for a city
// user (everything in scope) and a district user; plus the map list a city user loads.
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { buildApp } from '../../gateway/src/app.ts';
import { gatewayEnvSchema } from '../../gateway/src/config.ts';
import { createLogger } from '../../gateway/src/lib/logger.ts';
import { DEMO_PASSWORD, freshDatabase, growCameras, quantiles, REDIS_URL } from './setup.ts';

const ORIGIN = 'http://127.0.0.1:3000';
const TOTAL = Number(process.env.SEARCH_CAMERAS ?? 100_000);
const TARGET_P95_MS = 20;
const RUNS = 400;

export async function runSearch(print: (s: string) => void): Promise<Record<string, unknown>> {
  print(`search: ${TOTAL.toLocaleString('en')} cameras, over HTTP`);
  const world = await freshDatabase();
  const redis = new Redis(REDIS_URL);
  const growMs = await growCameras(world.db, TOTAL);
  print(`  (made ${TOTAL.toLocaleString('en')} cameras in ${(growMs / 1000).toFixed(1)} s)`);
  const config = gatewayEnvSchema.parse({ WEB_ORIGINS: ORIGIN });
  const app = await buildApp({ config, db: world.db, redis, logger: createLogger('silent', 'gateway') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const signIn = async (username: string) => {
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: DEMO_PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
      return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    };
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    // Points in the urban core (Tianning / Zhonglou / Xinbei / Wujin), where cameras are dense.
    const point = () => [119.9 + rnd() * 0.12, 31.72 + rnd() * 0.12] as const;
    const measure = async (cookie: string, query: () => string) => {
      const lat: number[] = [];
      let items = 0;
      for (let i = 0; i < RUNS + 20; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/cameras?${query()}`, { headers: { cookie } });
        const body = (await res.json()) as { items?: unknown[] };
        if (res.status !== 200) throw new Error(`search ${res.status} ${JSON.stringify(body)}`);
        if (i >= 20) {
          lat.push(performance.now() - t0);
          items += body.items?.length ?? 0;
        }
      }
      return { ...quantiles(lat), meanItems: Math.round(items / RUNS) };
    };
    const out: Record<string, unknown> = { cameras: TOTAL, targetP95Ms: TARGET_P95_MS, runs: RUNS };
    for (const username of ['eoc.operator', 'tianning.staff']) {
      const cookie = await signIn(username);
      const radius = await measure(cookie, () => {
        const [lon, lat] = point();
        return `near=${lon.toFixed(5)},${lat.toFixed(5)}&radiusM=2000`;
      });
      const bbox = await measure(cookie, () => {
        const [lon, lat] = point();
        return `bbox=${lon.toFixed(5)},${lat.toFixed(5)},${(lon + 0.042).toFixed(5)},${(lat + 0.036).toFixed(5)}`;
      });
      out[username] = { radius2km: radius, bbox4km: bbox };
      for (const [name, q] of [
        ['radius 2 km', radius],
        ['bbox ~4 km', bbox],
      ] as const) {
        print(
          `  ${username.padEnd(15)} ${name.padEnd(12)} p50 ${q.p50} ms, p95 ${q.p95} ms, p99 ${q.p99} ms, ${q.meanItems} results/page ` +
            `(p95 target ${TARGET_P95_MS} ms: ratio ${(q.p95 / TARGET_P95_MS).toFixed(2)})`,
        );
      }
    }
    // The map list for a city user (no target; the web map loads it once).
    const cookie = await signIn('eoc.operator');
    const mapMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/cameras/geojson?format=compact`, { headers: { cookie } });
      bytes = (await res.arrayBuffer()).byteLength;
      mapMs.push(performance.now() - t0);
    }
    const m = quantiles(mapMs);
    out.mapListCompact = { ...m, bytes };
    print(`  map list (compact, city user): p50 ${m.p50} ms, ${(bytes / 1e6).toFixed(1)} MB`);
    return out;
  } finally {
    await app.close();
    redis.disconnect();
    await world.drop();
  }
}
