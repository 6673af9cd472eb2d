import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type RecordedSegment, recordingVerifyReportSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { fileStorage, insertSegment, verifyRecordings } from '../src/recordings/index.ts';
import { recordedRanges } from '../src/recordings/repository.ts';
import {
  injectAs,
  isolatedRedisUrl,
  openReferenceDatabase,
  REDIS_DB,
  signInTo,
  verifyCli,
} from './services.ts';

// The verifier's search for orphan files (R-REC-2): files under the recording directory that no
// index row names — in the media node's layout or not — past the grace period, in the scope asked;
// through the function, GET /api/recordings/verify (audited) and the CLI, against real PostgreSQL;
// and the timeline's window read over the same rows (its start_at bound from below).
const PASSWORD = 'demo-password-recording-orphans';
const ORIGIN = 'http://127.0.0.1:3000';
const SEG_MS = 2000;
const T0 = Date.UTC(2026, 10, 3, 23, 59, 56); // the chain crosses midnight: two day directories

describe('recordings: orphan files in the recording directory', () => {
  let db: Db;
  let url: string;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  const dir = mkdtempSync(join(tmpdir(), 'wall-rec-orphans-'));
  const redis = new Redis(isolatedRedisUrl(REDIS_DB.recordingOrphans), { lazyConnect: true });
  let cams: string[] = [];

  const keyOf = (cameraId: string, profile: string, startMs: number) =>
    `${cameraId}/${profile}/${new Date(startMs).toISOString().slice(0, 10)}/${startMs}.mp4`;
  const write = (key: string, ageMs: number) => {
    const bytes = randomBytes(200);
    const path = join(dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    const at = (Date.now() - ageMs) / 1000;
    utimesSync(path, at, at);
    return bytes;
  };
  /** `n` segments in the media node's layout, files written (old) and indexed. */
  const record = async (cameraId: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const startMs = T0 + i * SEG_MS;
      const storageKey = keyOf(cameraId, 'main', startMs);
      const bytes = write(storageKey, 3_600_000);
      const s: RecordedSegment = {
        kind: 'segment',
        node: 'node-orphans',
        cameraId,
        profile: 'main',
        startMs,
        endMs: startMs + SEG_MS,
        durationMs: SEG_MS,
        frames: 50,
        bytes: bytes.length,
        initBytes: 32,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        storageKey,
        codec: 'h264',
      };
      expect(await db.transaction((tx) => insertSegment(tx, s))).toBe('indexed');
    }
  };

  beforeAll(async () => {
    ({ db, url, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:8554', simulatedCameras: 0, password: PASSWORD });
    await redis.connect();
    cams = (
      await db.query<{ id: string }>(`SELECT id FROM cameras WHERE state = 'in_service' ORDER BY id LIMIT 3`)
    ).rows.map((r) => r.id);
    const config = gatewayEnvSchema.parse({
      POLICY_CACHE_TTL_MS: '0',
      RECORDING_DIR: dir,
      RECORDING_INDEX_ENABLED: 'false',
      RECORDING_SWEEP_INTERVAL_S: '0',
      RECORDING_ORPHAN_GRACE_S: '120',
    });
    app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
    await record(cams[0] as string, 4);
    await record(cams[1] as string, 2);
  });

  afterAll(async () => {
    await app?.close();
    redis.disconnect();
    await db?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds none while every file is indexed', async () => {
    const r = await verifyRecordings(db, { storage: fileStorage(dir) });
    expect(r).toMatchObject({
      ok: true,
      chains: 2,
      segments: 6,
      problemCount: 0,
      orphanFiles: 0,
      orphans: [],
    });
  });

  it('names files no row names once they are past the grace period, with the node of the rows beside them', async () => {
    const cam0 = cams[0] as string;
    const stray = keyOf(cam0, 'main', T0 + 100 * SEG_MS);
    write(stray, 10 * 60_000);
    // A crash's temporary file beside the segments, and a file with no camera at all.
    const temp = `${cam0}/main/2026-11-04/.3f9a1c.tmp`;
    write(temp, 10 * 60_000);
    write('lost+found/copy.mp4', 10 * 60_000);
    // A segment in flight (written, not indexed yet): within the grace.
    write(keyOf(cam0, 'main', T0 + 200 * SEG_MS), 5_000);

    const r = await verifyRecordings(db, { storage: fileStorage(dir), orphanGraceMs: 120_000 });
    expect(r.ok).toBe(false);
    expect(r.firstBroken).toBeNull(); // the chains themselves are intact
    expect(r.orphanFiles).toBe(3);
    expect(r.problemCount).toBe(3);
    expect(r.orphans.map((o) => [o.kind, o.storageKey, o.segmentId, o.node]).sort()).toEqual(
      [
        ['orphan_file', stray, null, 'node-orphans'],
        ['orphan_file', temp, null, 'node-orphans'],
        ['orphan_file', 'lost+found/copy.mp4', null, ''],
      ].sort(),
    );
    expect(r.orphans.find((o) => o.storageKey === stray)?.startAt).toBe(
      new Date(T0 + 100 * SEG_MS).toISOString(),
    );
    // With no grace the segment in flight counts too.
    expect((await verifyRecordings(db, { storage: fileStorage(dir), orphanGraceMs: 0 })).orphanFiles).toBe(4);
    // Rows only: the directory is not searched.
    expect(await verifyRecordings(db, {})).toMatchObject({ ok: true, orphanFiles: 0 });
  });

  it('searches only the scope asked: camera, profile, time', async () => {
    const cam0 = cams[0] as string;
    const cam1 = cams[1] as string;
    const storage = fileStorage(dir);
    const keys = async (o: Parameters<typeof verifyRecordings>[1]) =>
      (await verifyRecordings(db, { storage, ...o })).orphans.map((x) => x.storageKey).sort();
    expect(await keys({ cameraId: cam1 })).toEqual([]);
    expect(await keys({ cameraId: cam0.toUpperCase() })).toHaveLength(2);
    expect(await keys({ cameraId: cam0, profile: 'sub' })).toEqual([]);
    // By start time (from the file's name): files outside the node's layout have none.
    expect(await keys({ from: new Date(T0 + 50 * SEG_MS) })).toEqual([
      keyOf(cam0, 'main', T0 + 100 * SEG_MS),
    ]);
    expect(await keys({ to: new Date(T0 + 50 * SEG_MS) })).toEqual([]);
    // Another camera's orphan in its own profile directory.
    const sub = keyOf(cam1, 'sub', T0);
    write(sub, 10 * 60_000);
    expect(await keys({ profile: 'sub' })).toEqual([sub]);
    rmSync(join(dir, sub));
  });

  it('answers auditors on GET /api/recordings/verify with the orphans (audited) and the CLI exits 1 naming them', async () => {
    const cam0 = cams[0] as string;
    const auditor = await signInTo(app, ORIGIN, 'auditor', PASSWORD);
    const res = await injectAs(app, ORIGIN, auditor, 'GET', `/api/recordings/verify?cameraId=${cam0}`);
    expect(res.statusCode).toBe(200);
    const report = recordingVerifyReportSchema.parse(res.json());
    expect(report).toMatchObject({ ok: false, firstBroken: null, orphanFiles: 2, problemCount: 2 });
    const audit = (
      await db.query<{ reason: string | null; detail: Record<string, unknown> }>(
        `SELECT reason, detail FROM audit_log WHERE action = 'recording.verify' ORDER BY seq DESC LIMIT 1`,
      )
    ).rows[0];
    expect(audit?.reason).toBe('2 orphan files');
    expect(audit?.detail).toMatchObject({ ok: false, orphanFiles: 2 });

    const cli = (...args: string[]) => verifyCli(url, dir, ...args);
    const broken = cli('--camera', cam0);
    expect(broken.status, broken.stderr).toBe(1);
    expect(broken.stdout).toMatch(
      /^recordings BROKEN: 4 segments in 1 camera profiles, 2 problems; files re-hashed under .*, 2 orphan files/,
    );
    expect(broken.stdout).toContain(
      `orphan_file ${keyOf(cam0, 'main', T0 + 100 * SEG_MS)} (node node-orphans)`,
    );
    // A grace longer than the files' age: none yet.
    expect(cli('--camera', cam0, '--orphan-grace', '3600').status).toBe(0);
    expect(cli('--camera', cams[1] as string).status).toBe(0);
  });

  it('reads a window’s ranges with the segment running into it and none that ended before it', async () => {
    const cam0 = cams[0] as string;
    const ranges = (from: number, to: number) =>
      recordedRanges(db, cam0, 'main', new Date(from), new Date(to)).then((r) =>
        r.map((x) => [x.from.getTime() - T0, x.to.getTime() - T0, x.segments]),
      );
    // From inside the first segment (it started 1 s before the window) to inside the second.
    expect(await ranges(T0 + 1000, T0 + 3000)).toEqual([[0, 2 * SEG_MS, 2]]);
    expect(await ranges(T0 - 60_000, T0 + 60_000)).toEqual([[0, 4 * SEG_MS, 4]]);
    // Windows after the end and before the start: nothing.
    expect(await ranges(T0 + 4 * SEG_MS, T0 + 3_600_000)).toEqual([]);
    expect(await ranges(T0 - 3_600_000, T0)).toEqual([]);
  });
});
