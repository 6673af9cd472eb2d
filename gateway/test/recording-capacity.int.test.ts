import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CapacityChange, capacityReportSchema, healthSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RtspSim, startRtspSim } from '../../media-server/test/support.ts';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { Realtime } from '../src/realtime/index.ts';
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

// R-REC-3 with a real media node on a small simulated capacity (RECORDING_CAPACITY_BYTES): the
// forecast says shortfall with a date; free space under the minimum stops the lowest-priority
// recording first — an alarm an administrator's socket receives, audited, in the health check —
// and deletes nothing; space back → recording resumes, the stop alarms clear and are told too.
const REDIS_URL = isolatedRedisUrl(REDIS_DB.recordingCapacity);
const PASSWORD = 'demo-password-recording-capacity';
const ORIGIN = 'http://127.0.0.1:3000';
const MB = 1_000_000;
const CAPACITY = 60 * MB;
const MIN_FREE = 10 * MB;

describe('recording capacity: forecast, storage alarms, lowest priority stops first, nothing deleted', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let realtime: Realtime;
  let sim: RtspSim;
  let media: TestMediaNode;
  let admin: Socket;
  const changes: CapacityChange[] = [];
  const nodeId = `cap-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'wall-recording-capacity-'));
  const ballast = join(dir, 'ballast.bin');
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
      nodeId,
      port: await freePort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: {
        RTC_MIN_PORT: '48300',
        RTC_MAX_PORT: '48399',
        WEBRTC_PORT: '21940',
        RECORDING_DIR: dir,
        RECORDING_SEGMENT_S: '2',
        RECORDING_MIN_FREE_BYTES: String(MIN_FREE),
        RECORDING_CAPACITY_BYTES: String(CAPACITY),
      },
    });
    const config = gatewayEnvSchema.parse({
      MEDIA_CONTROL_SECRET: secret,
      RECORDING_PLAN: 'none',
      RECORDING_DIR: dir,
      RECORDING_CAPACITY_CHECK_S: '0',
      RECORDING_CAPACITY_USAGE_MAX_AGE_S: '0',
      POLICY_CACHE_TTL_MS: '0',
    });
    const logger = createLogger('silent', 'gateway');
    app = await buildApp({ config, db, redis, logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    realtime = new Realtime(app.server, {
      config,
      db,
      redis,
      logger,
      walls: app.walls,
      decisions: app.decisions,
    });
    await realtime.ready;
    const s = await signInTo(app, ORIGIN, 'admin', PASSWORD);
    admin = connectClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/realtime`, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: ORIGIN, cookie: `wall_sid=${s.sid}` },
    });
    await new Promise<void>((resolve, reject) => {
      admin.once('connect', resolve);
      admin.once('connect_error', reject);
    });
    admin.on('recording:capacity', (c) => changes.push(c));
  });

  afterAll(async () => {
    admin?.disconnect();
    await realtime?.close();
    await app?.close();
    await media?.stop();
    redis.disconnect();
    await db?.close();
    await drop?.();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const simCamera = async (n: number) =>
    (await db.query<{ id: string }>(`SELECT id FROM cameras WHERE external_id = $1`, [`cam0${n}`])).rows[0]
      ?.id ?? '';
  const segments = async () =>
    (
      await db.query<{ camera_id: string; storage_key: string; start_at: Date }>(
        `SELECT camera_id, storage_key, start_at FROM recording_segments WHERE node = $1 ORDER BY id`,
        [nodeId],
      )
    ).rows;
  const health = async () =>
    healthSchema.parse((await app.inject({ method: 'GET', url: '/healthz' })).json());
  /** Checks until a change is announced whose alarms satisfy `match`. */
  const checkUntil = (what: string, match: (c: CapacityChange) => boolean) =>
    until(
      what,
      async () => {
        const c = await app.recordingCapacity.check();
        return c && match(c) ? c : undefined;
      },
      40_000,
    );
  const auditOf = async (alarm: string) =>
    (
      await db.query<{ reason: string; detail: { state: string } }>(
        `SELECT reason, detail FROM audit_log WHERE action = 'recording.capacity' AND detail ->> 'alarm' = $1 ORDER BY seq`,
        [alarm],
      )
    ).rows.map((r) => r.detail.state);

  it('forecasts a shortfall with a date, stops the lowest priority first when space runs out, deletes nothing, and resumes', async () => {
    const low = await simCamera(1);
    const high = await simCamera(2);
    const plan = await fetch(`${media.url}/control/recordings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        plan: [
          {
            cameraId: low,
            profile: 'sub',
            priority: 10,
            source: { kind: 'rtsp', url: `${sim.url}/cam01/sub` },
          },
          {
            cameraId: high,
            profile: 'sub',
            priority: 90,
            source: { kind: 'rtsp', url: `${sim.url}/cam02/sub` },
          },
        ],
      }),
    });
    expect(plan.status).toBe(200);
    await until(
      'two indexed segments of each camera',
      async () => {
        const rows = await segments();
        return [low, high].every((c) => rows.filter((r) => r.camera_id === c).length >= 2) ? rows : undefined;
      },
      40_000,
    );

    // 1. The forecast: a few MB a minute × 30 days ≫ 60 MB → shortfall, with the date space runs out.
    const change = await checkUntil('a shortfall alarm', (c) =>
      c.raised.some((a) => a.id === `shortfall:${nodeId}`),
    );
    const volume = change.report.volumes.find((v) => v.node === nodeId);
    expect(volume).toMatchObject({ status: 'shortfall', totalBytes: CAPACITY, minFreeBytes: MIN_FREE });
    expect(volume?.cameras.map((c) => c.cameraId).sort()).toEqual([low, high].sort());
    expect(volume?.cameras.every((c) => c.retentionDays === 30 && c.bytesPerDay > 0)).toBe(true);
    expect(volume?.neededBytes).toBeGreaterThan(volume?.usableBytes ?? Number.POSITIVE_INFINITY);
    const runsOut = Date.parse(volume?.runsOutAt ?? '');
    expect(runsOut).toBeGreaterThan(Date.now() - 60_000);
    expect(runsOut).toBeLessThan(Date.now() + 86_400_000); // 50 MB at MBs a minute: within the day
    // The administrator's socket was told; the alarm is audited; the health check fails with the reason.
    await until(
      'the shortfall on the admin socket',
      async () => changes.some((c) => c.raised.some((a) => a.id === `shortfall:${nodeId}`)),
      5000,
    );
    expect(await auditOf(`shortfall:${nodeId}`)).toEqual(['raised']);
    const h1 = await health();
    expect(h1.status).toBe('ok');
    expect(h1.checks['recording-capacity']).toMatchObject({ ok: false, level: 'fail' });
    expect(h1.checks['recording-capacity']?.detail).toContain('needed for retention');
    // The API: administrators and auditors; anyone else refused (and audited).
    const auditor = await signInTo(app, ORIGIN, 'auditor', PASSWORD);
    const read = await injectAs(app, ORIGIN, auditor, 'GET', '/api/recordings/capacity');
    expect(read.statusCode, read.body).toBe(200);
    expect(capacityReportSchema.parse(read.json()).status).toBe('shortfall');
    const police = await signInTo(app, ORIGIN, 'police.dispatcher', PASSWORD);
    const refused = await injectAs(app, ORIGIN, police, 'GET', '/api/recordings/capacity');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden:role');

    // 2. Something else fills the volume: free under the minimum → the lowest priority stops first.
    const before = await segments();
    const used = (await fetchVolume()).totalBytes - (await fetchVolume()).freeBytes;
    writeFileSync(ballast, Buffer.alloc(CAPACITY - used - MIN_FREE / 2));
    const stop = await checkUntil('a recording_stopped alarm', (c) =>
      c.raised.some((a) => a.kind === 'recording_stopped'),
    );
    // The first check that sees a stop sees the lowest priority's (the higher one may have stopped
    // by then too, on the next write: which stopped first is checked below by their times).
    const firstStops = stop.raised.filter((a) => a.kind === 'recording_stopped');
    expect(firstStops.find((a) => a.cameraId === low)).toMatchObject({
      id: `stopped:${nodeId}:${low}:sub`,
      cameraId: low,
      profile: 'sub',
    });
    await until(
      'the stop on the admin socket',
      async () => changes.some((c) => c.raised.some((a) => a.id === `stopped:${nodeId}:${low}:sub`)),
      5000,
    );
    expect(await auditOf(`stopped:${nodeId}:${low}:sub`)).toEqual(['raised']);
    expect((await health()).checks['recording-capacity']).toMatchObject({ ok: false, level: 'fail' });
    // The higher priority stops after it, never before.
    const stopped = await until(
      'both recorders stopped',
      async () => {
        const v = await fetchVolume();
        return v.stopped.length === 2 ? v.stopped : undefined;
      },
      20_000,
    );
    const lowStop = stopped.find((s) => s.cameraId === low);
    const highStop = stopped.find((s) => s.cameraId === high);
    expect(lowStop?.since).toBeLessThanOrEqual(highStop?.since ?? 0);
    // Nothing was deleted: every indexed row is still there, and every file.
    const during = await segments();
    expect(during.length).toBeGreaterThanOrEqual(before.length);
    expect(before.every((b) => during.some((d) => d.storage_key === b.storage_key))).toBe(true);
    expect(during.every((d) => existsSync(join(dir, d.storage_key)))).toBe(true);

    // 3. Space returns: recording resumes, the stops clear (told and audited), a storage_full gap is indexed.
    rmSync(ballast);
    const cleared = await checkUntil('the stop alarms cleared', (c) =>
      c.cleared.some((a) => a.id === `stopped:${nodeId}:${low}:sub`),
    );
    expect(cleared.report.alarms.filter((a) => a.kind === 'recording_stopped')).toEqual([]);
    await until(
      'the clearing on the admin socket',
      async () => changes.some((c) => c.cleared.some((a) => a.id === `stopped:${nodeId}:${low}:sub`)),
      5000,
    );
    expect(await auditOf(`stopped:${nodeId}:${low}:sub`)).toEqual(['raised', 'cleared']);
    const resumedAfter = during.length;
    await until(
      'new segments of both cameras after the resume',
      async () => {
        const rows = (await segments()).slice(resumedAfter);
        return [low, high].every((c) => rows.some((r) => r.camera_id === c));
      },
      40_000,
    );
    const gaps = await until(
      'the storage_full gap of the low-priority camera',
      async () => {
        const { rows } = await db.query<{ camera_id: string }>(
          `SELECT camera_id FROM recording_gaps WHERE node = $1 AND reason = 'storage_full'`,
          [nodeId],
        );
        return rows.some((r) => r.camera_id === low) ? rows : undefined;
      },
      20_000,
    );
    expect(gaps.length).toBeGreaterThanOrEqual(1);
    // Still nothing deleted.
    const after = await segments();
    expect(during.every((d) => after.some((a) => a.storage_key === d.storage_key))).toBe(true);
    expect(after.every((a) => existsSync(join(dir, a.storage_key)))).toBe(true);
  });

  it('a volume whose space returns clears its shortfall: told to administrators and audited', async () => {
    // A second node's heartbeat as a node writes it (protocol MediaNodeInfo), its volume under the minimum.
    const other = `cap-other-${randomBytes(2).toString('hex')}`;
    const beat = async (freeBytes: number) => {
      await redis.set(
        `media:node:${other}`,
        JSON.stringify({
          id: other,
          publicUrl: 'http://127.0.0.1:1',
          controlUrl: 'http://127.0.0.1:1',
          workers: 1,
          streams: 0,
          consumers: 0,
          load: 0,
          heartbeatAt: Date.now(),
          recording: {
            totalBytes: 100 * MB,
            freeBytes,
            minFreeBytes: MIN_FREE,
            measuredAt: Date.now(),
            stopped: [],
          },
        }),
      );
      await redis.sadd('media:nodes', other);
    };
    await beat(MIN_FREE - 1);
    const raised = await checkUntil('the other node short', (c) =>
      c.raised.some((a) => a.id === `shortfall:${other}`),
    );
    expect(raised.raised.find((a) => a.id === `shortfall:${other}`)?.reason).toMatch(/^space ran out/);
    await beat(80 * MB);
    const cleared = await checkUntil('the other node cleared', (c) =>
      c.cleared.some((a) => a.id === `shortfall:${other}`),
    );
    expect(cleared.report.volumes.find((v) => v.node === other)?.status).toBe('ok');
    await until(
      'the clearing on the admin socket',
      async () => changes.some((c) => c.cleared.some((a) => a.id === `shortfall:${other}`)),
      5000,
    );
    expect(await auditOf(`shortfall:${other}`)).toEqual(['raised', 'cleared']);
    await redis.srem('media:nodes', other);
    await redis.del(`media:node:${other}`);
  });

  /** The node's volume as it reports it in its heartbeat. */
  async function fetchVolume() {
    const raw = await redis.get(`media:node:${nodeId}`);
    const info = JSON.parse(raw ?? '{}') as {
      recording?: { totalBytes: number; freeBytes: number; stopped: { cameraId: string; since: number }[] };
    };
    if (!info.recording) throw new Error('the node reports no recording volume');
    return info.recording;
  }
});
