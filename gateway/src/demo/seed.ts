import { hash, verify } from '@node-rs/argon2';
import type { Db, Queryable } from '../db/index.ts';
import { type DemoData, generateDemoData } from './generate.ts';

export const DEMO_SEED_NAME = 'changzhou-demo-v1';

/** The demo's walls: one per command room that uses one. */
export const DEMO_WALLS = [
  { orgKey: 'city-eoc', name: '市应急指挥中心 主屏', layout: '9' },
  { orgKey: 'city-police', name: '市公安局 110 指挥大屏', layout: '16' },
  { orgKey: 'admin-320402', name: '天宁区城管 值班屏', layout: '4' },
  { orgKey: 'eoc-320412', name: '武进区应急 值班屏', layout: '4' },
  { orgKey: 'police-320412', name: '武进分局 指挥屏', layout: '1+5' },
] as const;

export interface SeedDemoOptions {
  rtspUrl: string;
  simulatedCameras: number;
  password: string;
  /**
   * Cameras of a second simulator that burns the wall-clock into every frame (`rtsp-sim.py
   * --time-strip`): a source of their own (`connection.timeStrip`), added on any start when asked.
   */
  timeStrip?: { rtspUrl: string; cameras: number };
}

/** The source of the time-strip cameras (see `SeedDemoOptions.timeStrip`). */
export const TIME_STRIP_SOURCE_NAME = '时间条模拟摄像机';

export interface SeedResult {
  created: boolean;
  orgs: number;
  users: number;
  sources: number;
  cameras: number;
  demoUsers: DemoData['users'];
}

/**
 * Loads the Changzhou demo data set once, in one transaction. Later starts keep what is there and
 * only point the simulated source at the current RTSP server address.
 */
export async function seedDemo(db: Db, options: SeedDemoOptions): Promise<SeedResult> {
  const data = generateDemoData({ simulatedCameras: options.simulatedCameras });
  // Users missing from this database (all on a first start; the ones a newer demo added on a
  // database made by an older one). Only they are hashed: argon2id is deliberately slow.
  const existing = new Set(
    (
      await db.query<{ username: string }>('SELECT username FROM users WHERE username = ANY($1)', [
        data.users.map((u) => u.username),
      ])
    ).rows.map((r) => r.username),
  );
  // The demo has one password (WALL_DEMO_PASSWORD or the kept random one): when it changed since
  // the users were made, every demo user gets the new one (checked on one user, argon2id verify).
  const sample = await db.query<{ password_hash: string }>(
    'SELECT password_hash FROM users WHERE username = ANY($1) LIMIT 1',
    [data.users.map((u) => u.username)],
  );
  const stale = sample.rows[0] ? !(await verify(sample.rows[0].password_hash, options.password)) : false;
  const missing = data.users.filter((u) => stale || !existing.has(u.username));
  const hashes = await Promise.all(missing.map(() => hash(options.password)));
  return db.transaction(async (tx) => {
    const done = await tx.query('SELECT 1 FROM seeds WHERE name = $1', [DEMO_SEED_NAME]);
    // Organisations and users are added every start when missing (by their unique name), so a
    // database made by an earlier demo gets the current demo users without losing its data.
    for (const o of data.orgs) {
      await tx.query(
        `INSERT INTO organisations (name, tier, district_code, department_kind, sector)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
        [o.name, o.tier, o.districtCode, o.departmentKind, o.sector],
      );
    }
    const byName = new Map(
      (
        await tx.query<{ id: string; name: string }>(
          'SELECT id, name FROM organisations WHERE name = ANY($1)',
          [data.orgs.map((o) => o.name)],
        )
      ).rows.map((r) => [r.name, r.id]),
    );
    const orgIds = new Map(data.orgs.map((o) => [o.key, byName.get(o.name) ?? '']));
    for (const [i, u] of missing.entries()) {
      await tx.query(
        `INSERT INTO users (org_id, username, display_name, password_hash, roles, clearance, work_id,
                            county_police_certificate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
        [
          orgIds.get(u.orgKey),
          u.username,
          u.displayName,
          hashes[i],
          u.roles,
          u.clearance,
          u.workId,
          u.countyPoliceCertificate,
        ],
      );
    }
    // One wall per command room, added when missing (by org and name).
    for (const w of DEMO_WALLS) {
      const orgId = orgIds.get(w.orgKey);
      if (!orgId) continue;
      await tx.query(
        `INSERT INTO walls (name, owner_org_id, layout)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM walls WHERE owner_org_id = $2 AND name = $1)`,
        [w.name, orgId, w.layout],
      );
    }
    if (done.rows.length === 0) {
      const sourceIds = new Map<string, string>();
      for (const s of data.sources) {
        const connection = s.simulated
          ? { baseUrl: options.rtspUrl }
          : { baseUrl: `rtsp://nvr.${s.key}.invalid:554` };
        const r = await tx.query<{ id: string }>(
          `INSERT INTO source_systems (name, kind, owner_org_id, funding, connection)
           VALUES ($1, 'rtsp', $2, $3, $4) RETURNING id`,
          [
            s.name,
            orgIds.get(s.ownerOrgKey),
            s.funding,
            JSON.stringify({ ...connection, simulated: s.simulated }),
          ],
        );
        sourceIds.set(s.key, r.rows[0]?.id ?? '');
      }
      const rows = data.cameras.map((c) => ({
        source_id: sourceIds.get(c.sourceKey),
        external_id: c.externalId,
        name: c.name,
        lon: c.lon,
        lat: c.lat,
        district_code: c.districtCode,
        site_category: c.siteCategory,
        location_kind: c.locationKind,
        grade: c.grade,
        state: c.state,
        installer: c.installer,
        profiles: { main: { path: `/${c.externalId}/main` }, sub: { path: `/${c.externalId}/sub` } },
      }));
      await tx.query(
        `INSERT INTO cameras (source_id, external_id, name, lon, lat, district_code, site_category,
                              location_kind, grade, state, installer, profiles)
         SELECT source_id, external_id, name, lon, lat, district_code, site_category, location_kind,
                grade, state, installer, profiles
           FROM jsonb_to_recordset($1::jsonb) AS r(source_id uuid, external_id text, name text,
                lon float8, lat float8, district_code text, site_category text, location_kind text,
                grade smallint, state text, installer text, profiles jsonb)`,
        [JSON.stringify(rows)],
      );
      await tx.query('INSERT INTO seeds (name, detail) VALUES ($1, $2)', [
        DEMO_SEED_NAME,
        JSON.stringify({ cameras: rows.length, simulated: options.simulatedCameras }),
      ]);
    }
    await tx.query(
      `UPDATE source_systems SET connection = jsonb_set(connection, '{baseUrl}', to_jsonb($1::text))
        WHERE (connection->>'simulated')::boolean`,
      [options.rtspUrl],
    );
    if (options.timeStrip && options.timeStrip.cameras > 0) {
      await seedTimeStrip(tx, options.timeStrip, data.orgs.find((o) => o.key === 'city-police')?.name ?? '');
    }
    const count = async (table: string) =>
      Number((await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]?.n ?? 0);
    return {
      created: done.rows.length === 0,
      orgs: await count('organisations'),
      users: await count('users'),
      sources: await count('source_systems'),
      cameras: await count('cameras'),
      demoUsers: data.users,
    };
  });
}

/**
 * The time-strip cameras cam01…camNN of their own simulated source (city police, government, road
 * cameras in 天宁区, in service): the source is made once by name and pointed at the current
 * simulator; missing cameras are added.
 */
async function seedTimeStrip(tx: Queryable, strip: { rtspUrl: string; cameras: number }, ownerOrg: string) {
  const connection = JSON.stringify({ baseUrl: strip.rtspUrl, simulated: true, timeStrip: true });
  const found = await tx.query<{ id: string }>('SELECT id FROM source_systems WHERE name = $1', [
    TIME_STRIP_SOURCE_NAME,
  ]);
  let sourceId = found.rows[0]?.id;
  if (sourceId) {
    await tx.query('UPDATE source_systems SET connection = $2 WHERE id = $1', [sourceId, connection]);
  } else {
    const made = await tx.query<{ id: string }>(
      `INSERT INTO source_systems (name, kind, owner_org_id, funding, connection)
       SELECT $1, 'rtsp', id, 'government', $2 FROM organisations WHERE name = $3 RETURNING id`,
      [TIME_STRIP_SOURCE_NAME, connection, ownerOrg],
    );
    sourceId = made.rows[0]?.id;
  }
  if (!sourceId) throw new Error(`demo: no organisation ${ownerOrg} for the time-strip cameras`);
  for (let i = 1; i <= strip.cameras; i++) {
    const id = `cam${String(i).padStart(2, '0')}`;
    // Along 延陵西路 in central 天宁区, 100 m apart.
    await tx.query(
      `INSERT INTO cameras (source_id, external_id, name, lon, lat, district_code, site_category,
                            location_kind, grade, state, installer, profiles)
       VALUES ($1, $2, $3, $4, $5, '320402', 'transport', 'road', 1, 'in_service', '常州安防工程有限公司', $6)
       ON CONFLICT (source_id, external_id) DO NOTHING`,
      [
        sourceId,
        id,
        `天宁区时间条模拟${String(i).padStart(3, '0')}`,
        119.9585 + i * 0.001,
        31.7795,
        JSON.stringify({ main: { path: `/${id}/main` }, sub: { path: `/${id}/sub` } }),
      ],
    );
  }
}
