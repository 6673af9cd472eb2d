import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { WallState } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { applyCommand, loadWall, saveWall } from '../src/walls/index.ts';
import { LIYANG, openReferenceDatabase, rowWriters, TEST_REDIS_URL, TIANNING } from './services.ts';

const PASSWORD = 'walls-test-password';
const ORIGIN = 'http://127.0.0.1:3000';

/** Orgs, users and cameras of this file (not the demo: its exact facts are what the tests assert). */
async function fixtures(db: Db) {
  const passwordHash = await hash(PASSWORD);
  const { org, user, source, camera } = rowWriters(db, passwordHash);
  const cityPolice = await org('市公安局（测试）', 'city', null, 'police');
  const cityEoc = await org('市应急指挥中心（测试）', 'city', null, 'emergency');
  const tianningPolice = await org('天宁公安分局（测试）', 'district', '320402', 'police');
  const bank = await org('银行（测试）', 'unit', '320402', 'owner');
  await user(cityPolice, 'police.op', 3, ['operator']);
  await user(cityPolice, 'police.low', 1, []);
  await user(cityEoc, 'eoc.op', 4, ['operator']);
  await user(tianningPolice, 'tn.police', 3, ['operator']);
  const gov = await source(cityPolice, 'government');
  const priv = await source(bank, 'private');
  return {
    orgs: { cityPolice, cityEoc, tianningPolice, bank },
    cams: {
      a: await camera(gov, 'a', '320402', 1, TIANNING),
      b: await camera(gov, 'b', '320402', 3, TIANNING),
      c: await camera(gov, 'c', '320481', 1, LIYANG),
      d: await camera(priv, 'd', '320402', 1, TIANNING),
    },
  };
}

describe('walls API: create, list, commands with optimistic concurrency, policy, audit (real PostgreSQL and Redis)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let fx: Awaited<ReturnType<typeof fixtures>>;
  const prefix = `tw${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const appRedis = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: prefix });

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    fx = await fixtures(db);
    await redis.connect();
    await appRedis.connect();
    app = await buildApp({
      config: gatewayEnvSchema.parse({}),
      db,
      redis: appRedis,
      logger: createLogger('silent', 'gateway'),
    });
  });

  afterAll(async () => {
    await app?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    appRedis.disconnect();
    await db?.close();
    await drop?.();
  });

  type Session = { sid: string; csrf: string };
  const sessions = new Map<string, Session>();
  async function as(username: string): Promise<Session> {
    const known = sessions.get(username);
    if (known) return known;
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { origin: ORIGIN },
      payload: { username, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const s = {
      sid: res.cookies.find((c) => c.name === 'wall_sid')?.value ?? '',
      csrf: res.json().csrfToken,
    };
    sessions.set(username, s);
    return s;
  }
  const post = async (username: string, url: string, payload: unknown) => {
    const s = await as(username);
    return app.inject({
      method: 'POST',
      url,
      cookies: { wall_sid: s.sid },
      headers: { origin: ORIGIN, 'x-csrf-token': s.csrf },
      payload: payload as object,
    });
  };
  const get = async (username: string, url: string) =>
    app.inject({ method: 'GET', url, cookies: { wall_sid: (await as(username)).sid } });
  const command = (username: string, wallId: string, cmd: object) =>
    post(username, `/api/walls/${wallId}/commands`, cmd);
  const audit = async (wallId: string) =>
    (
      await db.query<{
        action: string;
        result: string;
        reason: string;
        actor_name: string;
        detail: Record<string, unknown>;
      }>(
        `SELECT action, result, reason, actor_name, detail FROM audit_log
          WHERE target_kind = 'wall' AND target_id = $1 ORDER BY seq`,
        [wallId],
      )
    ).rows;
  const empty = (n: number) => [...Array(n).keys()].map((index) => ({ index, cameraId: null }));
  async function createWall(username: string, name: string, layout: string): Promise<WallState> {
    const res = await post(username, '/api/walls', { name, layout });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  it('creates a wall of the user’s org: 201, every tile empty, version 0, audited wall.create', async () => {
    const res = await post('police.op', '/api/walls', { name: '  指挥大厅主墙 ', layout: '1+5' });
    expect(res.statusCode).toBe(201);
    const wall = res.json();
    expect(wall).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: '指挥大厅主墙',
      ownerOrgId: fx.orgs.cityPolice,
      layout: '1+5',
      tiles: empty(6),
      playback: null,
      version: 0,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await audit(wall.id)).toEqual([
      {
        action: 'wall.create',
        result: 'ok',
        reason: 'created',
        actor_name: 'police.op',
        detail: { name: '指挥大厅主墙', layout: '1+5', ownerOrgId: fx.orgs.cityPolice },
      },
    ]);
    expect((await get('police.op', `/api/walls/${wall.id}`)).json()).toEqual(wall);
  });

  it('refuses creation without a session (401), without the CSRF token (403), with a bad body (400)', async () => {
    const before = (await db.query<{ n: string }>(`SELECT count(*) AS n FROM walls`)).rows[0]?.n;
    const anon = await app.inject({
      method: 'POST',
      url: '/api/walls',
      headers: { origin: ORIGIN },
      payload: { name: 'x', layout: '4' },
    });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().code).toBe('unauthenticated');
    const s = await as('police.op');
    const noCsrf = await app.inject({
      method: 'POST',
      url: '/api/walls',
      cookies: { wall_sid: s.sid },
      headers: { origin: ORIGIN },
      payload: { name: 'x', layout: '4' },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('forbidden:csrf');
    for (const body of [
      { name: 'x', layout: '2' },
      { name: '', layout: '4' },
      { layout: '4' },
      { name: 'x', layout: '4', extra: 1 },
    ]) {
      const bad = await post('police.op', '/api/walls', body);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe('invalid:request');
    }
    expect((await db.query<{ n: string }>(`SELECT count(*) AS n FROM walls`)).rows[0]?.n).toBe(before);
  });

  it('lists the walls of the user’s org only; another org’s wall is 404 like an unknown one (audited)', async () => {
    const wall = await createWall('police.op', '分局联动墙', '4');
    const colleague = await get('police.low', '/api/walls');
    expect(colleague.statusCode).toBe(200);
    expect(colleague.json().walls.map((w: WallState) => w.id)).toContain(wall.id);
    expect(colleague.json().walls.every((w: WallState) => w.ownerOrgId === fx.orgs.cityPolice)).toBe(true);
    expect((await get('eoc.op', '/api/walls')).json()).toEqual({ walls: [] });
    const other = await get('eoc.op', `/api/walls/${wall.id}`);
    const unknown = await get('police.op', '/api/walls/00000000-0000-4000-8000-000000000000');
    expect([other.statusCode, other.json()]).toEqual([
      404,
      { code: 'not_found:wall', message: 'no such wall' },
    ]);
    expect([unknown.statusCode, unknown.json()]).toEqual([404, other.json()]);
    // The log keeps why.
    expect(
      (await audit(wall.id))
        .filter((r) => r.action === 'wall.read')
        .map((r) => [r.result, r.reason, r.actor_name]),
    ).toEqual([['deny', 'forbidden:wall', 'eoc.op']]);
    expect((await get('police.op', '/api/walls/nope')).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/walls' })).statusCode).toBe(401);
  });

  it('applies assign, swap, setTour and setLayout in order, each audited with its version', async () => {
    const wall = await createWall('police.op', '命令墙', '1+5');
    const steps: [object, (number | string | null)[]][] = [
      [
        { type: 'assign', version: 0, index: 0, cameraId: fx.cams.a },
        [fx.cams.a, null, null, null, null, null],
      ],
      [
        { type: 'assign', version: 1, index: 5, cameraId: fx.cams.c },
        [fx.cams.a, null, null, null, null, fx.cams.c],
      ],
      [{ type: 'swap', version: 2, a: 0, b: 5 }, [fx.cams.c, null, null, null, null, fx.cams.a]],
      [
        { type: 'setTour', version: 3, index: 1, tour: { cameraIds: [fx.cams.a, fx.cams.b], intervalS: 10 } },
        [fx.cams.c, 'tour', null, null, null, fx.cams.a],
      ],
      [{ type: 'clear', version: 4, index: 0 }, [null, 'tour', null, null, null, fx.cams.a]],
      [{ type: 'setLayout', version: 5, layout: '4' }, [null, 'tour', null, null]],
    ];
    let last: WallState = wall;
    for (const [i, [cmd, expected]] of steps.entries()) {
      const res = await command('police.op', wall.id, cmd);
      expect(res.statusCode).toBe(200);
      last = res.json();
      expect(last.version).toBe(i + 1);
      expect(last.tiles.map((t) => (t.tour ? 'tour' : t.cameraId))).toEqual(expected);
    }
    expect(last.layout).toBe('4');
    expect(last.tiles[1]).toEqual({
      index: 1,
      cameraId: null,
      tour: { cameraIds: [fx.cams.a, fx.cams.b], intervalS: 10, startedAt: expect.any(String) },
    });
    expect((await get('police.low', `/api/walls/${wall.id}`)).json()).toEqual(last);
    const rows = await audit(wall.id);
    expect(rows.map((r) => [r.action, r.result, r.reason, r.actor_name, r.detail.version])).toEqual([
      ['wall.create', 'ok', 'created', 'police.op', undefined],
      ['wall.update', 'ok', 'assign', 'police.op', 1],
      ['wall.update', 'ok', 'assign', 'police.op', 2],
      ['wall.update', 'ok', 'swap', 'police.op', 3],
      ['wall.update', 'ok', 'setTour', 'police.op', 4],
      ['wall.update', 'ok', 'clear', 'police.op', 5],
      ['wall.update', 'ok', 'setLayout', 'police.op', 6],
    ]);
    expect(rows[1]?.detail.command).toEqual(steps[0]?.[0]);
  });

  it('plays the wall back: start, pause, speed, seek, a tile kept live, back to live — stored, audited, versioned', async () => {
    const wall = await createWall('police.op', '复盘墙', '4');
    await command('police.op', wall.id, { type: 'assign', version: 0, index: 0, cameraId: fx.cams.a });
    await command('police.op', wall.id, { type: 'assign', version: 1, index: 1, cameraId: fx.cams.c });
    const moment = new Date(Date.now() - 20_000).toISOString();
    const t0 = Date.now();
    const start = await command('police.op', wall.id, { type: 'playbackStart', version: 2, at: moment });
    expect(start.statusCode).toBe(200);
    const started: WallState = start.json();
    expect(started.playback).toEqual({ at: moment, anchor: expect.any(String), speed: 1, paused: false });
    const anchor = Date.parse(started.playback?.anchor ?? '');
    expect(anchor).toBeGreaterThanOrEqual(t0 - 5);
    expect(anchor).toBeLessThanOrEqual(Date.now() + 5);
    // Another user of the organisation reads the same clock.
    expect((await get('police.low', `/api/walls/${wall.id}`)).json()).toEqual(started);

    const paused: WallState = (
      await command('police.low', wall.id, { type: 'playbackPause', version: 3, paused: true })
    ).json();
    expect(paused.playback?.paused).toBe(true);
    const pausedAt = Date.parse(paused.playback?.at ?? '');
    const ranMs = Date.parse(paused.playback?.anchor ?? '') - anchor;
    expect(pausedAt - Date.parse(moment)).toBe(ranMs); // 1×: the footage ran as long as the server clock
    const fast: WallState = (
      await command('police.op', wall.id, { type: 'playbackSpeed', version: 4, speed: 8 })
    ).json();
    expect(fast.playback).toEqual({
      at: paused.playback?.at,
      anchor: expect.any(String),
      speed: 8,
      paused: true,
    });
    const seekTo = new Date(Date.now() - 3_600_000).toISOString();
    const sought: WallState = (
      await command('police.op', wall.id, { type: 'playbackSeek', version: 5, at: seekTo })
    ).json();
    expect(sought.playback?.at).toBe(seekTo);
    const kept: WallState = (
      await command('police.op', wall.id, { type: 'setTileMode', version: 6, index: 1, mode: 'live' })
    ).json();
    expect(kept.tiles[1]).toEqual({ index: 1, cameraId: fx.cams.c, mode: 'live' });
    expect(await loadWall(db, wall.id)).toEqual(kept);

    // A future moment, a speed out of range, a playback command to a live wall are refused, nothing changes.
    const future = await command('police.op', wall.id, {
      type: 'playbackSeek',
      version: 7,
      at: new Date(Date.now() + 60_000).toISOString(),
    });
    expect([future.statusCode, future.json().code]).toEqual([400, 'invalid:request']);
    const tooFast = await command('police.op', wall.id, { type: 'playbackSpeed', version: 7, speed: 16 });
    expect([tooFast.statusCode, tooFast.json().code]).toEqual([400, 'invalid:request']);
    const live: WallState = (
      await command('police.op', wall.id, { type: 'playbackLive', version: 7 })
    ).json();
    expect(live.playback).toBeNull();
    expect(live.tiles.map((t) => t.mode)).toEqual([undefined, undefined, undefined, undefined]);
    const pauseLive = await command('police.op', wall.id, {
      type: 'playbackPause',
      version: 8,
      paused: true,
    });
    expect([pauseLive.statusCode, pauseLive.json().code]).toEqual([409, 'conflict:state']);
    expect(await loadWall(db, wall.id)).toEqual(live);

    const rows = (await audit(wall.id)).filter((r) => r.action === 'wall.update');
    expect(rows.map((r) => [r.result, r.reason, r.actor_name, r.detail.version])).toEqual([
      ['ok', 'assign', 'police.op', 1],
      ['ok', 'assign', 'police.op', 2],
      ['ok', 'playbackStart', 'police.op', 3],
      ['ok', 'playbackPause', 'police.low', 4],
      ['ok', 'playbackSpeed', 'police.op', 5],
      ['ok', 'playbackSeek', 'police.op', 6],
      ['ok', 'setTileMode', 'police.op', 7],
      ['ok', 'playbackLive', 'police.op', 8],
    ]);
    expect(rows[2]?.detail.command).toEqual({ type: 'playbackStart', version: 2, at: moment, speed: 1 });
  });

  it('answers a stale version with 409 conflict:version and the current state, changing nothing', async () => {
    const wall = await createWall('police.op', '冲突墙', '4');
    const v1 = (
      await command('police.op', wall.id, { type: 'assign', version: 0, index: 2, cameraId: fx.cams.a })
    ).json();
    const stale = await command('police.low', wall.id, { type: 'clear', version: 0, index: 2 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toEqual({ code: 'conflict:version', message: expect.any(String), current: v1 });
    const ahead = await command('police.low', wall.id, { type: 'clear', version: 7, index: 2 });
    expect(ahead.statusCode).toBe(409);
    expect(ahead.json().current).toEqual(v1);
    expect((await get('police.op', `/api/walls/${wall.id}`)).json()).toEqual(v1);
    expect((await audit(wall.id)).map((r) => r.reason)).toEqual(['created', 'assign']);
  });

  it('of two commands made against the same version exactly one wins (version checked in SQL)', async () => {
    const wall = await createWall('police.op', '并发墙', '9');
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        [fx.cams.a, fx.cams.c].map((cameraId, i) =>
          command('police.op', wall.id, { type: 'assign', version: round, index: i, cameraId }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      const won = results.find((r) => r.statusCode === 200)?.json();
      const lost = results.find((r) => r.statusCode === 409)?.json();
      expect(won.version).toBe(round + 1);
      expect(lost.current).toEqual(won);
    }
    expect((await audit(wall.id)).filter((r) => r.action === 'wall.update')).toHaveLength(5);
    // The store itself refuses a write against a version that has moved on, whatever the caller checked.
    const at5 = (await loadWall(db, wall.id)) as WallState;
    const stale = applyCommand({ ...at5, version: 4 }, { type: 'clear', version: 4, index: 0 }, new Date());
    expect(await saveWall(db, stale, 4)).toBeUndefined();
    const fresh = applyCommand(at5, { type: 'clear', version: 5, index: 0 }, new Date());
    expect((await saveWall(db, fresh, 5))?.version).toBe(6);
  });

  it('refuses a camera the user may not read with the policy’s code, audited, the wall unchanged', async () => {
    const wall = await createWall('police.op', '策略墙', '4');
    const grade = await command('police.low', wall.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: fx.cams.b,
    });
    expect(grade.statusCode).toBe(403);
    expect(grade.json()).toEqual({ code: 'forbidden:grade', message: expect.any(String) });
    const priv = await command('police.op', wall.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: fx.cams.d,
    });
    expect(priv.json().code).toBe('forbidden:private');
    const tour = await command('police.op', wall.id, {
      type: 'setTour',
      version: 0,
      index: 1,
      tour: { cameraIds: [fx.cams.a, fx.cams.d], intervalS: 30 },
    });
    expect(tour.statusCode).toBe(403);
    expect(tour.json().code).toBe('forbidden:private');
    const foreign = await command('tn.police', wall.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: fx.cams.a,
    });
    // Another organisation's wall: answered like a missing one, audited with the real reason.
    expect([foreign.statusCode, foreign.json()]).toEqual([
      404,
      { code: 'not_found:wall', message: 'no such wall' },
    ]);
    expect((await get('police.op', `/api/walls/${wall.id}`)).json()).toEqual(wall);
    expect((await audit(wall.id)).map((r) => [r.action, r.result, r.reason, r.actor_name, r.detail])).toEqual(
      [
        ['wall.create', 'ok', 'created', 'police.op', expect.any(Object)],
        ['wall.update', 'deny', 'forbidden:grade', 'police.low', { command: 'assign', cameraId: fx.cams.b }],
        ['wall.update', 'deny', 'forbidden:private', 'police.op', { command: 'assign', cameraId: fx.cams.d }],
        [
          'wall.update',
          'deny',
          'forbidden:private',
          'police.op',
          { command: 'setTour', cameraId: fx.cams.d },
        ],
        ['wall.update', 'deny', 'forbidden:wall', 'tn.police', { command: 'assign' }],
      ],
    );
    // A district user's own wall: a camera of another district is outside the tier, answered
    // exactly like a camera that does not exist; the log keeps the real reason.
    const district = await createWall('tn.police', '天宁分局墙', '1');
    expect(district.ownerOrgId).toBe(fx.orgs.tianningPolice);
    const tier = await command('tn.police', district.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: fx.cams.c,
    });
    expect([tier.statusCode, tier.json()]).toEqual([
      404,
      { code: 'not_found:camera', message: `no such camera ${fx.cams.c}` },
    ]);
    const missing = '00000000-0000-4000-8000-00000000cafe';
    const none = await command('tn.police', district.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: missing,
    });
    expect([none.statusCode, none.json()]).toEqual([
      404,
      { code: 'not_found:camera', message: `no such camera ${missing}` },
    ]);
    expect(
      (await audit(district.id)).filter((r) => r.result === 'deny').map((r) => [r.reason, r.detail]),
    ).toEqual([['forbidden:tier', { command: 'assign', cameraId: fx.cams.c }]]);
    const ok = await command('tn.police', district.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: fx.cams.a,
    });
    expect(ok.statusCode).toBe(200);
  });

  it('answers 404 for an unknown camera or wall and 400 for a malformed command or a tile outside the layout', async () => {
    const wall = await createWall('police.op', '校验墙', '4');
    const unknown = await command('police.op', wall.id, {
      type: 'assign',
      version: 0,
      index: 0,
      cameraId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('not_found:camera');
    const noWall = await command('police.op', '00000000-0000-4000-8000-000000000000', {
      type: 'clear',
      version: 0,
      index: 0,
    });
    expect(noWall.statusCode).toBe(404);
    expect(noWall.json().code).toBe('not_found:wall');
    for (const cmd of [
      { type: 'clear', index: 0 },
      { type: 'explode', version: 0 },
      { type: 'setTour', version: 0, index: 0, tour: { cameraIds: [fx.cams.a], intervalS: 10 } },
      { type: 'setTour', version: 0, index: 0, tour: { cameraIds: [fx.cams.a, fx.cams.c], intervalS: 2 } },
      { type: 'clear', version: 0, index: 4 },
      { type: 'swap', version: 0, a: 3, b: 3 },
    ]) {
      const res = await command('police.op', wall.id, cmd);
      expect(res.statusCode, JSON.stringify(cmd)).toBe(400);
      expect(res.json().code).toBe('invalid:request');
    }
    expect((await get('police.op', `/api/walls/${wall.id}`)).json().version).toBe(0);
  });

  it('reads a wall row written without tiles (a seed) as its layout’s empty tiles', async () => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO walls (name, owner_org_id, layout) VALUES ('种子墙', $1, '9') RETURNING id`,
      [fx.orgs.cityPolice],
    );
    const id = rows[0]?.id ?? '';
    const res = await get('police.op', `/api/walls/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, layout: '9', version: 0, tiles: empty(9) });
    const next = await command('police.op', id, {
      type: 'assign',
      version: 0,
      index: 8,
      cameraId: fx.cams.a,
    });
    expect(next.statusCode).toBe(200);
    expect(next.json().tiles[8]).toEqual({ index: 8, cameraId: fx.cams.a });
  });
});
