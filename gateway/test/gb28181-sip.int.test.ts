import { randomBytes } from 'node:crypto';
import * as gb from '@wall/protocol/gb28181';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { digestRegister, freeSipPort, GbSim, RawUa, registerRequest, rnd } from './gb28181-sim.ts';
import {
  injectAs,
  openReferenceDatabase,
  signInTo,
  TEST_REDIS_URL,
  type TestSession,
  until as untilTrue,
} from './services.ts';

const PASSWORD = 'demo-password-gb28181';
const ORIGIN = 'http://127.0.0.1:3000';
const KEY = randomBytes(32).toString('base64url');
const DOMAIN = '3204000000';
const SERVER_ID = '32040000002000000001';
/** The simulated platform (UDP), a second device (TCP), and raw-UA devices. */
const PLATFORM = '32040200002000000001';
const PLATFORM_PASSWORD = 'Gb-平台-Secret-1';
const TCP_DEVICE = '32040200001180000007';
const TCP_DEVICE_PASSWORD = '-tcp-device-pass';
const RAW_DEVICE = '32040200001320000042';
const RAW_PASSWORD = 'raw-device-pass';
const KEEPALIVE_TIMEOUT_S = 3;

type Session = TestSession;

describe('GB/T 28181 SIP server: registration, catalogue, keepalive, NOTIFY, PTZ (real sockets, PostgreSQL, Redis, simulator)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let sipPort: number;
  let sim: GbSim;
  let tcpSim: GbSim | undefined;
  const prefix = `tgb${randomBytes(3).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const appRedis = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: prefix });
  const sub = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const announced: { kind: string; id?: string }[] = [];
  const sessions: Record<string, Session> = {};
  const sources: Record<string, string> = {};

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 2, password: PASSWORD });
    await Promise.all([redis.connect(), appRedis.connect(), sub.connect()]);
    sub.on('message', (_c: string, m: string) => announced.push(JSON.parse(m)));
    await sub.subscribe('policy:invalidate');
    sipPort = await freeSipPort();
    const config = gatewayEnvSchema.parse({
      SOURCE_SECRET_KEY: KEY,
      GB_SIP_ENABLED: 'true',
      GB_SIP_PORT: String(sipPort),
      GB_DOMAIN: DOMAIN,
      GB_ID: SERVER_ID,
      GB_KEEPALIVE_TIMEOUT_S: String(KEEPALIVE_TIMEOUT_S),
    });
    app = await buildApp({ config, db, redis: appRedis, logger: createLogger('silent', 'gateway') });
    await app.gb.start();
    for (const u of ['admin', 'eoc.operator', 'tianning.staff']) sessions[u] = await signIn(u);

    // The GB source systems, filed through the registry API with their passwords (sealed).
    const owner = (
      await db.query<{ id: string }>(`SELECT id FROM organisations WHERE name = '常州市公安局天宁区分局'`)
    ).rows[0]?.id;
    const file = async (name: string, deviceId: string, password: string) => {
      const res = await call('admin', 'POST', '/api/sources', {
        name,
        kind: 'gb28181',
        ownerOrgId: owner,
        funding: 'government',
        connection: { deviceId },
        secret: { password },
      });
      expect(res.statusCode).toBe(201);
      return (res.json() as { id: string }).id;
    };
    sources.platform = await file('天宁区 GB 模拟平台', PLATFORM, PLATFORM_PASSWORD);
    sources.tcp = await file('天宁区 GB TCP 设备', TCP_DEVICE, TCP_DEVICE_PASSWORD);
    sources.raw = await file('天宁区 GB 原始设备', RAW_DEVICE, RAW_PASSWORD);
    // Catalogue defaults of a trusted government platform (see settings.ts: not yet accepted by the
    // registry's connection schema, so set in the row).
    await db.query(
      `UPDATE source_systems SET connection = connection || '{"trusted": true, "defaultGrade": 1, "siteCategory": "transport", "locationKind": "intersection"}'::jsonb
        WHERE id = $1`,
      [sources.platform],
    );
  });

  afterAll(async () => {
    await sim?.stop();
    await tcpSim?.stop();
    await app?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    appRedis.disconnect();
    sub.disconnect();
    await db?.close();
    await drop?.();
  });

  const signIn = (username: string): Promise<Session> => signInTo(app, ORIGIN, username, PASSWORD);
  const call = (who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    injectAs(app, ORIGIN, sessions[who] as Session, method, url, payload);
  const audits = async (action: string, targetId?: string) =>
    (
      await db.query<{
        result: string;
        reason: string;
        actor_name: string;
        target_id: string | null;
        detail: Record<string, unknown>;
      }>(
        `SELECT result, reason, actor_name, target_id, detail FROM audit_log
          WHERE action = $1 ${targetId ? 'AND target_id = $2' : ''} ORDER BY seq`,
        targetId ? [action, targetId] : [action],
      )
    ).rows;
  const device = async (id: string) =>
    (
      await db.query<{
        online: boolean;
        transport: string;
        address: string;
        port: number;
        expires_s: number;
        offline_reason: string | null;
        manufacturer: string | null;
        model: string | null;
        firmware: string | null;
        channel_count: number | null;
      }>('SELECT * FROM gb_devices WHERE device_id = $1', [id])
    ).rows[0];
  const cameras = async (sourceId: string) =>
    (
      await db.query<{
        id: string;
        external_id: string;
        name: string;
        address: string | null;
        district_code: string;
        grade: number;
        state: string;
        site_category: string;
        location_kind: string;
        online: boolean | null;
        source_status: string | null;
        lon: number;
        lat: number;
        profiles: unknown;
      }>('SELECT * FROM cameras WHERE source_id = $1 ORDER BY external_id', [sourceId])
    ).rows;
  const until = <T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 10_000) =>
    untilTrue(what, f, timeoutMs);

  const server = () => ({ host: '127.0.0.1', port: sipPort });
  const ids = { domain: DOMAIN, serverId: SERVER_ID };

  describe('REGISTER (raw UA)', () => {
    it('challenges a REGISTER without credentials (401, realm = our domain, MD5, qop=auth), then answers the digest with 200, Date, Expires and Contact', async () => {
      const ua = new RawUa(server());
      await ua.open();
      try {
        const { challenge, final } = await digestRegister(ua, {
          ...ids,
          deviceId: RAW_DEVICE,
          password: RAW_PASSWORD,
        });
        expect(challenge.status).toBe(401);
        const ch = gb.parseDigestChallenge(gb.getHeader(challenge, 'WWW-Authenticate') ?? '');
        expect(ch.ok && ch.value.realm).toBe(DOMAIN);
        expect(ch.ok && ch.value.algorithm).toBe('MD5');
        expect(ch.ok && ch.value.qop).toEqual(['auth']);
        expect(ch.ok && /^[0-9a-f]{32}$/.test(ch.value.nonce)).toBe(true);
        expect(final.status).toBe(200);
        expect(gb.getHeader(final, 'Date')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
        expect(gb.getHeader(final, 'Expires')).toBe('3600');
        expect(gb.getHeader(final, 'Contact')).toBe(`<sip:${RAW_DEVICE}@127.0.0.1:${ua.port}>`);
        // RFC 3581: the top Via says where the answer went.
        const via = gb.parseVia(gb.getHeaderValues(final, 'Via')[0] ?? '');
        expect(via.ok && via.value.rport).toBe(ua.port);
        const row = await device(RAW_DEVICE);
        expect(row).toMatchObject({
          online: true,
          transport: 'udp',
          address: '127.0.0.1',
          port: ua.port,
          expires_s: 3600,
        });
        const a = await audits('gb.register', sources.raw);
        expect(a.map((x) => [x.result, x.reason, x.actor_name])).toEqual([
          ['ok', 'registered', `gb28181:${RAW_DEVICE}`],
        ]);

        // A refresh keeps it registered (audited as such), with the new Expires.
        const refresh = await digestRegister(ua, {
          ...ids,
          deviceId: RAW_DEVICE,
          password: RAW_PASSWORD,
          expires: 600,
        });
        expect(refresh.final.status).toBe(200);
        expect(gb.getHeader(refresh.final, 'Expires')).toBe('600');
        expect((await device(RAW_DEVICE))?.expires_s).toBe(600);
        expect((await audits('gb.register', sources.raw)).map((x) => x.reason)).toEqual([
          'registered',
          'refreshed',
        ]);

        // Keepalive from a registered device: 200.
        const ka = await ua.request(keepalive(ua, RAW_DEVICE));
        expect(ka.status).toBe(200);

        // Expires: 0 unregisters: offline in the database, audited, keepalives refused (403).
        const bye = await digestRegister(ua, {
          ...ids,
          deviceId: RAW_DEVICE,
          password: RAW_PASSWORD,
          expires: 0,
        });
        expect(bye.final.status).toBe(200);
        expect(await device(RAW_DEVICE)).toMatchObject({ online: false, offline_reason: 'unregistered' });
        expect((await audits('gb.unregister', sources.raw)).map((x) => [x.result, x.reason])).toEqual([
          ['ok', 'unregistered'],
        ]);
        expect((await ua.request(keepalive(ua, RAW_DEVICE))).status).toBe(403);
      } finally {
        ua.close();
      }
    });

    it('refuses a wrong password with 403 (audited deny) and an unknown device with 403 without a challenge', async () => {
      const ua = new RawUa(server());
      await ua.open();
      try {
        const wrong = await digestRegister(ua, {
          ...ids,
          deviceId: RAW_DEVICE,
          password: 'not-the-password',
        });
        expect(wrong.challenge.status).toBe(401);
        expect(wrong.final.status).toBe(403);
        const unknown = '32040200001320009999';
        const res = await ua.request(
          registerRequest(ua, { ...ids, deviceId: unknown, callId: `${rnd()}@raw`, cseq: 1 }),
        );
        expect(res.status).toBe(403);
        expect(gb.getHeader(res, 'WWW-Authenticate')).toBeUndefined();
        const denies = (await audits('gb.register')).filter((x) => x.result === 'deny');
        expect(denies.map((x) => [x.reason, x.target_id, x.detail.deviceId])).toEqual([
          ['wrong_credentials:response', sources.raw, RAW_DEVICE],
          ['unknown_device', null, unknown],
        ]);
      } finally {
        ua.close();
      }
    });

    it('answers 400 to a REGISTER without Expires, and a new challenge to a nonce it did not issue', async () => {
      const ua = new RawUa(server());
      await ua.open();
      try {
        const res = await ua.request(
          registerRequest(ua, {
            ...ids,
            deviceId: RAW_DEVICE,
            callId: `${rnd()}@raw`,
            cseq: 1,
            expires: null,
          }),
        );
        expect(res.status).toBe(400);
        const forged = gb.formatDigestCredentials(
          gb.answerDigestChallenge({
            challenge: { realm: DOMAIN, nonce: 'f'.repeat(32), algorithm: 'MD5', qop: ['auth'] },
            username: RAW_DEVICE,
            password: RAW_PASSWORD,
            method: 'REGISTER',
            uri: `sip:${SERVER_ID}@${DOMAIN}`,
            cnonce: 'abcd',
          }),
        );
        const again = await ua.request(
          registerRequest(ua, {
            ...ids,
            deviceId: RAW_DEVICE,
            callId: `${rnd()}@raw`,
            cseq: 1,
            authorization: forged,
          }),
        );
        expect(again.status).toBe(401);
      } finally {
        ua.close();
      }
    });

    it('answers a retransmitted REGISTER with the same response (server transaction)', async () => {
      const ua = new RawUa(server());
      await ua.open();
      try {
        const req = registerRequest(ua, { ...ids, deviceId: RAW_DEVICE, callId: `${rnd()}@raw`, cseq: 1 });
        const first = await ua.request(req);
        const second = await ua.request(req);
        expect(first.status).toBe(401);
        expect(second.status).toBe(401);
        expect(gb.getHeader(second, 'WWW-Authenticate')).toBe(gb.getHeader(first, 'WWW-Authenticate'));
        expect(gb.getHeader(second, 'To')).toBe(gb.getHeader(first, 'To'));
      } finally {
        ua.close();
      }
    });
    it('a password changed in the registry takes effect at the next REGISTER', async () => {
      const res = await call('admin', 'PATCH', `/api/sources/${sources.raw}`, {
        secret: { password: 'changed-pass-1' },
      });
      expect(res.statusCode).toBe(200);
      const ua = new RawUa(server());
      await ua.open();
      try {
        const status = await until(
          'the new password',
          async () => {
            const r = await digestRegister(ua, {
              ...ids,
              deviceId: RAW_DEVICE,
              password: 'changed-pass-1',
              expires: 60,
            });
            return r.final.status === 200 && r.final.status;
          },
          3000,
        );
        expect(status).toBe(200);
        const old = await digestRegister(ua, {
          ...ids,
          deviceId: RAW_DEVICE,
          password: RAW_PASSWORD,
          expires: 60,
        });
        expect(old.final.status).toBe(403);
        await digestRegister(ua, { ...ids, deviceId: RAW_DEVICE, password: 'changed-pass-1', expires: 0 });
      } finally {
        ua.close();
      }
    });
  });

  describe('the simulated platform (UDP)', () => {
    it('registers with digest and its paged GB2312 catalogue lands in the registry with districts, grades and the source’s defaults', async () => {
      sim = new GbSim(
        [
          ...['--server', `127.0.0.1:${sipPort}`, '--domain', DOMAIN, '--device-id', PLATFORM],
          ...['--channels', '4', '--civil-code', '320402'],
          ...['--transport', 'udp', '--keepalive', '1', '--expires', '3600'],
        ],
        { password: PLATFORM_PASSWORD },
      );
      const reg = await sim.waitFor((e) => e.event === 'register', 30_000);
      expect(reg.status).toBe(200);
      expect(reg.date).toMatch(/^\d{4}-\d\d-\d\dT/);
      const catalog = await sim.waitFor((e) => e.event === 'catalog');
      expect(catalog).toMatchObject({ items: 6, pages: 3 });
      const rows = await until('the catalogue audit', async () => {
        const a = await audits('gb.catalog', sources.platform);
        return a.length > 0 && a;
      });
      expect(rows.map((r) => [r.result, r.reason, r.actor_name])).toEqual([
        ['ok', 'synced', `gb28181:${PLATFORM}`],
      ]);
      expect(rows[0]?.detail).toMatchObject({
        deviceId: PLATFORM,
        sumNum: 6,
        received: 6,
        pages: 3,
        complete: true,
        added: 4,
        updated: 0,
        skipped: 2,
      });
      const cams = await cameras(sources.platform as string);
      expect(
        cams.map((c) => ({
          id: c.external_id,
          name: c.name,
          district: c.district_code,
          grade: c.grade,
          state: c.state,
          category: c.site_category,
          kind: c.location_kind,
          online: c.online,
          status: c.source_status,
          profiles: c.profiles,
        })),
      ).toEqual(
        [
          { id: '32040200001310000001', name: '天宁区红梅路路口', grade: 1 },
          { id: '32040200001310000002', name: '天宁区延陵东路路口', grade: 3 },
          { id: '32040200001310000003', name: '天宁区和平北路路口', grade: 1 },
          { id: '32040200001310000004', name: '天宁区局前街路口', grade: 1 },
        ].map((c) => ({
          ...c,
          district: '320402',
          state: 'accepted',
          category: 'transport',
          kind: 'intersection',
          online: true,
          status: 'ON',
          profiles: { main: {}, sub: {} },
        })),
      );
      expect(cams[0]?.address).toBe('江苏省常州市天宁区红梅路');
      // Every channel lies inside 天宁区 as the simulator placed it.
      const { districtAt } = await import('@wall/protocol/districts');
      for (const c of cams) expect(districtAt(c.lon, c.lat)).toBe('320402');
      // DeviceInfo is kept in the device row.
      await until('DeviceInfo', async () => (await device(PLATFORM))?.manufacturer === 'Wall');
      expect(await device(PLATFORM)).toMatchObject({
        online: true,
        transport: 'udp',
        manufacturer: 'Wall',
        model: 'GB-SIM',
        firmware: 'V1.0.0',
        channel_count: 4,
      });
      // The new cameras were announced so decision caches drop them.
      for (const c of cams) expect(announced).toContainEqual({ kind: 'camera', id: c.id });
      // The registry serves them like any camera.
      const search = await call('admin', 'GET', `/api/cameras?q=${encodeURIComponent('红梅路')}`);
      expect(search.statusCode).toBe(200);
      expect((search.json() as { items: { externalId: string; sourceKind: string }[] }).items).toContainEqual(
        expect.objectContaining({ externalId: '32040200001310000001', sourceKind: 'gb28181' }),
      );
    });

    it('POST /api/sources/:id/catalog-sync queries the catalogue again for registry admins only', async () => {
      const res = await call('admin', 'POST', `/api/sources/${sources.platform}/catalog-sync`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        sumNum: 6,
        received: 6,
        pages: 3,
        complete: true,
        added: 0,
        updated: 0,
        unchanged: 4,
        skipped: 2,
      });
      const denied = await call('eoc.operator', 'POST', `/api/sources/${sources.platform}/catalog-sync`);
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ code: 'forbidden:role' });
      const offline = await call('admin', 'POST', `/api/sources/${sources.tcp}/catalog-sync`);
      expect(offline.statusCode).toBe(409);
      expect(offline.json()).toMatchObject({ code: 'conflict:state' });
      const rtsp = (
        await db.query<{ id: string }>(`SELECT id FROM source_systems WHERE kind = 'rtsp' LIMIT 1`)
      ).rows[0]?.id;
      expect((await call('admin', 'POST', `/api/sources/${rtsp}/catalog-sync`)).statusCode).toBe(409);
      const a = await audits('gb.catalog', sources.platform);
      expect(a.map((x) => [x.result, x.reason, x.actor_name])).toEqual([
        ['ok', 'synced', `gb28181:${PLATFORM}`],
        ['ok', 'synced', 'admin'],
        ['deny', 'forbidden:role', 'eoc.operator'],
      ]);
    });

    it('PTZ: an operator steers a GB camera (exact PTZCmd bytes at the simulator); denials are audited; RTSP cameras get 422', async () => {
      const cam = (await cameras(sources.platform as string))[0] as { id: string; external_id: string };
      const since = sim.events.length;
      const res = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/ptz`, {
        command: 'left',
        speed: 100,
      });
      expect(res.statusCode).toBe(200);
      // A5 0F 01 | 02 (left) | 64 (pan speed 100) | 00 | 00 | (A5+0F+01+02+64) mod 256 = 1B
      expect(res.json()).toEqual({ sent: 'A50F01026400001B' });
      const ptz = await sim.waitFor((e) => e.event === 'ptz', 5000, since);
      expect(ptz).toMatchObject({ channel: cam.external_id, hex: 'A50F01026400001B' });
      const zoom = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/ptz`, {
        command: 'zoom_in',
        speed: 255,
      });
      // zoom speed 255 → nibble 15 in byte 7 (F0); checksum (A5+0F+01+10+F0) mod 256 = B5
      expect(zoom.json()).toEqual({ sent: 'A50F01100000F0B5' });
      const stop = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/ptz`, { command: 'stop' });
      expect(stop.json()).toEqual({ sent: 'A50F0100000000B5' });
      await sim.waitFor((e) => e.event === 'ptz' && e.hex === 'A50F0100000000B5', 5000, since);

      const denied = await call('tianning.staff', 'POST', `/api/cameras/${cam.id}/ptz`, { command: 'up' });
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ code: 'forbidden:role' });
      const bad = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/ptz`, { command: 'spin' });
      expect(bad.statusCode).toBe(400);
      const rtsp = (
        await db.query<{ id: string }>(
          `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
            WHERE s.kind = 'rtsp' AND s.funding = 'government' AND c.state IN ('accepted', 'in_service') AND c.grade <= 3 LIMIT 1`,
        )
      ).rows[0]?.id;
      const unsupported = await call('eoc.operator', 'POST', `/api/cameras/${rtsp}/ptz`, { command: 'left' });
      expect(unsupported.statusCode).toBe(422);
      expect(unsupported.json()).toMatchObject({ code: 'ptz:unsupported' });
      const a = await audits('camera.ptz', cam.id);
      expect(
        a.map((x) => [x.result, x.reason, x.actor_name, x.detail.command, x.detail.hex ?? null]),
      ).toEqual([
        ['allow', 'allowed', 'eoc.operator', 'left', 'A50F01026400001B'],
        ['allow', 'allowed', 'eoc.operator', 'zoom_in', 'A50F01100000F0B5'],
        ['allow', 'allowed', 'eoc.operator', 'stop', 'A50F0100000000B5'],
        ['deny', 'forbidden:role', 'tianning.staff', 'up', null],
      ]);
    });

    it('NOTIFY keeps the catalogue current: OFF takes a channel offline, DEL removes it (never deletes)', async () => {
      const cams = await cameras(sources.platform as string);
      const third = cams[2] as { id: string; external_id: string };
      const fourth = cams[3] as { id: string; external_id: string };
      sim.command({ cmd: 'notify', event: 'OFF', channel: third.external_id });
      await sim.waitFor(
        (e) => e.event === 'notify-sent' && e.channel === third.external_id && e.status === 200,
      );
      await until(
        'OFF applied',
        async () => (await cameras(sources.platform as string))[2]?.online === false,
      );
      expect((await cameras(sources.platform as string))[2]).toMatchObject({
        source_status: 'OFF',
        online: false,
        state: 'accepted',
      });
      announced.length = 0;
      sim.command({ cmd: 'notify', event: 'DEL', channel: fourth.external_id });
      await sim.waitFor(
        (e) => e.event === 'notify-sent' && e.channel === fourth.external_id && e.status === 200,
      );
      await until(
        'DEL applied',
        async () => (await cameras(sources.platform as string))[3]?.state === 'removed',
      );
      expect((await cameras(sources.platform as string)).map((c) => c.state)).toEqual([
        'accepted',
        'accepted',
        'accepted',
        'removed',
      ]);
      await until('the removal announced', async () =>
        announced.some((x) => x.kind === 'camera' && x.id === fourth.id),
      );
      const notes = (await audits('gb.catalog', sources.platform)).filter((x) => x.reason === 'notify');
      expect(notes.map((x) => [x.result, x.detail.events, x.detail.removed, x.detail.statusChanged])).toEqual(
        [
          ['ok', { OFF: 1 }, 0, 1],
          ['ok', { DEL: 1 }, 1, 0],
        ],
      );
      // Removal is final (R-REG-3): the channel ADDed again stays removed, and says why.
      sim.command({ cmd: 'notify', event: 'ADD', channel: fourth.external_id });
      await sim.waitFor((e) => e.event === 'notify-sent' && e.catalogEvent === 'ADD' && e.status === 200);
      await until('ADD applied', async () => (await audits('gb.catalog', sources.platform)).length === 6);
      expect((await audits('gb.catalog', sources.platform)).at(-1)?.detail).toMatchObject({
        events: { ADD: 1 },
        added: 0,
        skippedItems: [{ id: fourth.external_id, reason: 'removed' }],
      });
      expect((await cameras(sources.platform as string))[3]?.state).toBe('removed');
      const res = await call('admin', 'POST', `/api/sources/${sources.platform}/catalog-sync`);
      expect(res.json()).toMatchObject({
        received: 6,
        unchanged: 3,
        updated: 0,
        skippedItems: [{ id: fourth.external_id, reason: 'removed' }],
      });
    });

    it('a device whose keepalives stop goes offline after GB_KEEPALIVE_TIMEOUT_S, its cameras follow, and it comes back with them', async () => {
      sim.command({ cmd: 'keepalive', on: false });
      const t0 = Date.now();
      await until(
        'offline',
        async () => (await device(PLATFORM))?.online === false,
        (KEEPALIVE_TIMEOUT_S + 5) * 1000,
      );
      expect(Date.now() - t0).toBeGreaterThanOrEqual((KEEPALIVE_TIMEOUT_S - 1) * 1000);
      expect((await device(PLATFORM))?.offline_reason).toBe('keepalive');
      expect((await cameras(sources.platform as string)).map((c) => c.online)).toEqual([
        false,
        false,
        false,
        false,
      ]);
      expect((await audits('gb.offline', sources.platform)).map((x) => [x.result, x.reason])).toEqual([
        ['ok', 'keepalive'],
      ]);
      // PTZ to an offline device: 503, audited as an error after the allow.
      const cam = (await cameras(sources.platform as string))[0] as { id: string };
      const res = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/ptz`, { command: 'right' });
      expect(res.statusCode).toBe(503);
      expect((await audits('camera.ptz', cam.id)).at(-1)).toMatchObject({
        result: 'error',
        reason: 'device_offline',
      });

      sim.command({ cmd: 'keepalive', on: true });
      await until('online again', async () => (await device(PLATFORM))?.online === true, 10_000);
      // Channels come back as their own status says: OFF stays offline; the removed one too.
      await until(
        'cameras online',
        async () => (await cameras(sources.platform as string))[0]?.online === true,
      );
      expect((await cameras(sources.platform as string)).map((c) => [c.online, c.source_status])).toEqual([
        [true, 'ON'],
        [true, 'ON'],
        [false, 'OFF'],
        [false, 'ON'],
      ]);
      expect((await audits('gb.online', sources.platform)).map((x) => [x.result, x.reason])).toEqual([
        ['ok', 'keepalive'],
      ]);
    });

    it('a device on TCP registers and is steered over its connection; SIGTERM unregisters it', async () => {
      // A password starting with '-' (random ones may): the simulator takes it from its environment.
      tcpSim = new GbSim(
        [
          ...['--server', `127.0.0.1:${sipPort}`, '--domain', DOMAIN, '--device-id', TCP_DEVICE],
          ...['--channels', '1', '--civil-code', '320402'],
          ...['--transport', 'tcp', '--keepalive', '1'],
        ],
        { password: TCP_DEVICE_PASSWORD },
      );
      expect((await tcpSim.waitFor((e) => e.event === 'register', 30_000)).status).toBe(200);
      await tcpSim.waitFor((e) => e.event === 'catalog');
      expect(await device(TCP_DEVICE)).toMatchObject({ online: true, transport: 'tcp' });
      const cams = await until('TCP camera', async () => {
        const c = await cameras(sources.tcp as string);
        return c.length === 1 && c;
      });
      // Not a trusted source: the channel is filed as registered (and the only channel is Secrecy 1).
      expect(cams.map((c) => [c.external_id, c.state, c.grade, c.site_category, c.location_kind])).toEqual([
        ['32040200001310000001', 'registered', 3, 'other_designated', 'road'],
      ]);
      const code = await tcpSim.stop();
      expect(code).toBe(0);
      await until('TCP device unregistered', async () => (await device(TCP_DEVICE))?.online === false);
      expect((await device(TCP_DEVICE))?.offline_reason).toBe('unregistered');
      expect((await cameras(sources.tcp as string))[0]?.online).toBe(false);
    });
  });
});

function keepalive(ua: RawUa, deviceId: string): gb.SipRequest {
  return {
    kind: 'request',
    method: 'MESSAGE',
    uri: `sip:${SERVER_ID}@${DOMAIN}`,
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:${ua.port};rport;branch=z9hG4bK${rnd()}` },
      { name: 'From', value: `<sip:${deviceId}@${DOMAIN}>;tag=${rnd(4)}` },
      { name: 'To', value: `<sip:${SERVER_ID}@${DOMAIN}>` },
      { name: 'Call-ID', value: `${rnd()}@raw` },
      { name: 'CSeq', value: '20 MESSAGE' },
      { name: 'Content-Type', value: 'Application/MANSCDP+xml' },
    ],
    body: gb.encodeManscdp({ kind: 'keepalive', sn: 7, deviceId, status: 'OK' }, 'GB2312'),
  };
}
