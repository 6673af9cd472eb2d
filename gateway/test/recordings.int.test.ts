import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDING_EVENTS_STREAM, type RecordedSegment, type RecordingTimeline } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { verifyAudit } from '../src/audit/index.ts';
import { gatewayEnvSchema, loadConfig } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import {
  fileStorage,
  insertSegment,
  RECORDING_INDEX_GROUP,
  RecordingIndexWriter,
  RetentionSweeper,
  verifyRecordings,
} from '../src/recordings/index.ts';
import {
  injectAs,
  isolatedRedisUrl,
  openReferenceDatabase,
  REDIS_DB,
  signInTo,
  type TestSession,
  until,
  verifyCli,
} from './services.ts';

const PASSWORD = 'demo-password-recordings-1';
const ORIGIN = 'http://127.0.0.1:3000';
const REDIS_URL = isolatedRedisUrl(REDIS_DB.recordings);
const DAY = 86_400_000;
const SEG_MS = 4000;

// Continuous recording, gateway side (R-REC-1, R-REC-2, R-RET-1, R-RET-3): the index writer on the
// media nodes' event stream, integrity verification, retention and its floor, evidence holds, and
// the playback timeline's policy — against real PostgreSQL and Redis.
describe('recordings: index, integrity, retention, holds, playback', () => {
  let db: Db;
  let url: string;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let dir: string;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  const logger = createLogger('silent', 'gateway');
  const config = (over: Record<string, string> = {}) =>
    gatewayEnvSchema.parse({
      POLICY_CACHE_TTL_MS: '0',
      RECORDING_DIR: dir,
      RECORDING_CONSUMER: 'gw-test-1',
      RECORDING_SWEEP_INTERVAL_S: '0',
      ...over,
    });
  const build = () => buildApp({ config: config(), db, redis, logger });
  /** Government cameras in service in 天宁区 (320402), grade ≤ 2, and one in 武进区 (320412). */
  let cams: { id: string; lon: number; lat: number }[];
  let wujinCam: string;
  let sequence = 0;

  beforeAll(async () => {
    ({ db, url, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:8554', simulatedCameras: 0, password: PASSWORD });
    dir = mkdtempSync(join(tmpdir(), 'wall-rec-'));
    await redis.connect();
    await redis.del(RECORDING_EVENTS_STREAM);
    const gov = (district: string) =>
      db.query<{ id: string; lon: number; lat: number }>(
        `SELECT c.id, c.lon, c.lat FROM cameras c JOIN source_systems s ON s.id = c.source_id
          WHERE s.funding = 'government' AND c.state = 'in_service' AND c.district_code = $1 AND c.grade <= 2
          ORDER BY c.id LIMIT 8`,
        [district],
      );
    cams = (await gov('320402')).rows;
    wujinCam = ((await gov('320412')).rows[0] as { id: string }).id;
    expect(cams.length).toBe(8);
    app = await build();
  });

  afterAll(async () => {
    await app?.close();
    redis.disconnect();
    await db?.close();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cam = (i: number) => (cams[i] as { id: string }).id;
  const signIn = (username: string) => signInTo(app, ORIGIN, username, PASSWORD);
  const get = (s: TestSession, path: string) => injectAs(app, ORIGIN, s, 'GET', path);
  const post = (s: TestSession, path: string, payload?: unknown) =>
    injectAs(app, ORIGIN, s, 'POST', path, payload);
  const put = (s: TestSession, path: string, payload: unknown) =>
    app.inject({
      method: 'PUT',
      url: path,
      cookies: { wall_sid: s.sid },
      headers: { origin: ORIGIN, 'x-csrf-token': s.csrf },
      payload: payload as object,
    });
  const auditOf = async (action: string, actor?: string) =>
    (
      await db.query<{
        actor_name: string;
        result: string;
        reason: string | null;
        target_id: string | null;
        emergency: boolean;
        detail: Record<string, unknown>;
      }>(
        `SELECT actor_name, result, reason, target_id, emergency, detail FROM audit_log
          WHERE action = $1 ${actor ? 'AND actor_name = $2' : ''} ORDER BY seq`,
        actor ? [action, actor] : [action],
      )
    ).rows;

  /** Writes a segment file under the recording dir and returns its event (not yet indexed). */
  const segmentFile = (
    cameraId: string,
    startMs: number,
    profile: 'main' | 'sub' = 'main',
  ): RecordedSegment => {
    sequence += 1;
    const storageKey = `${cameraId}/${profile}/${startMs}-${sequence}.mp4`;
    const bytes = randomBytes(64 + (sequence % 32));
    mkdirSync(dirname(join(dir, storageKey)), { recursive: true });
    writeFileSync(join(dir, storageKey), bytes);
    return {
      kind: 'segment',
      node: 'node-a',
      cameraId,
      profile,
      startMs,
      endMs: startMs + SEG_MS,
      durationMs: SEG_MS,
      frames: 100,
      bytes: bytes.length,
      initBytes: 32,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      storageKey,
      codec: 'h264',
      width: 1920,
      height: 1080,
    };
  };
  /** `n` contiguous segments from `startMs`, files written and indexed directly (no stream). */
  const recordChain = async (cameraId: string, startMs: number, n: number) => {
    const segs: RecordedSegment[] = [];
    for (let i = 0; i < n; i++) {
      const s = segmentFile(cameraId, startMs + i * SEG_MS);
      await db.transaction((tx) => insertSegment(tx, s));
      segs.push(s);
    }
    return segs;
  };
  const rowsOf = async (cameraId: string) =>
    (
      await db.query<{ storage_key: string; sha256: string; prev_sha256: string | null }>(
        'SELECT storage_key, sha256, prev_sha256 FROM recording_segments WHERE camera_id = $1 ORDER BY start_at',
        [cameraId],
      )
    ).rows;
  const xadd = (event: unknown) => redis.xadd(RECORDING_EVENTS_STREAM, '*', 'event', JSON.stringify(event));
  const pendingCount = async () =>
    Number(((await redis.xpending(RECORDING_EVENTS_STREAM, RECORDING_INDEX_GROUP)) as [number])[0]);
  /** Runs SQL as the database's superuser with triggers off: what an intruder with full rights can do. */
  const asIntruder = async (sql: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('SET session_replication_role = replica');
      await c.query(sql, params);
    } finally {
      await c.end();
    }
  };

  describe('index writer', () => {
    const t0 = Date.now() - 3_600_000;

    it('indexes segments and gaps from the stream, chained, once each; malformed events are acked and skipped', async () => {
      const [a, b, c] = [
        segmentFile(cam(0), t0),
        segmentFile(cam(0), t0 + SEG_MS),
        segmentFile(cam(0), t0 + 2 * SEG_MS),
      ];
      await xadd(a);
      await redis.xadd(RECORDING_EVENTS_STREAM, '*', 'event', '{not json');
      await xadd({ ...b, sha256: 'nope' });
      await xadd({ ...b, cameraId: 'not-a-camera-id' });
      await xadd(b);
      await xadd(b); // a duplicate (the node sent it twice)
      await xadd({
        kind: 'gap',
        node: 'node-a',
        cameraId: cam(0),
        profile: 'main',
        fromMs: t0 + 2 * SEG_MS,
        toMs: t0 + 2 * SEG_MS + 1,
        reason: 'source_lost',
        detail: 'rtsp:401',
      });
      await xadd(c);
      const rows = await until(
        'three segments',
        async () => {
          const r = await rowsOf(cam(0));
          return r.length === 3 && (await pendingCount()) === 0 && r;
        },
        15_000,
      );
      expect(rows).toEqual([
        { storage_key: a.storageKey, sha256: a.sha256, prev_sha256: null },
        { storage_key: b.storageKey, sha256: b.sha256, prev_sha256: a.sha256 },
        { storage_key: c.storageKey, sha256: c.sha256, prev_sha256: b.sha256 },
      ]);
      const gaps = await db.query('SELECT reason, detail, node FROM recording_gaps WHERE camera_id = $1', [
        cam(0),
      ]);
      expect(gaps.rows).toEqual([{ reason: 'source_lost', detail: 'rtsp:401', node: 'node-a' }]);
      // Every entry, the malformed ones included, was acked.
      expect(await pendingCount()).toBe(0);
    });

    it('takes up its pending entries after a restart, and a dead gateway’s after they idled', async () => {
      await app.close();
      // Read but never indexed: the gateway died between XREADGROUP and the commit.
      const d = segmentFile(cam(0), t0 + 3 * SEG_MS);
      await xadd(d);
      const read = (await redis.xreadgroup(
        'GROUP',
        RECORDING_INDEX_GROUP,
        'gw-test-1',
        'COUNT',
        10,
        'STREAMS',
        RECORDING_EVENTS_STREAM,
        '>',
      )) as [string, unknown[]][];
      expect(read[0]?.[1]).toHaveLength(1);
      expect(await pendingCount()).toBe(1);
      app = await build();
      await until(
        'the pending segment indexed',
        async () => (await rowsOf(cam(0))).length === 4 && (await pendingCount()) === 0,
        15_000,
      );
      expect((await rowsOf(cam(0)))[3]).toEqual({
        storage_key: d.storageKey,
        sha256: d.sha256,
        prev_sha256: (await rowsOf(cam(0)))[2]?.sha256,
      });

      // Another gateway read one and died; this one's writer takes it over once it idled.
      const e = segmentFile(cam(0), t0 + 4 * SEG_MS);
      await app.close();
      await xadd(e);
      await redis.xreadgroup(
        'GROUP',
        RECORDING_INDEX_GROUP,
        'gw-dead',
        'COUNT',
        10,
        'STREAMS',
        RECORDING_EVENTS_STREAM,
        '>',
      );
      const writer = new RecordingIndexWriter({
        db,
        redis,
        logger,
        consumer: 'gw-test-2',
        claimIdleMs: 300,
        blockMs: 200,
      });
      writer.start();
      try {
        await until(
          'the dead gateway’s entry indexed',
          async () => (await rowsOf(cam(0))).length === 5 && (await pendingCount()) === 0,
          15_000,
        );
      } finally {
        await writer.close();
        await writer.close(); // idempotent
      }
      app = await build();
      expect((await verifyRecordings(db, { cameraId: cam(0), storage: fileStorage(dir) })).ok).toBe(true);
    });
  });

  describe('integrity (R-REC-2)', () => {
    const t0 = Date.now() - 2 * 3_600_000;

    it('names an altered file and a deleted file', async () => {
      const segs = await recordChain(cam(1), t0, 5);
      const storage = fileStorage(dir);
      expect(await verifyRecordings(db, { cameraId: cam(1), storage })).toMatchObject({
        ok: true,
        segments: 5,
        problemCount: 0,
      });
      const s2 = segs[1] as RecordedSegment;
      const s4 = segs[3] as RecordedSegment;
      const original = readFileSync(join(dir, s2.storageKey));
      writeFileSync(join(dir, s2.storageKey), Buffer.concat([original, Buffer.from([0])]));
      rmSync(join(dir, s4.storageKey));
      const report = await verifyRecordings(db, { cameraId: cam(1), storage });
      expect(report.ok).toBe(false);
      expect(report.firstBroken).toMatchObject({
        kind: 'altered',
        storageKey: s2.storageKey,
        cameraId: cam(1),
        profile: 'main',
      });
      expect(report.results[0]?.problems.map((p) => [p.kind, p.storageKey])).toEqual([
        ['altered', s2.storageKey],
        ['missing_file', s4.storageKey],
      ]);
      // Without the files, the rows alone still chain.
      expect((await verifyRecordings(db, { cameraId: cam(1) })).ok).toBe(true);
    });

    it('names the segment after a row deleted or reordered behind the triggers’ back', async () => {
      const segs = await recordChain(cam(2), t0, 6);
      await asIntruder('DELETE FROM recording_segments WHERE storage_key = $1', [
        (segs[2] as RecordedSegment).storageKey,
      ]);
      let report = await verifyRecordings(db, { cameraId: cam(2) });
      expect(report.firstBroken).toMatchObject({
        kind: 'chain_break',
        storageKey: (segs[3] as RecordedSegment).storageKey,
      });

      const more = await recordChain(cam(3), t0, 4);
      const [x, y] = [more[1] as RecordedSegment, more[2] as RecordedSegment];
      // Swap the times of two rows: the order no longer follows the chain.
      await asIntruder(
        `UPDATE recording_segments SET start_at = CASE storage_key WHEN $1 THEN $3::timestamptz ELSE $4::timestamptz END,
                                        end_at = CASE storage_key WHEN $1 THEN $5::timestamptz ELSE $6::timestamptz END
          WHERE storage_key IN ($1, $2)`,
        [
          x.storageKey,
          y.storageKey,
          new Date(y.startMs).toISOString(),
          new Date(x.startMs).toISOString(),
          new Date(y.endMs).toISOString(),
          new Date(x.endMs).toISOString(),
        ],
      );
      report = await verifyRecordings(db, { cameraId: cam(3) });
      expect(report.firstBroken).toMatchObject({ kind: 'chain_break', storageKey: y.storageKey });
    });

    it('answers auditors on GET /api/recordings/verify (audited with the verdict) and refuses others (audited)', async () => {
      const auditor = await signIn('auditor');
      const res = await get(auditor, `/api/recordings/verify?cameraId=${cam(1)}&profile=main`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        ok: false,
        filesChecked: true,
        firstBroken: { kind: 'altered', cameraId: cam(1) },
      });
      const rowsOnly = await get(auditor, `/api/recordings/verify?cameraId=${cam(1)}&files=false`);
      expect(rowsOnly.json()).toMatchObject({ ok: true, filesChecked: false, segments: 5 });
      const police = await signIn('police.dispatcher');
      const refused = await get(police, '/api/recordings/verify');
      expect([refused.statusCode, refused.json().code]).toEqual([403, 'forbidden:role']);
      const rows = await auditOf('recording.verify');
      expect(rows.map((r) => [r.actor_name, r.result, r.reason?.replace(/\d+/, 'N') ?? null])).toEqual([
        ['auditor', 'ok', 'recordings broken at segment N (altered)'],
        ['auditor', 'ok', null],
        ['police.dispatcher', 'deny', 'forbidden:role'],
      ]);
      expect(rows[0]?.detail).toMatchObject({ ok: false, segments: 5, problemCount: 2 });
    });

    it('has a CLI: exit 0 intact, 1 broken (naming the segment), 2 usage', () => {
      const cli = (...args: string[]) => verifyCli(url, dir, ...args);
      const intact = cli('--camera', cam(0));
      expect([intact.status, intact.stdout.split('\n')[0]]).toEqual([
        0,
        expect.stringMatching(/^recordings INTACT: 5 segments in 1 camera profiles, 0 problems/),
      ]);
      const broken = cli('--camera', cam(1), '--profile', 'main');
      expect(broken.status).toBe(1);
      expect(broken.stdout).toMatch(
        new RegExp(`first broken: ${cam(1)}/main segment \\d+ \\S+ \\(altered\\)`),
      );
      expect(cli('--camera', 'nope').status).toBe(2);
      expect(cli('--bogus').status).toBe(2);
    });
  });

  describe('retention (R-REC-1)', () => {
    it('refuses a retention below 30 days in the configuration, the API (audited) and the database', async () => {
      const bad = loadConfig({ RECORDING_RETENTION_DAYS: '29' });
      expect(bad.ok).toBe(false);
      if (!bad.ok)
        expect(bad.problems).toEqual([
          expect.stringMatching(/^RECORDING_RETENTION_DAYS: recordings are kept at least 30 days/),
        ]);
      expect(loadConfig({ RECORDING_RETENTION_DAYS: '30' }).ok).toBe(true);

      const admin = await signIn('admin');
      const low = await put(admin, `/api/cameras/${cam(4)}/retention`, { days: 29 });
      expect([low.statusCode, low.json().code]).toEqual([400, 'invalid:retention_floor']);
      const ok = await put(admin, `/api/cameras/${cam(4)}/retention`, { days: 90 });
      expect([ok.statusCode, ok.json()]).toEqual([200, { cameraId: cam(4), days: 90, effectiveDays: 90 }]);
      const police = await signIn('police.dispatcher');
      const notAdmin = await put(police, `/api/cameras/${cam(4)}/retention`, { days: 60 });
      expect([notAdmin.statusCode, notAdmin.json().code]).toEqual([403, 'forbidden:role']);
      const missing = await put(admin, '/api/cameras/00000000-0000-4000-8000-000000000000/retention', {
        days: 60,
      });
      expect([missing.statusCode, missing.json().code]).toEqual([404, 'not_found:camera']);
      expect(
        (await auditOf('camera.retention')).map((r) => [r.actor_name, r.result, r.reason, r.detail]),
      ).toEqual([
        ['admin', 'deny', 'invalid:retention_floor', { days: 29, floor: 30 }],
        ['admin', 'ok', null, { from: null, to: 90, defaultDays: 30 }],
        ['police.dispatcher', 'deny', 'forbidden:role', { days: 60 }],
        ['admin', 'deny', 'not_found:camera', { days: 60 }],
      ]);
      await expect(
        db.query('UPDATE cameras SET retention_days = 29 WHERE id = $1', [cam(4)]),
      ).rejects.toThrow(/cameras_retention_floor/);
    });

    it('sweeps only expired, unheld segments in batches, files after rows, audits each batch; the chain still verifies', async () => {
      const old = Date.now() - 45 * DAY;
      const keep60 = cam(4); // 90 days since the previous test
      const swept = cam(5);
      const oldSegs = await recordChain(swept, old, 10);
      const young = await recordChain(swept, Date.now() - DAY, 3);
      // The hole between the two is a reported one.
      await db.query(
        `INSERT INTO recording_gaps (camera_id, profile, node, from_at, to_at, reason) VALUES ($1, 'main', 'node-a', $2, $3, 'recording_stopped')`,
        [swept, new Date(old + 10 * SEG_MS).toISOString(), new Date(Date.now() - DAY).toISOString()],
      );
      const kept = await recordChain(keep60, old, 3);
      const s4 = oldSegs[3] as RecordedSegment;
      const s5 = oldSegs[4] as RecordedSegment;
      const police = await signIn('police.dispatcher');
      const hold = await post(police, '/api/recordings/holds', {
        cameraIds: [swept],
        from: new Date(s4.startMs + 1).toISOString(),
        to: new Date(s5.endMs - 1).toISOString(),
        reason: '涉案录像保全',
        caseNumber: 'CZ-2026-0042',
      });
      expect(hold.statusCode).toBe(201);
      expect((await verifyRecordings(db, { cameraId: swept, storage: fileStorage(dir) })).ok).toBe(true);

      const sweeper = new RetentionSweeper({
        db,
        storage: fileStorage(dir),
        logger,
        defaultDays: 30,
        batch: 3,
      });
      const result = await sweeper.sweep();
      expect([result.deleted, result.fileErrors]).toEqual([8, 0]);
      expect((await rowsOf(swept)).map((r) => r.storage_key)).toEqual(
        [s4, s5, ...young].map((s) => s.storageKey),
      );
      expect((await rowsOf(keep60)).length).toBe(3);
      const exists = (s: RecordedSegment) => {
        try {
          readFileSync(join(dir, s.storageKey));
          return true;
        } catch {
          return false;
        }
      };
      expect(oldSegs.map(exists)).toEqual([
        false,
        false,
        false,
        true,
        true,
        false,
        false,
        false,
        false,
        false,
      ]);
      expect(kept.every(exists)).toBe(true);
      const sweeps = await auditOf('recording.sweep');
      expect(sweeps.length).toBeGreaterThanOrEqual(3);
      const chains = sweeps.flatMap(
        (s) =>
          s.detail.cameras as {
            cameraId: string;
            count: number;
            bytes: number;
            lastSha256: string;
            cuts: string[];
          }[],
      );
      expect(chains.every((c) => c.cameraId === swept)).toBe(true);
      expect(chains.reduce((n, c) => n + c.count, 0)).toBe(8);
      expect(chains.reduce((n, c) => n + c.bytes, 0)).toBe(
        oldSegs.filter((_, i) => i !== 3 && i !== 4).reduce((n, s) => n + s.bytes, 0),
      );
      expect(chains.at(-1)?.lastSha256).toBe((oldSegs[9] as RecordedSegment).sha256);
      expect(chains.flatMap((c) => c.cuts)).toEqual(
        expect.arrayContaining([
          (oldSegs[2] as RecordedSegment).sha256,
          (oldSegs[9] as RecordedSegment).sha256,
        ]),
      );
      // The chain still verifies: the deletions are accounted cuts.
      expect(await verifyRecordings(db, { cameraId: swept, storage: fileStorage(dir) })).toMatchObject({
        ok: true,
        segments: 5,
        problemCount: 0,
      });
      expect(await verifyAudit(db)).toMatchObject({ ok: true });

      // The held segments go once the hold is released.
      const released = await post(police, `/api/recordings/holds/${hold.json().id}/release`);
      expect(released.statusCode).toBe(200);
      expect((await sweeper.sweep()).deleted).toBe(2);
      expect([exists(s4), exists(s5)]).toEqual([false, false]);
      expect((await rowsOf(swept)).length).toBe(3);
      expect((await verifyRecordings(db, { cameraId: swept, storage: fileStorage(dir) })).ok).toBe(true);
      await sweeper.close();
      await sweeper.close();
    });
  });

  describe('evidence holds', () => {
    const from = new Date(Date.now() - 5 * DAY).toISOString();
    const to = new Date(Date.now() - 4 * DAY).toISOString();
    const body = (cameraIds: string[], over: Record<string, unknown> = {}) => ({
      cameraIds,
      from,
      to,
      reason: '案件保全',
      caseNumber: 'CZ-2026-0100',
      ...over,
    });

    it('are placed and released by certified police and approvers within their tier, each audited', async () => {
      const chief = await signIn('police.chief');
      const created = await post(chief, '/api/recordings/holds', body([cam(6), cam(7)]));
      expect(created.statusCode).toBe(201);
      const hold = created.json();
      expect(hold).toMatchObject({
        cameraIds: [cam(6), cam(7)].sort(),
        from,
        to,
        caseNumber: 'CZ-2026-0100',
        releasedAt: null,
      });

      const wujinEoc = await signIn('wujin.eoc');
      const noRight = await post(wujinEoc, '/api/recordings/holds', body([wujinCam]));
      expect([noRight.statusCode, noRight.json().code]).toEqual([403, 'forbidden:role']);
      const wujinPolice = await signIn('wujin.police');
      const outOfTier = await post(wujinPolice, '/api/recordings/holds', body([cam(6)]));
      expect([outOfTier.statusCode, outOfTier.json().code]).toEqual([404, 'not_found:camera']);
      const backwards = await post(chief, '/api/recordings/holds', body([cam(6)], { from: to, to: from }));
      expect([backwards.statusCode, backwards.json().code]).toEqual([400, 'invalid:range']);
      const releaseOutOfTier = await post(wujinPolice, `/api/recordings/holds/${hold.id}/release`);
      expect([releaseOutOfTier.statusCode, releaseOutOfTier.json().code]).toEqual([404, 'not_found:hold']);

      const dispatcher = await signIn('police.dispatcher');
      const released = await post(dispatcher, `/api/recordings/holds/${hold.id}/release`);
      expect(released.statusCode).toBe(200);
      expect(released.json().releasedAt).not.toBeNull();
      const again = await post(dispatcher, `/api/recordings/holds/${hold.id}/release`);
      expect([again.statusCode, again.json().code]).toEqual([409, 'conflict:released']);

      const auditor = await signIn('auditor');
      const listed = await get(auditor, `/api/recordings/holds?cameraId=${cam(6)}`);
      expect(listed.json().holds.map((h: { id: string }) => h.id)).toEqual([hold.id]);
      expect((await get(wujinPolice, `/api/recordings/holds?cameraId=${cam(6)}`)).json()).toEqual({
        holds: [],
      });
      expect((await get(wujinEoc, '/api/recordings/holds')).statusCode).toBe(403);

      expect(
        (await auditOf('recording.hold'))
          .filter((r) => r.actor_name !== 'police.dispatcher')
          .map((r) => [r.actor_name, r.result, r.reason]),
      ).toEqual([
        ['police.chief', 'ok', '案件保全'],
        ['wujin.eoc', 'deny', 'forbidden:role'],
        ['wujin.police', 'deny', 'not_found:camera'],
        ['police.chief', 'deny', 'invalid:range'],
      ]);
      expect(
        (await auditOf('recording.hold_release')).slice(-3).map((r) => [r.actor_name, r.result, r.reason]),
      ).toEqual([
        ['wujin.police', 'deny', 'forbidden:tier'],
        ['police.dispatcher', 'ok', null],
        ['police.dispatcher', 'deny', 'conflict:released'],
      ]);
      // The database refuses a backwards hold too.
      await expect(
        db.query(
          `INSERT INTO evidence_holds (from_at, to_at, reason, case_number, created_by)
                  SELECT $1, $2, 'x', 'y', id FROM users LIMIT 1`,
          [to, from],
        ),
      ).rejects.toThrow(/evidence_holds_range/);
    });
  });

  describe('playback timeline (playback:view)', () => {
    const t0 = Date.now() - 30 * 60_000;
    const range = (fromMs: number, toMs: number, profile = 'main') =>
      `profile=${profile}&from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;

    it('shows certified police the ranges, gaps and holds; refuses others with their code; audits each decision', async () => {
      await recordChain(cam(7), t0, 3);
      await recordChain(cam(7), t0 + 60_000, 2);
      await db.query(
        `INSERT INTO recording_gaps (camera_id, profile, node, from_at, to_at, reason, detail) VALUES ($1, 'main', 'node-a', $2, $3, 'source_lost', 'rtsp:timeout')`,
        [cam(7), new Date(t0 + 3 * SEG_MS).toISOString(), new Date(t0 + 60_000).toISOString()],
      );
      const police = await signIn('police.dispatcher');
      const res = await get(police, `/api/cameras/${cam(7)}/recordings?${range(t0 - 60_000, t0 + 120_000)}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        cameraId: cam(7),
        emergency: false,
        ranges: [
          { from: new Date(t0).toISOString(), to: new Date(t0 + 3 * SEG_MS).toISOString(), segments: 3 },
          {
            from: new Date(t0 + 60_000).toISOString(),
            to: new Date(t0 + 60_000 + 2 * SEG_MS).toISOString(),
            segments: 2,
          },
        ],
        gaps: [{ reason: 'source_lost', detail: 'rtsp:timeout' }],
        holds: [],
        incidents: [],
      });
      const eoc = await signIn('eoc.operator');
      const calm = await get(eoc, `/api/cameras/${cam(7)}/recordings?${range(t0, t0 + 60_000)}`);
      expect([calm.statusCode, calm.json().code]).toEqual([403, 'forbidden:retrieval']);
      const wujinPolice = await signIn('wujin.police');
      const hidden = await get(wujinPolice, `/api/cameras/${cam(7)}/recordings?${range(t0, t0 + 60_000)}`);
      expect([hidden.statusCode, hidden.json().code]).toEqual([404, 'not_found:camera']);
      const staff = await signIn('tianning.staff');
      const noBasis = await get(staff, `/api/cameras/${cam(7)}/recordings?${range(t0, t0 + 60_000)}`);
      expect([noBasis.statusCode, noBasis.json().code]).toEqual([403, 'forbidden:retrieval']);

      const backwards = await get(police, `/api/cameras/${cam(7)}/recordings?${range(t0, t0 - 1)}`);
      expect([backwards.statusCode, backwards.json().code]).toEqual([400, 'invalid:range']);
      const tooLong = await get(police, `/api/cameras/${cam(7)}/recordings?${range(t0 - 32 * DAY, t0)}`);
      expect([tooLong.statusCode, tooLong.json().code]).toEqual([400, 'invalid:range']);
      const badProfile = await get(police, `/api/cameras/${cam(7)}/recordings?${range(t0, t0 + 1, 'hd')}`);
      expect([badProfile.statusCode, badProfile.json().code]).toEqual([400, 'invalid:request']);

      const rows = await auditOf('recording.timeline');
      expect(rows.map((r) => [r.actor_name, r.result, r.reason, r.target_id, r.emergency])).toEqual([
        ['police.dispatcher', 'allow', 'allowed', cam(7), false],
        ['eoc.operator', 'deny', 'forbidden:retrieval', cam(7), false],
        ['wujin.police', 'deny', 'forbidden:tier', cam(7), false],
        ['tianning.staff', 'deny', 'forbidden:retrieval', cam(7), false],
      ]);
      expect(rows[0]?.detail).toEqual({
        policyAction: 'playback:view',
        profile: 'main',
        from: new Date(t0 - 60_000).toISOString(),
        to: new Date(t0 + 120_000).toISOString(),
      });
    });

    it('opens an incident area’s footage to emergency users from the look-back before its opening (marked emergency)', async () => {
      const eoc = await signIn('eoc.operator');
      const c = cams[7] as { id: string; lon: number; lat: number };
      const opened = await post(eoc, '/api/incidents', {
        title: '天宁重大险情',
        level: 2,
        lon: c.lon,
        lat: c.lat,
        radiusM: 500,
      });
      expect(opened.statusCode).toBe(201);
      const incidentId = opened.json().id;
      const now = Date.now();
      const within = await get(eoc, `/api/cameras/${c.id}/recordings?${range(now - 59 * 60_000, now)}`);
      expect(within.statusCode).toBe(200);
      expect(within.json().emergency).toBe(true);
      const before = await get(eoc, `/api/cameras/${c.id}/recordings?${range(now - 62 * 60_000, now)}`);
      expect([before.statusCode, before.json().code]).toEqual([403, 'forbidden:retrieval']);
      const rows = (await auditOf('recording.timeline', 'eoc.operator')).slice(-2);
      expect(rows.map((r) => [r.result, r.reason, r.emergency, r.detail.incidentId ?? null])).toEqual([
        ['allow', 'allowed:emergency', true, incidentId],
        ['deny', 'forbidden:retrieval', false, null],
      ]);
      expect((await post(eoc, `/api/incidents/${incidentId}/close`)).statusCode).toBe(200);
    });

    it('lists the incidents whose area held the camera during the range, open or closed', async () => {
      const eoc = await signIn('eoc.operator');
      const c = cams[7] as { id: string; lon: number; lat: number };
      const declare = async (title: string, lon: number, radiusM: number) => {
        const res = await post(eoc, '/api/incidents', { title, level: 3, lon, lat: c.lat, radiusM });
        expect(res.statusCode, res.body).toBe(201);
        return res.json() as { id: string; openedAt: string };
      };
      // ≈ 47 m east: inside a 60 m radius, outside a 40 m one (small: the test's cameras lie
      // anywhere in the city, and an area may not reach outside it).
      const east = c.lon + 0.0005;
      const covering = await declare('天宁火情', east, 60);
      const beside = await declare('天宁交通事故', east, 40);
      const closed = await declare('天宁积水', c.lon, 30);
      const closedAt = (await post(eoc, `/api/incidents/${closed.id}/close`)).json().closedAt as string;
      const police = await signIn('police.dispatcher');
      const now = Date.now();
      const res = await get(
        police,
        `/api/cameras/${c.id}/recordings?${range(now - 10 * 60_000, now + 60_000)}`,
      );
      expect(res.statusCode).toBe(200);
      const listed = (res.json() as RecordingTimeline).incidents;
      const mine = listed.filter((i) => [covering.id, beside.id, closed.id].includes(i.id));
      expect(mine).toEqual([
        { id: covering.id, title: '天宁火情', level: 3, from: covering.openedAt, to: null },
        { id: closed.id, title: '天宁积水', level: 3, from: closed.openedAt, to: closedAt },
      ]);
      // A range that ended before they opened has none of them.
      const earlier = await get(
        police,
        `/api/cameras/${c.id}/recordings?${range(now - 20 * 60_000, now - 15 * 60_000)}`,
      );
      expect((earlier.json() as RecordingTimeline).incidents.map((i) => i.id)).not.toContain(covering.id);
      for (const id of [covering.id, beside.id]) {
        expect((await post(eoc, `/api/incidents/${id}/close`)).statusCode).toBe(200);
      }
    });
  });
});
