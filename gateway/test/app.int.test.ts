import { verify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { openReferenceDatabase, signInTo, TEST_REDIS_URL } from './services.ts';

const config = gatewayEnvSchema.parse({});
const logger = createLogger('silent', 'gateway');

describe('gateway against real PostgreSQL and Redis', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  // A Redis client pointed at a closed port: the health check must report it down.
  const deadRedis = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  deadRedis.on('error', () => undefined);

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await redis.connect();
  });

  afterAll(async () => {
    redis.disconnect();
    deadRedis.disconnect();
    await db?.close();
    await drop?.();
  });

  it('answers /healthz 200 with every dependency up', async () => {
    const app = await buildApp({ config, db, redis, logger });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      service: 'gateway',
      status: 'ok',
      protocolVersion: 1,
      checks: { database: { ok: true, detail: 'postgres' }, redis: { ok: true } },
    });
    await app.close();
  });

  it('answers /healthz 503 naming Redis when Redis is down', async () => {
    const app = await buildApp({ config, db, redis: deadRedis, logger });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      checks: { database: { ok: true }, redis: { ok: false } },
    });
    await app.close();
  });

  it('answers unknown routes with a stable error code and allows only configured origins', async () => {
    const app = await buildApp({ config, db, redis, logger });
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'not_found:route', message: 'no such route' });
    const allowed = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'http://127.0.0.1:3000' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://127.0.0.1:3000');
    const other = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'http://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });

  it('serves its OpenAPI document, one operation per route it serves', async () => {
    const config = gatewayEnvSchema.parse({});
    const app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { tags: string[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths['/api/cameras/{id}/live'] ?? {})).toEqual(['post']);
    expect(doc.paths['/api/walls/{id}/commands']?.post?.tags).toEqual(['walls']);
    expect(doc.paths['/api/cameras']?.get).toBeDefined();
    await app.close();
  });

  it('loads the demo data once and keeps it on the next start', async () => {
    const opts = { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 8, password: 'demo-password-123' };
    const first = await seedDemo(db, opts);
    expect(first).toMatchObject({ created: true, users: 13, cameras: 324 });
    const second = await seedDemo(db, { ...opts, rtspUrl: 'rtsp://127.0.0.1:28554' });
    expect(second).toMatchObject({ created: false, users: 13, cameras: 324 });
    // The simulated source follows the RTSP server to its new address; nothing else changed.
    const src = await db.query<{ base: string }>(
      `SELECT connection->>'baseUrl' AS base FROM source_systems WHERE (connection->>'simulated')::boolean`,
    );
    expect(src.rows).toEqual([{ base: 'rtsp://127.0.0.1:28554' }]);
    const user = await db.query<{ password_hash: string; clearance: number }>(
      `SELECT password_hash, clearance FROM users WHERE username = 'tianning.staff'`,
    );
    expect(user.rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verify(user.rows[0]?.password_hash ?? '', 'demo-password-123')).toBe(true);
    expect(user.rows[0]?.clearance).toBe(2);
    // A database made by an older demo (a user missing) gets it back; a new demo password
    // (WALL_DEMO_PASSWORD changed) reaches every demo user; cameras are not touched.
    await db.query(`DELETE FROM users WHERE username = 'wujin.eoc'`);
    const third = await seedDemo(db, { ...opts, password: 'another-demo-password' });
    expect(third).toMatchObject({ created: false, users: 13, cameras: 324 });
    // The demo walls, once each, owned by their command rooms.
    const walls = await db.query<{ name: string; org: string; layout: string }>(
      `SELECT w.name, o.name AS org, w.layout FROM walls w JOIN organisations o ON o.id = w.owner_org_id ORDER BY w.name`,
    );
    expect(walls.rows).toHaveLength(5);
    expect(walls.rows).toContainEqual({
      name: '市应急指挥中心 主屏',
      org: '常州市应急管理局指挥中心',
      layout: '9',
    });
    const hashes = await db.query<{ username: string; password_hash: string }>(
      `SELECT username, password_hash FROM users WHERE username IN ('wujin.eoc', 'admin') ORDER BY username`,
    );
    expect(hashes.rows.map((r) => r.username)).toEqual(['admin', 'wujin.eoc']);
    for (const r of hashes.rows) expect(await verify(r.password_hash, 'another-demo-password')).toBe(true);
    const perDistrict = await db.query<{ district_code: string; n: string }>(
      'SELECT district_code, count(*)::text AS n FROM cameras GROUP BY 1 ORDER BY 1',
    );
    expect(perDistrict.rows.map((r) => r.district_code)).toEqual([
      '320402',
      '320404',
      '320411',
      '320412',
      '320413',
      '320481',
    ]);
  });
});

describe('GET /api/audit/verify on PostgreSQL: walked by worker threads, tampering found', () => {
  const password = 'verify-demo-password-1';
  const origin = 'http://127.0.0.1:3000';
  let db: Db;
  let drop: () => Promise<void>;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    const temp = await openReferenceDatabase();
    ({ db, drop } = temp);
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 0, password });
    await redis.connect();
    const config = gatewayEnvSchema.parse({ DATABASE_URL: temp.url, AUDIT_VERIFY_WORKERS: '2' });
    app = await buildApp({ config, db, redis, logger });
  });
  let app: Awaited<ReturnType<typeof buildApp>>;

  afterAll(async () => {
    await app?.close();
    redis.disconnect();
    await db?.close();
    await drop?.();
  });

  it('reports the first altered entry, and a clean chain once it is put back', async () => {
    // Sign-ins are audited: a few entries to walk.
    for (const u of ['eoc.operator', 'police.dispatcher', 'wujin.eoc'])
      await signInTo(app, origin, u, password);
    const auditor = await signInTo(app, origin, 'auditor', password);
    const verify = async () =>
      (await app.inject({ url: '/api/audit/verify', headers: { cookie: `wall_sid=${auditor.sid}` } })).json();
    const total = Number(
      (await db.query<{ n: string }>('SELECT max(seq)::text AS n FROM audit_log')).rows[0]?.n,
    );
    expect(total).toBeGreaterThanOrEqual(4);
    expect(await verify()).toEqual({ ok: true, entries: total });
    // A superuser with the triggers off rewrites who signed in.
    const asSuperuser = (sql: string) =>
      db.transaction(async (tx) => {
        await tx.exec('SET LOCAL session_replication_role = replica');
        await tx.exec(sql);
      });
    const original = (await db.query<{ n: string }>('SELECT actor_name AS n FROM audit_log WHERE seq = 2'))
      .rows[0]?.n;
    await asSuperuser(`UPDATE audit_log SET actor_name = 'nobody' WHERE seq = 2`);
    expect(await verify()).toEqual({ ok: false, brokenAt: 2, entries: 1, why: 'hash' });
    await asSuperuser(`UPDATE audit_log SET actor_name = '${original}' WHERE seq = 2`);
    // Each verify wrote its verdict to the chain, after the walk: two more entries now.
    expect(await verify()).toEqual({ ok: true, entries: total + 2 });
    const verdicts = await db.query<{ seq: string; result: string; reason: string | null; detail: unknown }>(
      `SELECT seq::text, result, reason, detail FROM audit_log WHERE action = 'audit.verify' ORDER BY seq`,
    );
    expect(verdicts.rows).toEqual([
      { seq: String(total + 1), result: 'ok', reason: null, detail: { ok: true, entries: total } },
      {
        seq: String(total + 2),
        result: 'ok',
        reason: 'chain broken at 2 (hash)',
        detail: { ok: false, brokenAt: 2, entries: 1, why: 'hash' },
      },
      { seq: String(total + 3), result: 'ok', reason: null, detail: { ok: true, entries: total + 2 } },
    ]);
  });
});
