import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RtspSim, startRtspSim } from '../../media-server/test/rtsp-sim.ts';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import {
  isolatedRedisUrl,
  openReferenceDatabase,
  signInTo,
  startMediaNode,
  type TestMediaNode,
} from './services.ts';

// Redis database 7: placement reads every media node in `media:nodes`; only this file's node may be there.
const REDIS_URL = isolatedRedisUrl(7);

const PASSWORD = 'demo-password-live-1';
const ORIGIN = 'http://127.0.0.1:3000';

describe('live access: policy → audit → placement → ingest → stream token (real media node)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let sim: RtspSim;
  let media: TestMediaNode;
  let mediaUrl: string;
  const nodeId = `gw-test-${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const redis = new Redis(REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    sim = await startRtspSim({ count: 2, gop: 25 });
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: sim.url, simulatedCameras: 2, password: PASSWORD });
    await redis.connect();
    media = await startMediaNode({
      redis,
      redisUrl: REDIS_URL,
      nodeId,
      port: await freePort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: { RTC_MIN_PORT: '47900', RTC_MAX_PORT: '47999', WEBRTC_PORT: '47890' },
    });
    mediaUrl = media.url;
    const config = gatewayEnvSchema.parse({
      STREAM_TOKEN_PUBLIC_KEY: jwk.x,
      STREAM_TOKEN_PRIVATE_KEY: jwk.d,
      MEDIA_CONTROL_SECRET: secret,
    });
    app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
  });

  afterAll(async () => {
    await app?.close();
    await media?.stop();
    redis.disconnect();
    await db?.close();
    await drop?.();
    await sim?.close();
  });

  const signIn = (username: string) => signInTo(app, ORIGIN, username, PASSWORD);
  const live = (s: { sid: string; csrf: string }, cameraId: string, profile = 'sub') =>
    app.inject({
      method: 'POST',
      url: `/api/cameras/${cameraId}/live`,
      cookies: { wall_sid: s.sid },
      headers: { origin: ORIGIN, 'x-csrf-token': s.csrf },
      payload: { profile },
    });
  const simCamera = async (n: number) =>
    (await db.query<{ id: string }>(`SELECT id FROM cameras WHERE external_id = $1`, [`cam0${n}`])).rows[0]
      ?.id ?? '';
  const streams = async () =>
    (
      (await (
        await fetch(`${mediaUrl}/control/streams`, { headers: { authorization: `Bearer ${secret}` } })
      ).json()) as {
        streams: { cameraId: string }[];
      }
    ).streams;
  const auditRows = async (targetId: string) =>
    (
      await db.query<{ action: string; result: string; reason: string; actor_name: string }>(
        'SELECT action, result, reason, actor_name FROM audit_log WHERE target_id = $1 ORDER BY seq',
        [targetId],
      )
    ).rows;

  it('issues a short-lived token for the node that now ingests the camera, and audits it', async () => {
    const s = await signIn('eoc.operator');
    const cam = await simCamera(1);
    const res = await live(s, cam);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { token: string; nodeUrl: string; expiresAt: string; emergency: boolean };
    expect(body.nodeUrl).toBe(mediaUrl);
    expect(body.emergency).toBe(false);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ cam, prof: 'sub', aud: nodeId });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(60);
    expect(Date.parse(body.expiresAt)).toBe(claims.exp * 1000);
    expect((await streams()).map((x) => x.cameraId)).toContain(cam);
    // The node accepts the token: its snapshot answers for this camera (once a key frame is in).
    let snap = 0;
    for (let i = 0; i < 50 && snap !== 200; i++) {
      snap = (await fetch(`${mediaUrl}/snapshot/${cam}?profile=sub&token=${body.token}`)).status;
      if (snap !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(snap).toBe(200);
    expect(await auditRows(cam)).toEqual([
      { action: 'camera.live', result: 'allow', reason: 'allowed', actor_name: 'eoc.operator' },
      { action: 'stream.token', result: 'ok', reason: 'issued', actor_name: 'eoc.operator' },
    ]);
  });

  it('denies without starting an ingest or issuing a token, and audits the denial', async () => {
    const s = await signIn('urban.admin');
    const cam = await simCamera(2);
    const before = (await streams()).map((x) => x.cameraId);
    const res = await live(s, cam);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ code: expect.stringMatching(/^forbidden:/), message: expect.any(String) });
    expect(res.json().token).toBeUndefined();
    expect((await streams()).map((x) => x.cameraId)).toEqual(before);
    expect(before).not.toContain(cam);
    const rows = await auditRows(cam);
    expect(rows).toEqual([
      { action: 'camera.live', result: 'deny', reason: res.json().code, actor_name: 'urban.admin' },
    ]);
  });

  it('opens private cameras to the command centre only inside a major incident (Art. 12 ¶1), marked as emergency', async () => {
    const s = await signIn('eoc.operator');
    const { rows } = await db.query<{ id: string; lon: number; lat: number }>(
      `SELECT c.id, c.lon, c.lat FROM cameras c JOIN source_systems src ON src.id = c.source_id
        WHERE src.funding = 'private' AND c.state = 'in_service' AND c.grade <= 3 ORDER BY c.external_id LIMIT 1`,
    );
    const cam = rows[0];
    expect(cam).toBeDefined();
    if (!cam) return;
    expect((await live(s, cam.id)).json().code).toBe('forbidden:private');
    const open = (level: number) =>
      app.inject({
        method: 'POST',
        url: '/api/incidents',
        cookies: { wall_sid: s.sid },
        headers: { origin: ORIGIN, 'x-csrf-token': s.csrf },
        payload: { title: `演练 ${level}`, level, lon: cam.lon, lat: cam.lat, radiusM: 500 },
      });
    // A level Ⅲ incident is not a major one: still closed.
    const minor = await open(3);
    expect(minor.statusCode).toBe(201);
    expect((await live(s, cam.id)).json().code).toBe('forbidden:private');
    const major = await open(2);
    expect(major.statusCode).toBe(201);
    const granted = await live(s, cam.id);
    expect(granted.statusCode).toBe(200);
    expect(granted.json().emergency).toBe(true);
    const claims = JSON.parse(Buffer.from(granted.json().token.split('.')[1], 'base64url').toString());
    expect(claims.emg).toBe(true);
    const allow = await db.query<{ reason: string; emergency: boolean; detail: { incidentId?: string } }>(
      `SELECT reason, emergency, detail FROM audit_log WHERE target_id = $1 AND action = 'camera.live' AND result = 'allow'`,
      [cam.id],
    );
    expect(allow.rows).toEqual([
      {
        reason: 'allowed:emergency',
        emergency: true,
        detail: expect.objectContaining({ incidentId: major.json().id }),
      },
    ]);
    // Closing the incident ends the grant.
    const closed = await app.inject({
      method: 'POST',
      url: `/api/incidents/${major.json().id}/close`,
      cookies: { wall_sid: s.sid },
      headers: { origin: ORIGIN, 'x-csrf-token': s.csrf },
    });
    expect(closed.statusCode).toBe(200);
    expect(closed.json().closedAt).not.toBeNull();
    expect((await live(s, cam.id)).json().code).toBe('forbidden:private');
    // Someone without a command role cannot declare one.
    const other = await signIn('urban.admin');
    const refused = await app.inject({
      method: 'POST',
      url: '/api/incidents',
      cookies: { wall_sid: other.sid },
      headers: { origin: ORIGIN, 'x-csrf-token': other.csrf },
      payload: { title: 'x', level: 1, lon: cam.lon, lat: cam.lat, radiusM: 500 },
    });
    expect(refused.statusCode).toBe(403);
  });

  it('answers 401 without a session, 404 for an unknown camera, 400 for a bad profile', async () => {
    const cam = await simCamera(1);
    expect(
      (await app.inject({ method: 'POST', url: `/api/cameras/${cam}/live`, payload: { profile: 'sub' } }))
        .statusCode,
    ).toBe(401);
    const s = await signIn('eoc.operator');
    expect((await live(s, '00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    expect((await live(s, 'not-a-uuid')).statusCode).toBe(404);
    expect((await live(s, cam, 'hd')).statusCode).toBe(400);
  });
});
