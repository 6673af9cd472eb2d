import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingTimelineSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RtspSim, startRtspSim } from '../../media-server/test/support.ts';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import {
  injectAs,
  isolatedRedisUrl,
  openReferenceDatabase,
  REDIS_DB,
  signInTo,
  startMediaNode,
  type TestMediaNode,
  until,
} from './services.ts';

// The whole recording path: the gateway's plan → the media node records its simulated cameras
// without any viewer → the events on the Redis stream → the gateway's index (chained) → the
// timeline and the verifier, over the same files. A camera leaving service leaves the plan.
const REDIS_URL = isolatedRedisUrl(REDIS_DB.recordingPlan);
const PASSWORD = 'demo-password-recording-plan';
const ORIGIN = 'http://127.0.0.1:3000';

describe('recording plan: the gateway tells the media node what to record, and indexes what it recorded', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let sim: RtspSim;
  let media: TestMediaNode;
  const dir = mkdtempSync(join(tmpdir(), 'wall-recording-plan-'));
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const redis = new Redis(REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    sim = await startRtspSim({ count: 2, gop: 25 });
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: sim.url, simulatedCameras: 2, password: PASSWORD });
    await redis.connect();
    await redis.flushdb();
    media = await startMediaNode({
      redis,
      redisUrl: REDIS_URL,
      nodeId: `plan-${randomBytes(3).toString('hex')}`,
      port: await freePort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: {
        RTC_MIN_PORT: '48100',
        RTC_MAX_PORT: '48199',
        WEBRTC_PORT: '21840',
        RECORDING_DIR: dir,
        RECORDING_SEGMENT_S: '2',
        RECORDING_MIN_FREE_BYTES: '0',
      },
    });
    const config = gatewayEnvSchema.parse({
      STREAM_TOKEN_PUBLIC_KEY: jwk.x,
      STREAM_TOKEN_PRIVATE_KEY: jwk.d,
      MEDIA_CONTROL_SECRET: secret,
      RECORDING_PLAN: 'simulated',
      RECORDING_PLAN_PROFILE: 'sub',
      RECORDING_DIR: dir,
      POLICY_CACHE_TTL_MS: '0',
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
    rmSync(dir, { recursive: true, force: true });
  });

  const recorded = async () => {
    const res = await fetch(`${media.url}/control/recordings`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { recordings: { cameraId: string; profile: string }[] }).recordings;
  };
  const simCamera = async (n: number) =>
    (await db.query<{ id: string }>(`SELECT id FROM cameras WHERE external_id = $1`, [`cam0${n}`])).rows[0]
      ?.id ?? '';
  const segments = async (cameraId: string) =>
    (
      await db.query<{ sha256: string; prev_sha256: string | null }>(
        `SELECT sha256, prev_sha256 FROM recording_segments WHERE camera_id = $1 AND profile = 'sub' ORDER BY start_at`,
        [cameraId],
      )
    ).rows;

  it('records the simulated cameras without a viewer, indexes the chained segments, and shows and verifies them', async () => {
    const cam1 = await simCamera(1);
    const cam2 = await simCamera(2);
    expect(app.recordingPlanner).not.toBeNull();
    await app.recordingPlanner?.reconcile();
    // The plan holds exactly the simulated in-service cameras, sub profile.
    expect((await recorded()).map((r) => `${r.cameraId}/${r.profile}`).sort()).toEqual(
      [`${cam1}/sub`, `${cam2}/sub`].sort(),
    );
    // Segments of 2 s arrive in the index, chained, with nobody watching.
    const rows = await until(
      'three indexed segments of cam01',
      async () => {
        const r = await segments(cam1);
        return r.length >= 3 ? r : undefined;
      },
      40_000,
    );
    expect(rows[0]?.prev_sha256 ?? null).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_sha256).toBe(rows[i - 1]?.sha256);

    // A certified police user sees the recorded range on the timeline.
    const police = await signInTo(app, ORIGIN, 'police.dispatcher', PASSWORD);
    const from = new Date(Date.now() - 10 * 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const timeline = await injectAs(
      app,
      ORIGIN,
      police,
      'GET',
      `/api/cameras/${cam1}/recordings?profile=sub&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    expect(timeline.statusCode, timeline.body).toBe(200);
    const seen = recordingTimelineSchema.parse(timeline.json());
    expect(seen).toMatchObject({ cameraId: cam1, profile: 'sub', emergency: false, gaps: [], holds: [] });
    // One continuous range holding every indexed segment so far (more may have come since).
    expect(seen.ranges).toHaveLength(1);
    expect(seen.ranges[0]?.segments).toBeGreaterThanOrEqual(rows.length);

    // The verifier re-hashes the media node's files through the same directory: intact.
    const auditor = await signInTo(app, ORIGIN, 'auditor', PASSWORD);
    const verdict = await injectAs(
      app,
      ORIGIN,
      auditor,
      'GET',
      `/api/recordings/verify?cameraId=${cam1}&profile=sub`,
    );
    expect(verdict.statusCode, verdict.body).toBe(200);
    expect(verdict.json()).toMatchObject({ ok: true });
  });

  it('drops a camera that leaves service from the node’s plan at the next pass', async () => {
    const cam2 = await simCamera(2);
    const admin = await signInTo(app, ORIGIN, 'admin', PASSWORD);
    const removed = await injectAs(app, ORIGIN, admin, 'DELETE', `/api/cameras/${cam2}`);
    expect(removed.statusCode, removed.body).toBeLessThan(300);
    await app.recordingPlanner?.reconcile();
    expect((await recorded()).map((r) => r.cameraId)).toEqual([await simCamera(1)]);
  });
});
