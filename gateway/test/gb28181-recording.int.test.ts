import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { plannedCameraIds } from '../src/recordings/index.ts';
import {
  freeSipPort,
  GB_TEST_DOMAIN,
  GB_TEST_SERVER_ID,
  GbSim,
  gbGatewayEnv,
  gbMediaEnv,
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
  until,
} from './services.ts';

// GB/T 28181 channels recorded by the plan: the gateway keeps one INVITE per planned channel open
// with nobody watching → the real media node records the simulator's PS over RTP → indexed, chained
// segments. A viewer shares that session (the simulator counts INVITEs); the device dropping is a
// source_lost gap and recording resumes on its return; leaving the plan ends the session with a BYE,
// and coming back into it starts with a recording_stopped gap.
const PASSWORD = 'demo-password-gb-recording';
const ORIGIN = 'http://127.0.0.1:3000';
const KEY = randomBytes(32).toString('base64url');
const DOMAIN = GB_TEST_DOMAIN;
const SERVER_ID = GB_TEST_SERVER_ID;
const PLATFORM = '32040200002000000021';
const IDLE_MS = 2000;

type LiveAnswer = { token: string; nodeUrl: string };

describe('GB/T 28181 recording by plan: one session per planned channel, shared with viewers', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let media: TestMediaNode;
  let sim: GbSim;
  let sourceId = '';
  let cam = { id: '', external_id: '' };
  const dir = mkdtempSync(join(tmpdir(), 'wall-gb-recording-'));
  const secret = randomBytes(32).toString('base64url');
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const redisUrl = isolatedRedisUrl(REDIS_DB.gbRecording);
  const redis = new Redis(redisUrl, { lazyConnect: true });
  let admin: TestSession;

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 0, password: PASSWORD });
    await redis.connect();
    await redis.flushdb();
    const base = 43_000 + Math.floor(Math.random() * 50) * 100;
    media = await startMediaNode({
      redis,
      redisUrl,
      nodeId: `gb-rec-${randomBytes(3).toString('hex')}`,
      port: await freeSipPort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: {
        ...gbMediaEnv(base, 21980, IDLE_MS),
        RECORDING_DIR: dir,
        RECORDING_SEGMENT_S: '2',
        RECORDING_MIN_FREE_BYTES: '0',
      },
      readyTimeoutMs: 15_000,
    });
    const sipPort = await freeSipPort();
    const config = gatewayEnvSchema.parse({
      ...gbGatewayEnv({ jwk, controlSecret: secret, sourceKey: KEY, sipPort }),
      RECORDING_PLAN: 'simulated',
      RECORDING_PLAN_PROFILE: 'main',
      RECORDING_DIR: dir,
      POLICY_CACHE_TTL_MS: '0',
    });
    app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
    await app.gb.start();
    admin = await signInTo(app, ORIGIN, 'admin', PASSWORD);
    const owner = (
      await db.query<{ id: string }>(`SELECT id FROM organisations WHERE name = '常州市公安局天宁区分局'`)
    ).rows[0]?.id;
    const filed = await injectAs(app, ORIGIN, admin, 'POST', '/api/sources', {
      name: 'GB 录像测试平台',
      kind: 'gb28181',
      ownerOrgId: owner,
      funding: 'government',
      connection: { deviceId: PLATFORM },
      secret: { password: 'rec-pass-1' },
    });
    expect(filed.statusCode, filed.body).toBe(201);
    sourceId = (filed.json() as { id: string }).id;
    // A simulated platform, as the demo's: what RECORDING_PLAN=simulated records (the gateway's mark).
    await db.query('UPDATE source_systems SET connection = connection || $2::jsonb WHERE id = $1', [
      sourceId,
      JSON.stringify({ trusted: true, simulated: true }),
    ]);
    sim = new GbSim(
      [
        ...['--server', `127.0.0.1:${sipPort}`, '--domain', DOMAIN, '--device-id', PLATFORM],
        ...['--channels', '1', '--civil-code', '320402', '--transport', 'tcp', '--keepalive', '5'],
      ],
      { password: 'rec-pass-1' },
    );
    expect((await sim.waitFor((e) => e.event === 'register', 30_000)).status).toBe(200);
    cam = await until(
      'the catalogue',
      async () =>
        (
          await db.query<{ id: string; external_id: string }>(
            'SELECT id, external_id FROM cameras WHERE source_id = $1',
            [sourceId],
          )
        ).rows[0],
      15_000,
    );
    // In service: the plan records in-service cameras only.
    await db.query(`UPDATE cameras SET state = 'in_service' WHERE id = $1`, [cam.id]);
  }, 90_000);

  afterAll(async () => {
    await sim?.stop();
    await app?.close();
    await media?.stop();
    redis.disconnect();
    await db?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const invites = () => sim.events.filter((e) => e.event === 'invite');
  const segments = async () =>
    (
      await db.query<{ sha256: string; prev_sha256: string | null; start_at: Date }>(
        `SELECT sha256, prev_sha256, start_at FROM recording_segments
          WHERE camera_id = $1 AND profile = 'main' ORDER BY start_at`,
        [cam.id],
      )
    ).rows;
  const gaps = async () =>
    (
      await db.query<{ reason: string; from_at: Date; to_at: Date }>(
        `SELECT reason, from_at, to_at FROM recording_gaps WHERE camera_id = $1 AND profile = 'main' ORDER BY from_at`,
        [cam.id],
      )
    ).rows;
  const moreSegments = (n: number, timeoutMs = 40_000) =>
    until(
      `${n} indexed segments`,
      async () => {
        const r = await segments();
        return r.length >= n ? r : undefined;
      },
      timeoutMs,
    );
  const expectChained = (rows: { sha256: string; prev_sha256: string | null }[]) => {
    expect(rows[0]?.prev_sha256 ?? null).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_sha256).toBe(rows[i - 1]?.sha256);
  };

  it('records a planned GB channel with nobody watching: one INVITE, indexed and chained segments', async () => {
    await app.recordingPlanner?.reconcile();
    const invite = await sim.waitFor((e) => e.event === 'invite', 15_000);
    expect(invite).toMatchObject({ channel: cam.external_id, transport: 'tcp-passive' });
    const rows = await moreSegments(3);
    expectChained(rows);
    expect(invites()).toHaveLength(1);
    expect(app.gb.recordings.keys()).toEqual([`${cam.id}:main`]);
    expect(await gaps()).toEqual([]);
  });

  it('a viewer joining uses the recording’s session: no second INVITE', async () => {
    const police = await signInTo(app, ORIGIN, 'eoc.operator', PASSWORD);
    const res = await injectAs(app, ORIGIN, police, 'POST', `/api/cameras/${cam.id}/live`, {
      profile: 'main',
    });
    expect(res.statusCode, res.body).toBe(200);
    const since = sim.events.length;
    const viewer = await consumeLive(res.json() as LiveAnswer);
    try {
      // The viewer's key frame request reaches the device over the same dialog.
      expect(await sim.waitFor((e) => e.event === 'keyframe', 5000, since)).toMatchObject({
        channel: cam.external_id,
        streams: 1,
      });
      // A few keeper checks later still one INVITE and one dialog.
      await new Promise((r) => setTimeout(r, 4000));
      expect(invites()).toHaveLength(1);
      expect(app.gb.streams.dialogs()).toHaveLength(1);
    } finally {
      viewer.disconnect();
    }
  });

  it('the device dropping is a source_lost gap; recording resumes when it is back, with a new INVITE', async () => {
    const before = (await segments()).length;
    sim.command({ cmd: 'unregister' });
    await sim.waitFor((e) => e.event === 'unregister', 10_000);
    await until('the dialog dropped', async () => app.gb.streams.dialogs().length === 0, 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    sim.command({ cmd: 'register' });
    await until('a second INVITE', async () => invites().length === 2, 20_000);
    const gap = await until(
      'the source_lost gap',
      async () => (await gaps()).find((g) => g.reason === 'source_lost'),
      40_000,
    );
    expect(gap.to_at.getTime() - gap.from_at.getTime()).toBeGreaterThan(2000);
    // Segments go on after the gap, still chained.
    const rows = await until(
      'a segment after the gap',
      async () => {
        const r = await segments();
        return r.length > before && (r.at(-1)?.start_at.getTime() ?? 0) >= gap.to_at.getTime()
          ? r
          : undefined;
      },
      40_000,
    );
    expectChained(rows);
  });

  it('leaving the plan hangs up (BYE); coming back starts with a recording_stopped gap', async () => {
    const since = sim.events.length;
    await db.query(`UPDATE source_systems SET connection = connection - 'simulated' WHERE id = $1`, [
      sourceId,
    ]);
    await app.recordingPlanner?.reconcile();
    expect(app.gb.recordings.keys()).toEqual([]);
    const bye = await sim.waitFor((e) => e.event === 'bye', IDLE_MS + 15_000, since);
    expect(bye).toMatchObject({ channel: cam.external_id });
    await until('no dialog', async () => app.gb.streams.dialogs().length === 0, 5000);
    // Hung up by the node's idle stop once the recorder let go (nobody watches).
    const byes = await until(
      'the BYE audited',
      async () => {
        const { rows } = await db.query<{ reason: string; result: string }>(
          `SELECT reason, result FROM audit_log WHERE action = 'gb.bye' AND target_id = $1 ORDER BY seq`,
          [cam.id],
        );
        return rows.length > 0 ? rows : undefined;
      },
      5000,
    );
    expect(byes.map((b) => [b.result, b.reason])).toEqual([['ok', 'idle']]);
    const invited = invites().length;

    await db.query(
      `UPDATE source_systems SET connection = connection || '{"simulated": true}' WHERE id = $1`,
      [sourceId],
    );
    await app.recordingPlanner?.reconcile();
    await until('an INVITE again', async () => invites().length === invited + 1, 15_000);
    const stopped = await until(
      'the recording_stopped gap',
      async () => (await gaps()).find((g) => g.reason === 'recording_stopped'),
      40_000,
    );
    expect(stopped.to_at.getTime()).toBeGreaterThan(stopped.from_at.getTime());
    expectChained(await segments());
  });

  it('the demo’s simulated GB platform (DEMO_GB_DEVICE_ID): its accepted channels are planned in simulated mode only', async () => {
    await db.query(`UPDATE source_systems SET connection = connection - 'simulated' WHERE id = $1`, [
      sourceId,
    ]);
    await db.query(`UPDATE cameras SET state = 'accepted' WHERE id = $1`, [cam.id]);
    expect(await plannedCameraIds(db, 'simulated')).not.toContain(cam.id);
    expect(await plannedCameraIds(db, 'simulated', PLATFORM)).toContain(cam.id);
    expect(await plannedCameraIds(db, 'simulated', '32040200002000000099')).not.toContain(cam.id);
    // R-REC-1's plan records in-service cameras only.
    expect(await plannedCameraIds(db, 'in_service', PLATFORM)).not.toContain(cam.id);
    expect(await plannedCameraIds(db, 'none', PLATFORM)).toEqual([]);
  });
});
