import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { StreamStatus } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import {
  digestRegister,
  freeSipPort,
  GB_TEST_DOMAIN,
  GB_TEST_SERVER_ID,
  GbSim,
  gbGatewayEnv,
  gbMediaEnv,
  RawUa,
} from './gb28181-sim.ts';
import {
  consumeLive,
  injectAs,
  isolatedRedisUrl,
  openReferenceDatabase,
  REDIS_DB,
  signInTo,
  startMediaNode,
  type TestMediaNode,
  type TestSession,
  until as untilTrue,
} from './services.ts';

const PASSWORD = 'demo-password-gb-live';
const ORIGIN = 'http://127.0.0.1:3000';
const KEY = randomBytes(32).toString('base64url');
const DOMAIN = GB_TEST_DOMAIN;
const SERVER_ID = GB_TEST_SERVER_ID;
const PLATFORM = '32040200002000000011';
const UDP_PLATFORM = '32040200002000000012';
const SILENT_DEVICE = '32040200001320000013';
const IDLE_MS = 2500;

type Session = TestSession;
type LiveAnswer = { token: string; nodeUrl: string; expiresAt: string; emergency: boolean };

const STEPS = [
  'invite_sent',
  'invite_ok',
  'first_rtp',
  'first_ps_pack',
  'first_keyframe',
  'first_producer_packet',
] as const;

describe('GB/T 28181 live: gateway INVITE → real media node → simulator PS over RTP; idle → BYE; IFameCmd', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let media: TestMediaNode;
  let mediaUrl: string;
  let sipPort: number;
  const sims: GbSim[] = [];
  const nodeId = `gb-live-${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  // A Redis database of our own: placement must see this test's media node only (others' nodes
  // heartbeat into database 0), and the stream status it hears is its node's only.
  const redisUrl = isolatedRedisUrl(REDIS_DB.gbLive);
  const redis = new Redis(redisUrl, { lazyConnect: true });
  const sessions: Record<string, Session> = {};
  const sources: Record<string, string> = {};

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 2, password: PASSWORD });
    await redis.connect();

    const base = 41_000 + Math.floor(Math.random() * 50) * 100;
    media = await startMediaNode({
      redis,
      redisUrl,
      nodeId,
      port: await freeSipPort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: gbMediaEnv(base, 21860, IDLE_MS),
      readyTimeoutMs: 15_000,
    });
    mediaUrl = media.url;

    sipPort = await freeSipPort();
    const config = gatewayEnvSchema.parse({
      ...gbGatewayEnv({ jwk, controlSecret: secret, sourceKey: KEY, sipPort }),
    });
    app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
    await app.gb.start();
    for (const u of ['admin', 'eoc.operator', 'police.dispatcher']) sessions[u] = await signIn(u);

    const owner = (
      await db.query<{ id: string }>(`SELECT id FROM organisations WHERE name = '常州市公安局天宁区分局'`)
    ).rows[0]?.id;
    const file = async (name: string, deviceId: string, password: string, extra: Record<string, unknown>) => {
      const res = await call('admin', 'POST', '/api/sources', {
        name,
        kind: 'gb28181',
        ownerOrgId: owner,
        funding: 'government',
        connection: { deviceId },
        secret: { password },
      });
      expect(res.statusCode).toBe(201);
      const id = (res.json() as { id: string }).id;
      await db.query('UPDATE source_systems SET connection = connection || $2::jsonb WHERE id = $1', [
        id,
        JSON.stringify({ trusted: true, ...extra }),
      ]);
      return id;
    };
    sources.platform = await file('GB 直播测试平台', PLATFORM, 'live-pass-1', {});
    sources.udp = await file('GB UDP 媒体平台', UDP_PLATFORM, 'live-pass-2', { mediaTransport: 'udp' });
    sources.silent = await file('GB 不应答设备', SILENT_DEVICE, 'live-pass-3', {});
  });

  afterAll(async () => {
    for (const s of sims) await s.stop();
    await app?.close();
    await media?.stop();
    redis.disconnect();
    await db?.close();
    await drop?.();
  });

  const signIn = (username: string): Promise<Session> => signInTo(app, ORIGIN, username, PASSWORD);
  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    injectAs(app, ORIGIN, sessions[who] as Session, method, url, payload);
  const status = async (cameraId: string, profile = 'main'): Promise<StreamStatus | undefined> => {
    const res = await fetch(`${mediaUrl}/control/streams/${cameraId}/${profile}`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    return res.ok ? ((await res.json()) as StreamStatus) : undefined;
  };
  const until = <T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 15_000) =>
    untilTrue(what, f, timeoutMs);

  const audits = async (action: string, targetId: string) =>
    (
      await db.query<{ result: string; reason: string; detail: Record<string, unknown> }>(
        'SELECT result, reason, detail FROM audit_log WHERE action = $1 AND target_id = $2 ORDER BY seq',
        [action, targetId],
      )
    ).rows;
  const firstCamera = async (sourceId: string) =>
    until('the catalogue', async () => {
      const { rows } = await db.query<{ id: string; external_id: string }>(
        `SELECT id, external_id FROM cameras WHERE source_id = $1 ORDER BY external_id LIMIT 1`,
        [sourceId],
      );
      return rows[0];
    });
  const startSim = (deviceId: string, password: string, transport: 'udp' | 'tcp') => {
    const s = new GbSim(
      [
        ...['--server', `127.0.0.1:${sipPort}`, '--domain', DOMAIN, '--device-id', deviceId],
        ...['--channels', '2', '--civil-code', '320402', '--transport', transport],
        ...['--keepalive', '5'],
      ],
      { password },
    );
    sims.push(s);
    return s;
  };

  it('POST live INVITEs the channel (TCP passive), the node goes live at 640×360 with every start-up step in order; a new viewer gets IFameCmd; idle → BYE', async () => {
    const sim = startSim(PLATFORM, 'live-pass-1', 'udp');
    expect((await sim.waitFor((e) => e.event === 'register', 30_000)).status).toBe(200);
    const cam = await firstCamera(sources.platform as string);
    const t0 = Date.now();
    const res = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/live`, { profile: 'main' });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as LiveAnswer;
    expect(answer.nodeUrl).toBe(mediaUrl);
    const invite = await sim.waitFor((e) => e.event === 'invite');
    expect(invite).toMatchObject({ channel: cam.external_id, transport: 'tcp-passive' });
    const s0 = await status(cam.id);
    expect(s0?.gbMedia).toMatchObject({ transport: 'tcp-passive', ip: '127.0.0.1' });
    expect(invite.target).toBe(`127.0.0.1:${s0?.gbMedia?.port}`);
    expect(invite.ssrc).toBe(s0?.gbMedia?.ssrc);
    // y= SSRC: 0 (live) + digits 4–8 of our domain 3204000000 (40000) + a 4-digit sequence.
    expect(String(invite.ssrc)).toMatch(/^040000\d{4}$/);
    expect(invite.subject).toBe(`${cam.external_id}:${invite.ssrc},${SERVER_ID}:0`);
    await sim.waitFor((e) => e.event === 'stream-start');

    const live = await until('live at 640×360', async () => {
      const s = await status(cam.id);
      return (
        s?.state === 'live' &&
        s.width === 640 &&
        s.height === 360 &&
        s.timeline.first_producer_packet !== undefined &&
        s
      );
    });
    expect(live.gbMedia?.awaitingMedia).toBe(false);
    const times = STEPS.map((k) => live.timeline[k]);
    for (const t of times) expect(typeof t).toBe('number');
    for (let i = 1; i < times.length; i++)
      expect(times[i] as number).toBeGreaterThanOrEqual(times[i - 1] as number);
    expect(times[0] as number).toBeGreaterThanOrEqual(t0);
    // INVITE → first key frame at the producer, as the benchmark measures it.
    expect(
      (live.timeline.first_producer_packet as number) - (live.timeline.invite_sent as number),
    ).toBeLessThan(5000);
    const invited = await audits('gb.invite', cam.id);
    expect(invited.map((a) => [a.result, a.reason])).toEqual([['ok', 'invited']]);

    // A BYE with the dialog's Call-ID from another port of the device's address (not its
    // registration flow): 403, audited, and the stream goes on (ADR 0009).
    const [dialog] = app.gb.streams.dialogs();
    const forger = new RawUa({ host: '127.0.0.1', port: sipPort });
    await forger.open();
    try {
      const forged = await forger.request(deviceBye(forger, dialog?.callId ?? '', cam.external_id));
      expect(forged.status).toBe(403);
    } finally {
      forger.close();
    }
    expect(app.gb.streams.dialogs().map((d) => d.callId)).toEqual([dialog?.callId]);
    expect(
      (await audits('gb.request', sources.platform as string)).map((a) => [
        a.result,
        a.reason,
        a.detail.method,
      ]),
    ).toEqual([['deny', 'flow_mismatch', 'BYE']]);
    expect((await status(cam.id))?.state).toBe('live');

    // A second viewer shares the dialog: no second INVITE.
    const again = await call('police.dispatcher', 'POST', `/api/cameras/${cam.id}/live`, { profile: 'main' });
    expect(again.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.events.filter((e) => e.event === 'invite')).toHaveLength(1);

    // A viewer consuming makes the node ask for a key frame: the device gets IFameCmd.
    const since = sim.events.length;
    const viewer = await consumeLive(answer);
    const kf = await sim.waitFor((e) => e.event === 'keyframe', 5000, since);
    expect(kf).toMatchObject({ channel: cam.external_id, streams: 1 });
    await sim.waitFor((e) => e.event === 'keyframe-sent', 5000, since);

    // Last viewer gone → the node's idle stop → BYE to the device.
    viewer.disconnect();
    const bye = await sim.waitFor((e) => e.event === 'bye', IDLE_MS + 10_000, since);
    expect(bye).toMatchObject({ channel: cam.external_id });
    expect(bye.frames as number).toBeGreaterThan(10);
    expect(await status(cam.id)).toBeUndefined();
    await until('BYE audited', async () => (await audits('gb.bye', cam.id)).length === 1);
    expect((await audits('gb.bye', cam.id)).map((a) => [a.result, a.reason, a.detail.status])).toEqual([
      ['ok', 'idle', 200],
    ]);
    expect(app.gb.streams.dialogs()).toEqual([]);
  });

  it('UDP media when the source asks for it; the stream restarts with a new INVITE after a BYE', async () => {
    const sim = startSim(UDP_PLATFORM, 'live-pass-2', 'tcp');
    expect((await sim.waitFor((e) => e.event === 'register', 30_000)).status).toBe(200);
    const cam = await firstCamera(sources.udp as string);
    const res = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/live`, { profile: 'sub' });
    expect(res.statusCode).toBe(200);
    const invite = await sim.waitFor((e) => e.event === 'invite');
    expect(invite).toMatchObject({ transport: 'udp', channel: cam.external_id });
    const live = await until('UDP stream live', async () => {
      const s = await status(cam.id, 'sub');
      return s?.state === 'live' && s.width === 640 && s;
    });
    expect(live.gbMedia?.transport).toBe('udp');
    await sim.waitFor((e) => e.event === 'bye', IDLE_MS + 10_000);
    // The next viewer starts it again: a new INVITE.
    const next = await call('eoc.operator', 'POST', `/api/cameras/${cam.id}/live`, { profile: 'sub' });
    expect(next.statusCode).toBe(200);
    await until('second INVITE', async () => sim.events.filter((e) => e.event === 'invite').length === 2);
  });

  it('a device that does not answer the INVITE: 503 unavailable:dependency after 5 s, audited, no token', async () => {
    const ua = new RawUa({ host: '127.0.0.1', port: sipPort });
    await ua.open();
    try {
      const reg = await digestRegister(ua, {
        deviceId: SILENT_DEVICE,
        password: 'live-pass-3',
        domain: DOMAIN,
        serverId: SERVER_ID,
      });
      expect(reg.final.status).toBe(200);
      // Its catalogue query goes unanswered; file one channel as an administrator would.
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO cameras (source_id, external_id, name, lon, lat, district_code, site_category, location_kind, grade, state, profiles)
         VALUES ($1, '32040200001310000099', '不应答通道', 119.98, 31.79, '320402', 'transport', 'road', 1, 'accepted', '{"main": {}}')
         RETURNING id`,
        [sources.silent],
      );
      const camId = rows[0]?.id as string;
      const t0 = Date.now();
      const res = await call('eoc.operator', 'POST', `/api/cameras/${camId}/live`, { profile: 'main' });
      const took = Date.now() - t0;
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        code: 'unavailable:dependency',
        message: 'the GB/T 28181 device did not answer the INVITE within 5 s',
      });
      expect(took).toBeGreaterThanOrEqual(5000);
      expect(took).toBeLessThan(9000);
      // The INVITE reached the device (retransmitted over UDP), unanswered.
      const invites = ua.inbox.filter((m) => m.kind === 'request' && m.method === 'INVITE');
      expect(invites.length).toBeGreaterThanOrEqual(3);
      expect(new Set(invites.map((m) => gb.getHeader(m, 'Call-ID'))).size).toBe(1);
      expect((await audits('gb.invite', camId)).map((a) => [a.result, a.reason])).toEqual([
        ['error', 'timeout'],
      ]);
      expect((await audits('stream.token', camId)).map((a) => [a.result, a.reason])).toEqual([
        ['ok', 'issued'],
        ['error', 'withheld:unavailable:dependency'],
      ]);
    } finally {
      ua.close();
    }
  });

  it('a GB camera of an offline device: 503 before any INVITE', async () => {
    const { rows } = await db.query<{ id: string }>(
      `SELECT c.id FROM cameras c WHERE c.source_id = $1 LIMIT 1`,
      [sources.platform],
    );
    const sim = sims[0] as GbSim;
    await sim.stop();
    await until('offline', async () => !app.gb.devices.online(PLATFORM));
    const res = await call('eoc.operator', 'POST', `/api/cameras/${rows[0]?.id}/live`, { profile: 'main' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ message: 'the camera’s GB/T 28181 device is offline' });
  });
});

/** A BYE as a device ends a dialog with it (From: the channel, as the INVITE's To). */
function deviceBye(ua: RawUa, callId: string, channelId: string): gb.SipRequest {
  return {
    kind: 'request',
    method: 'BYE',
    uri: `sip:${SERVER_ID}@127.0.0.1`,
    headers: [
      { name: 'Via', value: ua.via() },
      { name: 'From', value: `<sip:${channelId}@${DOMAIN}>;tag=${randomBytes(4).toString('hex')}` },
      { name: 'To', value: `<sip:${SERVER_ID}@${DOMAIN}>` },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: '2 BYE' },
      { name: 'Max-Forwards', value: '70' },
    ],
    body: new Uint8Array(0),
  };
}
