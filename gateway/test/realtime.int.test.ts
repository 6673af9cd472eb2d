import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { hash } from '@node-rs/argon2';
import {
  channelsOf,
  type Incident,
  type RealtimeClientToServerEvents,
  type RealtimeServerToClientEvents,
  type StreamStatus,
  type WallState,
} from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { Realtime, type RealtimeSocketInfo } from '../src/realtime/index.ts';
import { LIYANG, openReferenceDatabase, rowWriters, TEST_REDIS_URL, TIANNING } from './services.ts';

type Client = Socket<RealtimeServerToClientEvents, RealtimeClientToServerEvents>;

const PASSWORD = 'realtime-test-password';
const ORIGIN = 'http://127.0.0.1:3000';

/** Orgs, users and cameras of this file (not the demo: its exact facts are what the tests assert). */
async function fixtures(db: Db) {
  const passwordHash = await hash(PASSWORD);
  const { org, user, source, camera } = rowWriters(db, passwordHash);
  const cityPolice = await org('市公安局（测试）', 'city', null, 'police');
  const cityEoc = await org('市应急指挥中心（测试）', 'city', null, 'emergency');
  const tianningPolice = await org('天宁公安分局（测试）', 'district', '320402', 'police');
  const liyangPolice = await org('溧阳公安局（测试）', 'district', '320481', 'police');
  const bank = await org('银行（测试）', 'unit', '320402', 'owner');
  await user(cityPolice, 'police.op', 3, ['operator']);
  await user(cityPolice, 'police.low', 1, []);
  await user(cityEoc, 'eoc.op', 4, ['operator']);
  await user(tianningPolice, 'tn.police', 3, ['operator']);
  await user(liyangPolice, 'ly.police', 3, []);
  await user(bank, 'bank.owner', 2, ['owner']);
  await user(bank, 'bank.guard', 1, []);
  const gov = await source(cityPolice, 'government');
  const priv = await source(bank, 'private');
  return {
    orgs: { bank, cityPolice },
    cams: {
      a: await camera(gov, 'a', '320402', 1, TIANNING),
      c: await camera(gov, 'c', '320481', 1, LIYANG),
      d: await camera(priv, 'd', '320402', 1, TIANNING),
    },
  };
}

const status = (cameraId: string, state: StreamStatus['state'] = 'live'): StreamStatus => ({
  cameraId,
  profile: 'sub',
  node: 'media-test',
  state,
  codec: 'h264',
  transcoded: false,
  bitrateKbps: 812,
  fps: 25,
  width: 640,
  height: 360,
  viewers: 2,
  startedAt: 1_700_000_000_000,
  timeline: { ingest_spawned: 1_700_000_000_000 },
  restarts: 0,
});

/** Resolves with the first `event` whose payload matches, or rejects after `ms`. */
function next<E extends keyof RealtimeServerToClientEvents>(
  socket: Client,
  event: E,
  match: (payload: Parameters<RealtimeServerToClientEvents[E]>[0]) => boolean = () => true,
  ms = 2000,
): Promise<Parameters<RealtimeServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const listener = (payload: Parameters<RealtimeServerToClientEvents[E]>[0]) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener as never);
      resolve(payload);
    };
    socket.on(event, listener as never);
  });
}

/** Everything a socket receives of `event`, from now on. */
function record<E extends keyof RealtimeServerToClientEvents>(socket: Client, event: E) {
  const seen: Parameters<RealtimeServerToClientEvents[E]>[0][] = [];
  socket.on(event, ((payload: Parameters<RealtimeServerToClientEvents[E]>[0]) =>
    seen.push(payload)) as never);
  return seen;
}

describe('realtime: socket.io with the Redis adapter, two gateways (real PostgreSQL, Redis, sockets)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let fx: Awaited<ReturnType<typeof fixtures>>;
  const prefix = `tr${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const gateways: { app: FastifyInstance; realtime: Realtime; redis: Redis; url: string }[] = [];
  const clients: Client[] = [];

  async function startGateway(recheckMs: number) {
    // Each gateway has its own Redis connection; the key prefix (sessions) is shared, like one Redis.
    const r = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: prefix });
    await r.connect();
    const config = gatewayEnvSchema.parse({});
    const logger = createLogger('silent', 'gateway');
    const app = await buildApp({ config, db, redis: r, logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const realtime = new Realtime(app.server, {
      config,
      db,
      redis: r,
      logger,
      walls: app.walls,
      decisions: app.decisions,
      recheckMs,
    });
    await realtime.ready;
    await app.decisions.subscribed();
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    gateways.push({ app, realtime, redis: r, url });
    return gateways[gateways.length - 1] as (typeof gateways)[number];
  }

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    fx = await fixtures(db);
    await redis.connect();
    await startGateway(250); // gateway 1: sockets re-checked every 250 ms
    await startGateway(600_000); // gateway 2: only per event
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });

  afterAll(async () => {
    for (const g of gateways) {
      await g.realtime.close();
      await g.realtime.close(); // idempotent
      await g.app.close();
      g.redis.disconnect();
    }
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await db?.close();
    await drop?.();
  });

  /** Gateway 1, gateway 2, or one a test started for itself. */
  type On = 0 | 1 | 2;
  const gw = (i: On) => gateways[i] as (typeof gateways)[number];

  async function signIn(username: string, on: On = 0) {
    const res = await gw(on).app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { origin: ORIGIN },
      payload: { username, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return {
      sid: res.cookies.find((c) => c.name === 'wall_sid')?.value ?? '',
      csrf: res.json().csrfToken as string,
    };
  }
  const post = (on: 0 | 1, s: { sid: string; csrf: string }, url: string, payload?: object) =>
    gw(on).app.inject({
      method: 'POST',
      url,
      cookies: { wall_sid: s.sid },
      headers: { origin: ORIGIN, 'x-csrf-token': s.csrf },
      ...(payload ? { payload } : {}),
    });

  function open(on: On, headers: Record<string, string>, namespace = '/realtime'): Client {
    const c: Client = connectClient(`${gw(on).url}${namespace}`, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: headers,
    });
    clients.push(c);
    return c;
  }
  /** A connected socket of a signed-in user. */
  async function connect(username: string, on: On = 0, session?: { sid: string }): Promise<Client> {
    const s = session ?? (await signIn(username, on));
    const c = open(on, { origin: ORIGIN, cookie: `wall_sid=${s.sid}` });
    await new Promise<void>((resolve, reject) => {
      c.once('connect', resolve);
      c.once('connect_error', reject);
    });
    return c;
  }
  /** The error of a refused handshake. */
  function refused(on: 0 | 1, headers: Record<string, string>, namespace?: string) {
    const c = open(on, headers, namespace);
    return new Promise<{ message: string; data?: { code: string } }>((resolve, reject) => {
      c.once('connect', () => reject(new Error('connected')));
      c.once('connect_error', (err) => resolve(err as never));
    });
  }
  async function createWall(username: string, layout = '4'): Promise<WallState> {
    const res = await post(0, await signIn(username), '/api/walls', {
      name: `墙 ${randomBytes(2).toString('hex')}`,
      layout,
    });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  describe('handshake', () => {
    it('refuses a socket without the session cookie: auth:required', async () => {
      const err = await refused(0, { origin: ORIGIN });
      expect(err.data).toEqual({ code: 'auth:required', message: 'sign in first' });
      expect((await refused(0, { origin: ORIGIN, cookie: 'wall_sid=not-a-session' })).data?.code).toBe(
        'auth:required',
      );
    });

    it('refuses a revoked session: auth:required', async () => {
      const s = await signIn('police.op');
      const out = await post(0, s, '/api/auth/logout');
      expect(out.statusCode).toBe(204);
      const err = await refused(0, { origin: ORIGIN, cookie: `wall_sid=${s.sid}` });
      expect(err.data?.code).toBe('auth:required');
    });

    it('refuses another origin, or none, even with a live session: forbidden:origin', async () => {
      const s = await signIn('police.op');
      const cases: Record<string, string>[] = [
        { origin: 'http://evil.example', cookie: `wall_sid=${s.sid}` },
        { origin: 'http://127.0.0.1:3001', cookie: `wall_sid=${s.sid}` },
        { cookie: `wall_sid=${s.sid}` },
      ];
      for (const headers of cases) {
        const err = await refused(0, headers);
        expect(err.data).toEqual({ code: 'forbidden:origin', message: 'this origin may not connect' });
      }
      // The same session from the right origin connects.
      const ok = await connect('police.op', 0, s);
      expect(ok.connected).toBe(true);
    });

    it('offers no other namespace', async () => {
      const s = await signIn('police.op');
      const err = await refused(0, { origin: ORIGIN, cookie: `wall_sid=${s.sid}` }, '/');
      expect(err.data?.code).toBe('not_found:route');
    });
  });

  describe('walls', () => {
    it('joins only a wall the user may use', async () => {
      const wall = await createWall('police.op');
      const other = await connect('eoc.op');
      // Another organisation's wall is answered like a missing one.
      expect(await other.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).toEqual({
        ok: false,
        error: { code: 'not_found:wall', message: 'no such wall' },
      });
      expect(
        await other
          .timeout(2000)
          .emitWithAck('wall:join', { wallId: '00000000-0000-4000-8000-000000000000' }),
      ).toMatchObject({ ok: false, error: { code: 'not_found:wall' } });
      expect(await other.timeout(2000).emitWithAck('wall:join', { wallId: 'x' } as never)).toMatchObject({
        ok: false,
        error: { code: 'invalid:request' },
      });
      // Not in the room: a change is not pushed to it (its own watch acts as the sentinel).
      const seen = record(other, 'wall:updated');
      const owner = await connect('police.op');
      expect(await owner.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).toEqual({
        ok: true,
        data: wall,
      });
      const changed = await owner
        .timeout(2000)
        .emitWithAck('wall:command', { wallId: wall.id, command: { type: 'clear', version: 0, index: 0 } });
      expect(changed).toMatchObject({ ok: true, data: { version: 1 } });
      // Commands from another org are refused too.
      expect(
        await other
          .timeout(2000)
          .emitWithAck('wall:command', { wallId: wall.id, command: { type: 'clear', version: 1, index: 0 } }),
      ).toMatchObject({ ok: false, error: { code: 'not_found:wall' } });
      expect(seen).toEqual([]);
    });

    it('a command from console A reaches display B in the same room within 1 s, with the new state', async () => {
      const wall = await createWall('police.op', '9');
      const a = await connect('police.op');
      const b = await connect('police.low');
      for (const c of [a, b])
        expect((await c.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).ok).toBe(true);
      const received = next(b, 'wall:updated', (s) => s.id === wall.id);
      const t0 = performance.now();
      const ack = await a.timeout(2000).emitWithAck('wall:command', {
        wallId: wall.id,
        command: { type: 'assign', version: 0, index: 4, cameraId: fx.cams.a },
      });
      const state = await received;
      const ms = performance.now() - t0;
      console.log(`wall:updated same gateway: ${ms.toFixed(1)} ms`);
      expect(ack.ok).toBe(true);
      expect(state).toEqual(ack.ok ? ack.data : undefined);
      expect(state.version).toBe(1);
      expect(state.tiles[4]).toEqual({ index: 4, cameraId: fx.cams.a });
      expect(ms).toBeLessThan(1000);
      // A stale command is refused with the current state.
      expect(
        await b
          .timeout(2000)
          .emitWithAck('wall:command', { wallId: wall.id, command: { type: 'clear', version: 0, index: 4 } }),
      ).toEqual({
        ok: false,
        error: { code: 'conflict:version', message: expect.any(String) },
        current: state,
      });
      // After leaving, B gets no more updates (A's ack comes after the broadcast to the room).
      expect(await b.timeout(2000).emitWithAck('wall:leave', { wallId: wall.id })).toEqual({
        ok: true,
        data: null,
      });
      const seen = record(b, 'wall:updated');
      const again = next(a, 'wall:updated', (s) => s.version === 2);
      await a
        .timeout(2000)
        .emitWithAck('wall:command', { wallId: wall.id, command: { type: 'clear', version: 1, index: 4 } });
      await again;
      await b.timeout(2000).emitWithAck('camera:unwatch', { cameraIds: [fx.cams.a] }); // round trip to B
      expect(seen).toEqual([]);
    });

    it('two gateways sharing Redis: a change made on gateway 1 reaches a display on gateway 2 (Redis adapter)', async () => {
      const wall = await createWall('police.op');
      const display = await connect('police.low', 1);
      expect(await display.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).toEqual({
        ok: true,
        data: wall,
      });
      const seen = record(display, 'wall:updated');

      // Over HTTP on gateway 1.
      const viaHttp = next(display, 'wall:updated', (s) => s.version === 1);
      let t0 = performance.now();
      const res = await post(0, await signIn('police.op'), `/api/walls/${wall.id}/commands`, {
        type: 'setTour',
        version: 0,
        index: 3,
        tour: { cameraIds: [fx.cams.a, fx.cams.c], intervalS: 20 },
      });
      expect(res.statusCode).toBe(200);
      expect(await viaHttp).toEqual(res.json());
      console.log(
        `wall:updated HTTP on gateway 1 → socket on gateway 2: ${(performance.now() - t0).toFixed(1)} ms`,
      );

      // Over a socket on gateway 1.
      const consoleA = await connect('police.op', 0);
      const viaSocket = next(display, 'wall:updated', (s) => s.version === 2);
      t0 = performance.now();
      const ack = await consoleA.timeout(2000).emitWithAck('wall:command', {
        wallId: wall.id,
        command: { type: 'swap', version: 1, a: 3, b: 0 },
      });
      const state = await viaSocket;
      const ms = performance.now() - t0;
      console.log(`wall:updated socket on gateway 1 → socket on gateway 2: ${ms.toFixed(1)} ms`);
      expect(ack).toEqual({ ok: true, data: state });
      expect(state.tiles[0]?.tour?.cameraIds).toEqual([fx.cams.a, fx.cams.c]);
      expect(state.tiles[3]).toEqual({ index: 3, cameraId: null });
      expect(ms).toBeLessThan(1000);
      // Each change arrived once.
      expect(seen.map((s) => s.version)).toEqual([1, 2]);
    });
  });

  describe('wall playback', () => {
    it('every display of the wall gets the same playback clock, on either gateway; time:now answers the server clock', async () => {
      const wall = await createWall('police.op');
      const consoleA = await connect('police.op', 0);
      const displays = [await connect('police.low', 0), await connect('police.low', 1)];
      for (const c of [consoleA, ...displays])
        expect((await c.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).ok).toBe(true);

      const before = Date.now();
      const time = await displays[1]?.timeout(2000).emitWithAck('time:now');
      const after = Date.now();
      expect(time?.ok).toBe(true);
      const now = time?.ok ? time.data.now : Number.NaN;
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(after);

      const moment = new Date(Date.now() - 20_000).toISOString();
      const received = displays.map((d) => next(d, 'wall:updated', (s) => s.version === 1));
      const ack = await consoleA.timeout(2000).emitWithAck('wall:command', {
        wallId: wall.id,
        command: { type: 'playbackStart', version: 0, at: moment, speed: 2 },
      });
      expect(ack.ok).toBe(true);
      const states = await Promise.all(received);
      expect(states[0]).toEqual(ack.ok ? ack.data : undefined);
      expect(states[1]).toEqual(states[0]);
      expect(states[0]?.playback).toEqual({
        at: moment,
        anchor: expect.any(String),
        speed: 2,
        paused: false,
      });

      // A playback command to a live wall is refused in the ack, the wall unchanged.
      const liveAgain = next(displays[0] as Client, 'wall:updated', (s) => s.version === 2);
      await consoleA
        .timeout(2000)
        .emitWithAck('wall:command', { wallId: wall.id, command: { type: 'playbackLive', version: 1 } });
      expect((await liveAgain).playback).toBeNull();
      expect(
        await consoleA.timeout(2000).emitWithAck('wall:command', {
          wallId: wall.id,
          command: { type: 'playbackSpeed', version: 2, speed: 4 },
        }),
      ).toEqual({ ok: false, error: { code: 'conflict:state', message: expect.any(String) } });
    });
  });

  describe('camera status', () => {
    it('reaches the watchers allowed to read the camera, once each, on either gateway — and no one else', async () => {
      const district = await connect('tn.police', 0);
      const unit = await connect('bank.owner', 0);
      const city = await connect('police.op', 1);
      expect(
        await district.timeout(2000).emitWithAck('camera:watch', { cameraIds: [fx.cams.a, fx.cams.c] }),
      ).toEqual({
        ok: true,
        data: { accepted: [fx.cams.a] },
      });
      expect(
        await unit.timeout(2000).emitWithAck('camera:watch', { cameraIds: [fx.cams.a, fx.cams.d] }),
      ).toEqual({
        ok: true,
        data: { accepted: [fx.cams.d] },
      });
      expect(await city.timeout(2000).emitWithAck('camera:watch', { cameraIds: [fx.cams.a] })).toEqual({
        ok: true,
        data: { accepted: [fx.cams.a] },
      });
      const unitSeen = record(unit, 'camera:status');
      const citySeen = record(city, 'camera:status');
      const districtSeen = record(district, 'camera:status');

      const toDistrict = next(district, 'camera:status', (s) => s.cameraId === fx.cams.a);
      const toCity = next(city, 'camera:status', (s) => s.cameraId === fx.cams.a);
      await redis.publish(channelsOf(redis).streamStatus, JSON.stringify(status(fx.cams.a)));
      expect(await toDistrict).toEqual(status(fx.cams.a));
      expect(await toCity).toEqual(status(fx.cams.a));
      // Sentinels, published after: when they arrive, anything sent before them has arrived too.
      const sentinels = [
        next(unit, 'camera:status', (s) => s.cameraId === fx.cams.d),
        next(city, 'camera:status', (s) => s.state === 'stalled'),
        next(district, 'camera:status', (s) => s.state === 'stalled'),
      ];
      await redis.publish(channelsOf(redis).streamStatus, JSON.stringify(status(fx.cams.d, 'offline')));
      await redis.publish(channelsOf(redis).streamStatus, JSON.stringify(status(fx.cams.a, 'stalled')));
      await Promise.all(sentinels);
      expect(unitSeen.map((s) => [s.cameraId, s.state])).toEqual([[fx.cams.d, 'offline']]);
      expect(citySeen.map((s) => [s.cameraId, s.state])).toEqual([
        [fx.cams.a, 'live'],
        [fx.cams.a, 'stalled'],
      ]);
      expect(districtSeen.map((s) => s.state)).toEqual(['live', 'stalled']);

      // The watch decisions are audited.
      const { rows } = await db.query<{
        actor_name: string;
        result: string;
        reason: string;
        detail: unknown;
      }>(
        `SELECT actor_name, result, reason, detail FROM audit_log WHERE action = 'camera.watch' AND actor_name = 'tn.police'`,
      );
      expect(rows).toEqual([
        {
          actor_name: 'tn.police',
          result: 'deny',
          reason: 'forbidden:tier',
          detail: {
            policyAction: 'catalog:read',
            accepted: [fx.cams.a],
            denied: [{ cameraId: fx.cams.c, reason: 'forbidden:tier' }],
          },
        },
      ]);

      // Unwatched: no more status.
      expect(await city.timeout(2000).emitWithAck('camera:unwatch', { cameraIds: [fx.cams.a] })).toEqual({
        ok: true,
        data: { watching: [] },
      });
      const last = next(district, 'camera:status', (s) => s.state === 'offline');
      await redis.publish(channelsOf(redis).streamStatus, JSON.stringify(status(fx.cams.a, 'offline')));
      await last;
      await city.timeout(2000).emitWithAck('camera:unwatch', { cameraIds: [fx.cams.a] }); // round trip
      expect(citySeen).toHaveLength(2);
    });
  });

  describe('emergency uses (R-ACC-4)', () => {
    it('a use of an organisation’s camera reaches that organisation’s users on every gateway, once each, and no one else', async () => {
      const owner = await connect('bank.owner', 0);
      const guard = await connect('bank.guard', 1);
      const police = await connect('police.op', 0);
      const seen = {
        owner: record(owner, 'access:emergency'),
        guard: record(guard, 'access:emergency'),
        police: record(police, 'access:emergency'),
      };
      const notice = (cameraId: string, seq: number) => ({
        seq,
        at: '2026-11-29T02:00:00.000Z',
        cameraId,
        cameraName: `camera ${seq}`,
        incidentId: '7d6c1f3e-2b4a-4c5d-8e9f-0a1b2c3d4e5f',
        profile: 'main' as const,
        actorOrgName: '市应急指挥中心（测试）',
        actorDepartment: 'emergency' as const,
      });
      // Not a use: ignored (and logged), nothing emitted.
      await redis.publish(channelsOf(redis).emergencyUse, JSON.stringify({ notice: notice(fx.cams.d, 1) }));
      await redis.publish(channelsOf(redis).emergencyUse, 'not json');
      const toOwner = next(owner, 'access:emergency', (n) => n.seq === 2);
      const toGuard = next(guard, 'access:emergency', (n) => n.seq === 2);
      await redis.publish(
        channelsOf(redis).emergencyUse,
        JSON.stringify({ ownerOrgId: fx.orgs.bank, notice: notice(fx.cams.d, 2) }),
      );
      expect(await toOwner).toEqual(notice(fx.cams.d, 2));
      expect(await toGuard).toEqual(notice(fx.cams.d, 2));
      // A sentinel for the police organisation, published after: once it arrived, so had the rest.
      const sentinel = next(police, 'access:emergency', (n) => n.seq === 3);
      await redis.publish(
        channelsOf(redis).emergencyUse,
        JSON.stringify({ ownerOrgId: fx.orgs.cityPolice.toUpperCase(), notice: notice(fx.cams.a, 3) }),
      );
      await sentinel;
      await owner.timeout(2000).emitWithAck('camera:unwatch', { cameraIds: [fx.cams.a] }); // round trip
      await guard.timeout(2000).emitWithAck('camera:unwatch', { cameraIds: [fx.cams.a] });
      expect(seen.owner.map((n) => n.seq)).toEqual([2]);
      expect(seen.guard.map((n) => n.seq)).toEqual([2]);
      expect(seen.police.map((n) => n.seq)).toEqual([3]);
    });
  });

  describe('incidents', () => {
    it('an incident opened reaches city police and emergency and the district’s police, not a unit or another district', async () => {
      const city = await connect('police.op', 0);
      const eoc = await connect('eoc.op', 1);
      const district = await connect('tn.police', 0);
      const farDistrict = await connect('ly.police', 0);
      const unit = await connect('bank.owner', 0);
      // Sentinels: each of the two who must not hear of it watches a camera of its own.
      expect(
        await farDistrict.timeout(2000).emitWithAck('camera:watch', { cameraIds: [fx.cams.c] }),
      ).toMatchObject({
        data: { accepted: [fx.cams.c] },
      });
      expect(await unit.timeout(2000).emitWithAck('camera:watch', { cameraIds: [fx.cams.d] })).toMatchObject({
        data: { accepted: [fx.cams.d] },
      });
      const farSeen = record(farDistrict, 'incident:opened');
      const unitSeen = record(unit, 'incident:opened');

      const s = await signIn('police.op');
      const waits = [city, eoc, district].map((c) =>
        next(c, 'incident:opened', (i) => i.title === '天宁路口事故'),
      );
      const res = await post(0, s, '/api/incidents', {
        title: '天宁路口事故',
        level: 3,
        ...TIANNING,
        radiusM: 500,
      });
      expect(res.statusCode).toBe(201);
      const incident: Incident = res.json();
      expect(incident.districtCode).toBe('320402');
      for (const got of await Promise.all(waits)) expect(got).toEqual(incident);

      // Once the city user on gateway 1 has it, gateway 1 has sent it to every socket it was for.
      const sentinels = [
        next(farDistrict, 'camera:status', (x) => x.cameraId === fx.cams.c),
        next(unit, 'camera:status', (x) => x.cameraId === fx.cams.d),
      ];
      await redis.publish(channelsOf(redis).streamStatus, JSON.stringify(status(fx.cams.c)));
      await redis.publish(channelsOf(redis).streamStatus, JSON.stringify(status(fx.cams.d)));
      await Promise.all(sentinels);
      expect(farSeen.filter((i) => i.id === incident.id)).toEqual([]);
      expect(unitSeen).toEqual([]);

      const closedWaits = [city, district].map((c) =>
        next(c, 'incident:closed', (i) => i.id === incident.id),
      );
      const closed = await post(0, s, `/api/incidents/${incident.id}/close`);
      expect(closed.statusCode).toBe(200);
      for (const got of await Promise.all(closedWaits)) {
        expect(got).toEqual(closed.json());
        expect(got.closedAt).not.toBeNull();
      }
    });
  });

  describe('sessions', () => {
    it('a socket whose session is revoked is disconnected by the periodic check', async () => {
      const s = await signIn('police.low');
      const c = await connect('police.low', 0, s);
      const gone = new Promise<string>((resolve) => c.once('disconnect', resolve));
      const t0 = performance.now();
      expect((await post(0, s, '/api/auth/logout')).statusCode).toBe(204);
      expect(await gone).toBe('io server disconnect');
      console.log(
        `socket dropped ${(performance.now() - t0).toFixed(0)} ms after logout (re-check every 250 ms)`,
      );
    });

    it('an event on a revoked session is answered auth:required and the socket disconnected', async () => {
      const s = await signIn('police.low', 1);
      const c = await connect('police.low', 1, s);
      const wall = await createWall('police.op');
      expect((await c.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).ok).toBe(true);
      const gone = new Promise<string>((resolve) => c.once('disconnect', resolve));
      expect((await post(1, s, '/api/auth/logout')).statusCode).toBe(204);
      expect(await c.timeout(2000).emitWithAck('wall:join', { wallId: wall.id })).toEqual({
        ok: false,
        error: { code: 'auth:required', message: 'the session has ended' },
      });
      expect(await gone).toBe('io server disconnect');
    });
  });

  describe('lifecycle', () => {
    it('emits socket:connected and socket:disconnected with the user; close() drops the sockets, flips closed and is idempotent', async () => {
      const g = await startGateway(600_000); // gateway 3, closed by this test (and once more after all)
      expect(gateways.indexOf(g)).toBe(2);
      const connected: RealtimeSocketInfo[] = [];
      const disconnected: [RealtimeSocketInfo, string][] = [];
      g.realtime.on('socket:connected', (info) => connected.push(info));
      g.realtime.on('socket:disconnected', (info, reason) => disconnected.push([info, reason]));
      const { rows } = await db.query<{ id: string; username: string }>(
        `SELECT id, username FROM users WHERE username IN ('police.low', 'police.op') ORDER BY username`,
      );
      const [low, op] = rows.map((r) => r.id);

      const a = await connect('police.low', 2);
      const aInfo = { socketId: a.id, userId: low };
      expect(connected).toEqual([aInfo]);
      // The client leaves.
      const left = once(g.realtime, 'socket:disconnected');
      a.disconnect();
      expect(await left).toEqual([aInfo, 'client namespace disconnect']);

      // The gateway closes: its sockets are dropped first.
      const b = await connect('police.op', 2);
      const bInfo = { socketId: b.id, userId: op };
      expect(connected).toEqual([aInfo, bInfo]);
      const dropped = new Promise<string>((resolve) => b.once('disconnect', resolve));
      expect(g.realtime.closed).toBe(false);
      const closing = g.realtime.close();
      expect(g.realtime.closed).toBe(true);
      expect(g.realtime.close()).toBe(closing);
      await closing;
      expect(disconnected).toEqual([
        [aInfo, 'client namespace disconnect'],
        [bInfo, 'server namespace disconnect'],
      ]);
      expect(await dropped).toBe('io server disconnect');
      await g.realtime.close();
      expect(disconnected).toHaveLength(2);
      // The other gateways still serve.
      expect(gw(0).realtime.closed).toBe(false);
      const c = await connect('police.low', 0);
      expect(c.connected).toBe(true);
    });
  });
});
