// The gateway benchmark's world: a fresh database on the real PostgreSQL (DATABASE_URL, default
// the local test server) with the migrations, the Changzhou reference data and the demo data set,
// optionally grown to N cameras spread over the districts; and the real Redis (REDIS_URL).
import { randomBytes } from 'node:crypto';
import { SITE_CATEGORIES } from '@wall/protocol';
import { districtAt } from '@wall/protocol/districts';
import pg from 'pg';
import { type Db, migrate, openDb } from '../../gateway/src/db/index.ts';
import { loadReferenceData } from '../../gateway/src/db/reference.ts';
import { seedDemo } from '../../gateway/src/demo/index.ts';

export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const DEMO_PASSWORD = 'bench-demo-password-1';

export interface BenchDb {
  db: Db;
  url: string;
  drop: () => Promise<void>;
}

/** A new database with the schema and the demo data; `drop()` removes it. */
export async function freshDatabase(): Promise<BenchDb> {
  const name = `wall_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(DATABASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = await openDb({ databaseUrl: url });
  await migrate(db);
  await loadReferenceData(db);
  await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:8554', simulatedCameras: 0, password: DEMO_PASSWORD });
  return {
    db,
    url,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Deterministic 0…1 generator, so every run searches the same city. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Adds cameras until the database holds `total`, at random points inside the district polygons
 * (each with the district it falls in), over every category, grade and lifecycle state, spread over
 * the demo's government and private sources. Returns how long it took.
 */
export async function growCameras(db: Db, total: number): Promise<number> {
  const t0 = performance.now();
  const have = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM cameras')).rows[0]?.n);
  const sources = (
    await db.query<{ id: string; funding: string }>('SELECT id, funding FROM source_systems ORDER BY name')
  ).rows;
  const rnd = prng(4004);
  const states = ['in_service', 'in_service', 'in_service', 'accepted', 'registered', 'removed'];
  const kinds = ['road', 'intersection', 'square', 'entrance', 'hall', 'platform'];
  let made = 0;
  const need = total - have;
  while (made < need) {
    const rows: Record<string, unknown>[] = [];
    while (rows.length < 10_000 && made + rows.length < need) {
      const lon = 119.1 + rnd() * 0.9;
      const lat = 31.15 + rnd() * 0.85;
      const district = districtAt(lon, lat);
      if (!district) continue;
      const source = sources[Math.floor(rnd() * sources.length)];
      const i = have + made + rows.length;
      rows.push({
        source_id: source?.id,
        external_id: `bench-${i}`,
        name: `基准摄像机 ${i} 号`,
        lon,
        lat,
        district_code: district,
        site_category: SITE_CATEGORIES[i % SITE_CATEGORIES.length]?.code,
        location_kind: kinds[i % kinds.length],
        grade: 1 + Math.floor(rnd() * 4),
        state: states[i % states.length],
        profiles: { main: { path: `/bench-${i}/main` }, sub: { path: `/bench-${i}/sub` } },
      });
    }
    await db.query(
      `INSERT INTO cameras (source_id, external_id, name, lon, lat, district_code, site_category,
                            location_kind, grade, state, profiles)
       SELECT source_id, external_id, name, lon, lat, district_code, site_category, location_kind,
              grade, state, profiles
         FROM jsonb_to_recordset($1::jsonb) AS r(source_id uuid, external_id text, name text,
              lon float8, lat float8, district_code text, site_category text, location_kind text,
              grade smallint, state text, profiles jsonb)`,
      [JSON.stringify(rows)],
    );
    made += rows.length;
  }
  await db.query('ANALYZE cameras');
  return performance.now() - t0;
}

export function quantiles(xs: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(q(0.5)), p95: r(q(0.95)), p99: r(q(0.99)), max: r(s.at(-1) ?? 0) };
}
