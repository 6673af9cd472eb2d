import { channelsOf } from '@wall/protocol';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCamera } from '../src/cameras/facts.ts';
import type { Db, Queryable } from '../src/db/index.ts';
import { DecisionService } from '../src/decisions/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { findUserById } from '../src/identity/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { type Subject, subjectOf } from '../src/policy/index.ts';
import { isolatedRedisUrl, openReferenceDatabase, REDIS_DB } from './services.ts';

/** Subscribes a spy; its promise resolves with the next message on the invalidation channel. */
async function nextInvalidation(redis: Redis): Promise<{ message: Promise<string> }> {
  const sub = redis.duplicate();
  const message = new Promise<string>((resolve) => {
    sub.on('message', (_c: string, m: string) => {
      resolve(m);
      sub.disconnect();
    });
  });
  await sub.subscribe(channelsOf(redis).policyInvalidate);
  return { message };
}

describe('access decisions: cached, and dropped on every gateway when something changes (real PostgreSQL + Redis)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  // A database of its own: other test files' announcements (pub/sub is scoped by database) must not
  // empty these caches while a test asserts what they hold.
  const redis = new Redis(isolatedRedisUrl(REDIS_DB.decisions), { lazyConnect: true });
  const logger = createLogger('silent', 'test');
  let a: DecisionService;
  let b: DecisionService;
  let operator: Subject;
  let govCamera: string;
  let privateCamera: { id: string; lon: number; lat: number };
  let incidentId: string;

  const userId = async (username: string) =>
    (await db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [username])).rows[0]?.id ??
    '';

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, {
      rtspUrl: 'rtsp://127.0.0.1:8554',
      simulatedCameras: 0,
      password: 'decisions-pass-1',
    });
    await redis.connect();
    // Two gateway processes: a long TTL, so only an invalidation can make them see a change.
    a = new DecisionService({ db, redis, logger }, { ttlMs: 60_000, maxEntries: 1000 });
    b = new DecisionService({ db, redis, logger }, { ttlMs: 60_000, maxEntries: 1000 });
    a.start();
    b.start();
    await a.subscribed();
    await b.subscribed();
    const u = await findUserById(db, await userId('eoc.operator'));
    if (!u) throw new Error('no eoc.operator');
    operator = subjectOf(u);
    const gov = await db.query<{ id: string }>(
      `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
        WHERE s.funding = 'government' AND c.state = 'in_service' AND c.grade = 2 ORDER BY c.external_id LIMIT 1`,
    );
    govCamera = gov.rows[0]?.id ?? '';
    const priv = await db.query<{ id: string; lon: number; lat: number }>(
      `SELECT c.id, c.lon, c.lat FROM cameras c JOIN source_systems s ON s.id = c.source_id
        WHERE s.funding = 'private' AND c.state = 'in_service' AND c.grade <= 3 ORDER BY c.external_id LIMIT 1`,
    );
    privateCamera = priv.rows[0] as { id: string; lon: number; lat: number };
    expect(govCamera).not.toBe('');
    expect(privateCamera).toBeDefined();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await a?.close(); // idempotent
    redis.disconnect();
    await db?.close();
    await drop?.();
  });

  it('decides once, then answers from the cache', async () => {
    const first = await a.decide(operator, govCamera, 'live:view');
    expect(first?.decision).toEqual({ allow: true, reason: 'allowed' });
    expect(first?.cached).toBe(false);
    const again = await a.decide(operator, govCamera, 'live:view');
    expect(again?.cached).toBe(true);
    expect(again?.decision).toEqual({ allow: true, reason: 'allowed' });
    // Another action is another decision.
    expect((await a.decide(operator, govCamera, 'catalog:read'))?.cached).toBe(false);
    expect(await a.decide(operator, '00000000-0000-4000-8000-000000000000', 'live:view')).toBeUndefined();
  });

  it('a camera change announced on one gateway reaches the other', async () => {
    await b.decide(operator, govCamera, 'live:view');
    // The grade rises above the operator's clearance 3 behind both caches' backs …
    await db.query('UPDATE cameras SET grade = 4 WHERE id = $1', [govCamera]);
    expect((await b.decide(operator, govCamera, 'live:view'))?.decision.allow).toBe(true);
    // … and the registry announces it on gateway a.
    const seen = await nextInvalidation(redis);
    await a.invalidate({ kind: 'camera', id: govCamera });
    expect(JSON.parse(await seen.message)).toEqual({ kind: 'camera', id: govCamera });
    expect((await a.decide(operator, govCamera, 'live:view'))?.decision).toEqual({
      allow: false,
      reason: 'forbidden:grade',
    });
    await expect
      .poll(async () => (await b.decide(operator, govCamera, 'live:view'))?.decision.reason)
      .toBe('forbidden:grade');
    await db.query('UPDATE cameras SET grade = 2 WHERE id = $1', [govCamera]);
    await a.invalidate({ kind: 'camera', id: govCamera });
  });

  it('an incident opened and closed moves emergency grants on every gateway (R-ACC-4)', async () => {
    expect((await b.decide(operator, privateCamera.id, 'live:view'))?.decision).toEqual({
      allow: false,
      reason: 'forbidden:private',
    });
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO incidents (title, level, lon, lat, radius_m, opened_by) VALUES ('test', 2, $1, $2, 500, $3) RETURNING id`,
      [privateCamera.lon, privateCamera.lat, operator.userId],
    );
    incidentId = rows[0]?.id ?? '';
    // Cached deny until announced.
    expect((await b.decide(operator, privateCamera.id, 'live:view'))?.cached).toBe(true);
    await a.invalidate({ kind: 'incident', id: incidentId });
    await expect
      .poll(async () => (await b.decide(operator, privateCamera.id, 'live:view'))?.decision)
      .toEqual({ allow: true, reason: 'allowed:emergency', emergency: { incidentId } });
    await db.query(`UPDATE incidents SET closed_at = now(), closed_by = opened_by WHERE id = $1`, [
      incidentId,
    ]);
    await a.invalidate({ kind: 'incident', id: incidentId });
    await expect
      .poll(async () => (await b.decide(operator, privateCamera.id, 'live:view'))?.decision.reason)
      .toBe('forbidden:private');
  });

  it('an emergency grant ends at the set maximum even while its incident stays open (R-ACC-4)', async () => {
    const HOUR = 3_600_000;
    const capped = new DecisionService(
      { db, redis, logger },
      { ttlMs: 0, maxEntries: 100, emergencyGrantMaxMs: 72 * HOUR },
    );
    const uncapped = new DecisionService({ db, redis, logger }, { ttlMs: 0, maxEntries: 100 });
    const open = async (hoursAgo: number) => {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO incidents (title, level, lon, lat, radius_m, opened_by, opened_at)
         VALUES ('long', 1, $1, $2, 500, $3, now() - make_interval(hours => $4)) RETURNING id`,
        [privateCamera.lon, privateCamera.lat, operator.userId, hoursAgo],
      );
      return rows[0]?.id ?? '';
    };
    const close = (id: string) =>
      db.query(`UPDATE incidents SET closed_at = now(), closed_by = opened_by WHERE id = $1`, [id]);
    try {
      const old = await open(73);
      expect((await capped.decide(operator, privateCamera.id, 'live:view'))?.decision).toEqual({
        allow: false,
        reason: 'forbidden:private',
      });
      expect((await capped.freshIncidents()).find((i) => i.id === old)?.closedAt).toEqual(
        new Date(
          new Date(
            (await db.query<{ t: Date }>('SELECT opened_at AS t FROM incidents WHERE id = $1', [old])).rows[0]
              ?.t ?? 0,
          ).getTime() +
            72 * HOUR,
        ),
      );
      // Without a maximum only closing ends it.
      expect((await uncapped.decide(operator, privateCamera.id, 'live:view'))?.decision).toEqual({
        allow: true,
        reason: 'allowed:emergency',
        emergency: { incidentId: old },
      });
      await close(old);
      const recent = await open(71);
      expect((await capped.decide(operator, privateCamera.id, 'live:view'))?.decision).toEqual({
        allow: true,
        reason: 'allowed:emergency',
        emergency: { incidentId: recent },
      });
      await close(recent);
      expect((await capped.decide(operator, privateCamera.id, 'live:view'))?.decision.reason).toBe(
        'forbidden:private',
      );
    } finally {
      await capped.close();
      await uncapped.close();
    }
  });

  it('a cached emergency allow is not kept past its grant’s end, however long the cache TTL', async () => {
    const HOUR = 3_600_000;
    const capped = new DecisionService(
      { db, redis, logger },
      { ttlMs: 60_000, maxEntries: 100, emergencyGrantMaxMs: 72 * HOUR },
    );
    // Opened 72 h less 30 s ago: the grant has 30 s left, the cache would keep an entry 60 s.
    const { rows } = await db.query<{ id: string; opened: Date }>(
      `INSERT INTO incidents (title, level, lon, lat, radius_m, opened_by, opened_at)
       VALUES ('ending', 1, $1, $2, 500, $3, now() - interval '72 hours' + interval '30 seconds')
       RETURNING id, opened_at AS opened`,
      [privateCamera.lon, privateCamera.lat, operator.userId],
    );
    const id = rows[0]?.id ?? '';
    const end = new Date(rows[0]?.opened ?? 0).getTime() + 72 * HOUR;
    try {
      const now = Date.now();
      const first = await capped.decide(operator, privateCamera.id, 'live:view', new Date(now));
      expect(first?.decision).toEqual({
        allow: true,
        reason: 'allowed:emergency',
        emergency: { incidentId: id },
      });
      const before = await capped.decide(operator, privateCamera.id, 'live:view', new Date(end - 1));
      expect([before?.cached, before?.decision.allow]).toEqual([true, true]);
      const after = await capped.decide(operator, privateCamera.id, 'live:view', new Date(end));
      expect([after?.cached, after?.decision.reason]).toEqual([false, 'forbidden:private']);
    } finally {
      await db.query(`UPDATE incidents SET closed_at = now(), closed_by = opened_by WHERE id = $1`, [id]);
      await capped.close();
    }
  });

  it('a changed user never matches an entry made for the old facts', async () => {
    const cam = govCamera;
    expect((await a.decide(operator, cam, 'ptz:control'))?.decision.allow).toBe(true);
    const demoted = { ...operator, roles: [] as string[] };
    const d = await a.decide(demoted, cam, 'ptz:control');
    expect(d?.cached).toBe(false);
    expect(d?.decision).toEqual({ allow: false, reason: 'forbidden:role' });
  });

  it('expires by TTL even without announcements', async () => {
    // Decided at t0 (whatever the reads cost on a loaded machine), asked again at t0 + 99 ms and
    // t0 + 100 ms: kept for the TTL, not an instant longer.
    const short = new DecisionService({ db, redis, logger }, { ttlMs: 100, maxEntries: 1000 });
    const t0 = Date.now();
    const at = (ms: number) => short.decide(operator, govCamera, 'live:view', new Date(t0 + ms));
    expect((await at(0))?.cached).toBe(false);
    expect((await at(99))?.cached).toBe(true);
    expect((await at(100))?.cached).toBe(false);
    expect((await at(150))?.cached).toBe(true);
    await short.close();
  });

  it('keeps at most maxEntries decisions', async () => {
    const small = new DecisionService({ db, redis, logger }, { ttlMs: 60_000, maxEntries: 100 });
    const { rows } = await db.query<{ id: string }>('SELECT id FROM cameras ORDER BY id LIMIT 150');
    for (const r of rows) await small.decide(operator, r.id, 'catalog:read');
    expect(small.stats().decisions).toBeLessThanOrEqual(100);
    expect(small.stats().cameras).toBeLessThanOrEqual(101);
    await small.close();
  });

  /** `db` with the statements it was asked, and a switch to make the next ones fail. */
  const counting = () => {
    const seen: string[] = [];
    let failing = 0;
    const q: Queryable = {
      query: async (sql, params) => {
        seen.push(sql);
        if (failing > 0) {
          failing -= 1;
          throw new Error('connection lost');
        }
        return db.query(sql, params);
      },
      exec: (sql) => db.exec(sql),
    };
    return { q, seen, failNext: (n: number) => (failing = n) };
  };

  it('reads the cameras of concurrent misses in one query, and the open incidents once', async () => {
    const { q, seen } = counting();
    // TTL 0: nothing is kept, so every decision is a miss.
    const cold = new DecisionService({ db: q, redis, logger }, { ttlMs: 0, maxEntries: 10 });
    const { rows } = await db.query<{ id: string }>('SELECT id FROM cameras ORDER BY id LIMIT 40');
    const ids = [
      ...rows.map((r) => r.id),
      rows[0]?.id.toUpperCase() ?? '', // same camera, other spelling
      '00000000-0000-4000-8000-000000000000', // no such camera
      'not-a-uuid',
    ];
    const outs = await Promise.all(ids.map((id) => cold.decide(operator, id, 'live:view')));
    expect(seen.filter((s) => s.includes('FROM cameras'))).toHaveLength(1);
    expect(seen.filter((s) => s.includes('FROM incidents'))).toHaveLength(1);
    // Each answer is the one a lone read would give.
    for (const [i, id] of ids.entries()) {
      const alone = await loadCamera(db, id);
      expect(outs[i]?.camera.facts).toEqual(alone?.facts);
    }
    expect(outs.at(-1)).toBeUndefined();
    expect(outs.at(-2)).toBeUndefined();
    expect(outs.at(-3)?.camera.facts.id).toBe(rows[0]?.id);
    // Nothing kept: the next ask reads again.
    await cold.decide(operator, ids[0] as string, 'live:view');
    expect(seen.filter((s) => s.includes('FROM cameras'))).toHaveLength(2);
    await cold.close();
  });

  it('a failed batched read fails each of its callers, and the next ask reads again', async () => {
    const { q, seen, failNext } = counting();
    const svc = new DecisionService({ db: q, redis, logger }, { ttlMs: 60_000, maxEntries: 100 });
    failNext(1);
    const asks = await Promise.allSettled([svc.camera(govCamera), svc.camera(privateCamera.id)]);
    expect(asks.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    expect(seen).toHaveLength(1);
    expect((await svc.camera(govCamera))?.facts.id).toBe(govCamera);
    expect(seen).toHaveLength(2);
    await svc.close();
  });

  it('keeps a signed-in user briefly, and drops it on every gateway when the user changes', async () => {
    const id = await userId('wujin.eoc');
    expect((await a.user(id))?.clearance).toBe(2);
    expect((await b.user(id))?.clearance).toBe(2);
    await db.query('UPDATE users SET clearance = 3 WHERE id = $1', [id]);
    expect((await b.user(id))?.clearance).toBe(2); // kept (TTL 60 s here)
    await a.invalidate({ kind: 'user', id });
    expect((await a.user(id))?.clearance).toBe(3);
    await expect.poll(async () => (await b.user(id))?.clearance).toBe(3);
    // A disabled user is nobody, once announced.
    await db.query('UPDATE users SET disabled = true WHERE id = $1', [id]);
    await a.invalidate({ kind: 'user', id });
    await expect.poll(async () => b.user(id)).toBeUndefined();
    await db.query('UPDATE users SET disabled = false, clearance = 2 WHERE id = $1', [id]);
    await a.invalidate({ kind: 'user', id });
    await expect.poll(async () => (await b.user(id))?.clearance).toBe(2);
  });

  it('ignores a malformed announcement', async () => {
    // A gateway whose warnings are read: each malformed message is logged and changes nothing.
    const warnings: string[] = [];
    const seeing = pino(
      { level: 'warn' },
      { write: (line: string) => void warnings.push(JSON.parse(line).msg) },
    );
    const c = new DecisionService({ db, redis, logger: seeing }, { ttlMs: 60_000, maxEntries: 1000 });
    c.start();
    await c.subscribed();
    try {
      await c.decide(operator, govCamera, 'live:view');
      await redis.publish(channelsOf(redis).policyInvalidate, '{"kind":"everything"}');
      await redis.publish(channelsOf(redis).policyInvalidate, 'not json');
      await expect
        .poll(() => warnings.filter((w) => w === 'ignored a malformed policy invalidation').length)
        .toBe(2);
      expect((await c.decide(operator, govCamera, 'live:view'))?.cached).toBe(true);
      // A well-formed one, by contrast, empties it.
      await redis.publish(channelsOf(redis).policyInvalidate, JSON.stringify({ kind: 'all' }));
      await expect.poll(async () => (await c.decide(operator, govCamera, 'live:view'))?.cached).toBe(false);
    } finally {
      await c.close();
    }
  });
});
