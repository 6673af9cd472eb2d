// `npm run bench -- recording-index`: the gateway's recording index on the real PostgreSQL
// (DATABASE_URL), measured at 1 M segments (the 10 M target is scaled: see `scale` in the results).
//   range    the timeline of one camera profile over a 1-hour window (recorded ranges, islands in SQL)
//            and the plain segment listing of that window — p50/p95 over random cameras and windows
//            (target p95 ≤ 20 ms at 10 M segments)
//   playlist the HLS playlist of a 24-hour playback (21,600 segments of 4 s, one camera's sub
//            profile among the 1 M rows) through PlaybackService.playlist: token check, the index
//            query, the recorded gaps, the media nodes from Redis (REDIS_URL, database 15), the text
//            — p50/p95 over 100 runs (target p95 ≤ 50 ms), with the query and the text alone
//   verify   the chain check of every row (rows only, no files; target ≤ 10 s for 1 M rows)
//   sweep    the retention sweeper deleting 1 M expired segments in audited batches (target ≤ 60 s);
//            the files are unlinked through the filesystem storage (absent here: each unlink is made)
//   scale    (scale.ts) the same range queries on an index of BENCH_REC_SCALE_ROWS segments (default
//            10 M; 0 skips), generated in PostgreSQL, secondary indexes rebuilt after the load; then
//            with BENCH_REC_COVERING=1 once more with an extra covering index (from before migration 011)
//   rehash   (rehash.ts) the verifier re-hashing real segment files on disk, MB/s from the page cache
//            and cold (target ≥ 50 MB/s: one node core's recording rate)
// Writes bench/results/recording-index.json. Never gates CI.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { verifyAudit } from '../../gateway/src/audit/index.ts';
import { DecisionService } from '../../gateway/src/decisions/index.ts';
import { createLogger } from '../../gateway/src/lib/logger.ts';
import { MediaDirectory } from '../../gateway/src/media/directory.ts';
import { issueStreamToken } from '../../gateway/src/media/tokens.ts';
import {
  buildPlaylist,
  fileStorage,
  PlaybackService,
  RetentionSweeper,
  verifyRecordings,
} from '../../gateway/src/recordings/index.ts';
import { playlistSegments } from '../../gateway/src/recordings/playback-repository.ts';
import { freshDatabase, REDIS_URL } from '../gateway/setup.ts';
import { rehashThroughput } from './rehash.ts';
import { measureRanges, rangeAtScale } from './scale.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'recording-index.json');
const CAMERAS = Number(process.env.BENCH_REC_CAMERAS ?? 100);
const PER_CAMERA = Number(process.env.BENCH_REC_PER_CAMERA ?? 10_000);
const SEG_MS = 4000;
const QUERIES = 300;
/** 24 hours of 4-second segments: the longest playback (MAX_PLAYBACK_HOURS). */
const DAY_SEGMENTS = 21_600;
const PLAYLIST_RUNS = 100;
const SCALE_ROWS = Number(process.env.BENCH_REC_SCALE_ROWS ?? 10_000_000);
const SCALE_CAMERAS = Number(process.env.BENCH_REC_SCALE_CAMERAS ?? 250);
const REHASH_FILES = Number(process.env.BENCH_REC_REHASH_FILES ?? 400);
const REHASH_MB = Number(process.env.BENCH_REC_REHASH_MB ?? 2);
const print = (s: string) => process.stdout.write(`${s}\n`);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const round = (x: number) => Math.round(x * 100) / 100;

const total = CAMERAS * PER_CAMERA + DAY_SEGMENTS;
print(
  `recording index: ${CAMERAS} cameras × ${PER_CAMERA} segments + one day of one camera's sub profile = ${total} rows`,
);
const bench = await freshDatabase();
const { db } = bench;
const dir = mkdtempSync(join(tmpdir(), 'wall-rec-bench-'));
try {
  const cams = (
    await db.query<{ id: string }>('SELECT id FROM cameras ORDER BY id LIMIT $1', [CAMERAS])
  ).rows.map((r) => r.id);
  if (cams.length < CAMERAS) throw new Error(`only ${cams.length} cameras in the demo data`);
  // Everything ended 60 days ago: past the 30-day floor, so the sweep can take it all.
  const t0 = Date.now() - 60 * 86_400_000 - PER_CAMERA * SEG_MS;
  let t = process.hrtime.bigint();
  for (const id of cams) {
    await db.query(
      `INSERT INTO recording_segments (camera_id, profile, node, start_at, end_at, duration_ms, frames, bytes,
         init_bytes, sha256, prev_sha256, storage_key, codec)
       SELECT $1::uuid, 'main', 'bench', to_timestamp(($2::bigint + i * $3::int) / 1000.0),
              to_timestamp(($2::bigint + (i + 1) * $3::int) / 1000.0), $3::int, 100, 500000, 700,
              encode(sha256(convert_to($1::text || ':' || i, 'UTF8')), 'hex'),
              CASE WHEN i = 0 THEN NULL ELSE encode(sha256(convert_to($1::text || ':' || (i - 1), 'UTF8')), 'hex') END,
              $1::text || '/main/' || i || '.mp4', 'h264'
         FROM generate_series(0, $4::int - 1) i`,
      [id, t0, SEG_MS, PER_CAMERA],
    );
  }
  // One camera's sub profile: a whole day (the 24-hour playlist), before the main recordings.
  const dayStart = t0 - DAY_SEGMENTS * SEG_MS;
  await db.query(
    `INSERT INTO recording_segments (camera_id, profile, node, start_at, end_at, duration_ms, frames, bytes,
       init_bytes, sha256, prev_sha256, storage_key, codec, width, height)
     SELECT $1::uuid, 'sub', 'bench', to_timestamp(s / 1000.0), to_timestamp((s + $3::int) / 1000.0), $3::int,
            100, 500000, 700, encode(sha256(convert_to($1::text || ':sub:' || i, 'UTF8')), 'hex'),
            CASE WHEN i = 0 THEN NULL ELSE encode(sha256(convert_to($1::text || ':sub:' || (i - 1), 'UTF8')), 'hex') END,
            $1::text || '/sub/' || to_char(to_timestamp(s / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '/' || s || '.mp4',
            'h264', 640, 360
       FROM generate_series(0, $4::int - 1) i, LATERAL (SELECT $2::bigint + i * $3::bigint AS s) x`,
    [cams[0], dayStart, SEG_MS, DAY_SEGMENTS],
  );
  // As autovacuum leaves an insert-only table: the visibility map set (index-only reads, migration 011).
  await db.query('VACUUM (ANALYZE) recording_segments');
  const insertMs = ms(t);
  print(`  inserted ${total} rows in ${(insertMs / 1000).toFixed(1)} s`);

  // Range queries: a random camera, a random 1-hour window inside its recording.
  const figures = await measureRanges(db, cams, t0, PER_CAMERA * SEG_MS, QUERIES);
  const range = {
    rows: total,
    window: '1 h (900 segments)',
    ...figures,
    targetP95Ms: 20,
  };
  print(
    `  range (1 h window): timeline p50 ${range.timelineP50Ms} ms, p95 ${range.timelineP95Ms} ms; listing p50 ${range.listingP50Ms} ms, p95 ${range.listingP95Ms} ms (target p95 ≤ 20 ms; ${round(20 / Math.max(range.timelineP95Ms, 0.01))}× headroom for the timeline)`,
  );

  // The 24-hour playlist, as GET /api/playback/playlist.m3u8 builds it.
  const redisUrl = new URL(REDIS_URL);
  redisUrl.pathname = '/15';
  const redis = new Redis(redisUrl.toString());
  const logger = createLogger('silent', 'bench');
  const tokenKey = generateKeyPairSync('ed25519').privateKey;
  const nodeRecord = () =>
    JSON.stringify({
      id: 'bench',
      publicUrl: 'http://media-1.example:4100',
      controlUrl: 'http://127.0.0.1:4100',
      workers: 2,
      streams: 0,
      consumers: 0,
      load: 0,
      heartbeatAt: Date.now(),
    });
  await redis.sadd('media:nodes', 'bench');
  const playbackOf = (maxSegments?: number) =>
    new PlaybackService({
      db,
      decisions: new DecisionService({ db, redis, logger }, { ttlMs: 0, maxEntries: 16 }),
      directory: new MediaDirectory(redis),
      audit: async () => undefined,
      tokenKey,
      incidentLookbackMs: 0,
      emergencyMaxMs: 0,
      ...(maxSegments === undefined ? {} : { playlistCache: { maxSegments } }),
    });
  // As configured (the past hours' segments kept: every request after the first), and with
  // nothing kept (every request reads the day from the index).
  const playback = playbackOf();
  const uncached = playbackOf(0);
  const dayRange: [number, number] = [dayStart, dayStart + DAY_SEGMENTS * SEG_MS];
  const whole: number[] = [];
  const cold: number[] = [];
  const query: number[] = [];
  const text: number[] = [];
  let lines = 0;
  try {
    for (let i = 0; i < PLAYLIST_RUNS; i++) {
      await redis.set('media:node:bench', nodeRecord());
      const { token } = issueStreamToken(tokenKey, {
        userId: 'bench',
        cameraId: cams[0] as string,
        profile: 'sub',
        nodeId: 'bench',
        emergency: false,
        range: dayRange,
      });
      t = process.hrtime.bigint();
      const m3u8 = await playback.playlist(token);
      whole.push(ms(t));
      lines = m3u8.toString('latin1').split('\n').length;
      t = process.hrtime.bigint();
      const again = await uncached.playlist(token);
      cold.push(ms(t));
      if (!again.equals(m3u8)) throw new Error('playlist: kept and read segments differ');
      t = process.hrtime.bigint();
      const segs = await playlistSegments(
        db,
        cams[0] as string,
        'sub',
        new Date(dayRange[0]),
        new Date(dayRange[1]),
      );
      query.push(ms(t));
      if (segs.length !== DAY_SEGMENTS) throw new Error(`playlist: ${segs.length} segments`);
      t = process.hrtime.bigint();
      buildPlaylist({
        segments: segs,
        gaps: [],
        nodes: new Map([['bench', { url: 'http://m:4100', token }]]),
      });
      text.push(ms(t));
    }
  } finally {
    await redis.del('media:nodes', 'media:node:bench');
    redis.disconnect();
  }
  const playlist = {
    rows: total,
    segments: DAY_SEGMENTS,
    lines,
    runs: PLAYLIST_RUNS,
    firstMs: round(whole[0] ?? 0),
    p50Ms: round(pct(whole, 50)),
    p95Ms: round(pct(whole, 95)),
    uncachedP50Ms: round(pct(cold, 50)),
    uncachedP95Ms: round(pct(cold, 95)),
    queryP95Ms: round(pct(query, 95)),
    buildP95Ms: round(pct(text, 95)),
    targetP95Ms: 50,
    ratioToTarget: round(pct(whole, 95) / 50),
    uncachedRatioToTarget: round(pct(cold, 95) / 50),
    note: 'p50/p95: as configured, the past hours kept (PlaylistSegmentCache; the first request of the range reads the index: firstMs); uncached: every request reads the whole day from the index',
  };
  print(
    `  playlist 24 h (${DAY_SEGMENTS} segments): first ${playlist.firstMs} ms, then p50 ${playlist.p50Ms} ms, p95 ${playlist.p95Ms} ms (past hours kept); uncached p50 ${playlist.uncachedP50Ms} ms, p95 ${playlist.uncachedP95Ms} ms (query p95 ${playlist.queryP95Ms} ms, text p95 ${playlist.buildP95Ms} ms); target p95 ≤ 50 ms: ${playlist.ratioToTarget} of it kept, ${playlist.uncachedRatioToTarget} uncached`,
  );

  t = process.hrtime.bigint();
  const report = await verifyRecordings(db, {});
  const verifyMs = ms(t);
  if (!report.ok || report.segments !== total)
    throw new Error(`verify: ${JSON.stringify(report.firstBroken)}`);
  const verify = {
    rows: total,
    seconds: round(verifyMs / 1000),
    rowsPerSecond: Math.round(total / (verifyMs / 1000)),
    targetSeconds: 10,
  };
  print(
    `  verify ${total} rows (no files): ${verify.seconds} s, ${verify.rowsPerSecond} rows/s (target ≤ 10 s: ${round(10 / verify.seconds)}×)`,
  );

  mkdirSync(dir, { recursive: true });
  const sweeper = new RetentionSweeper({
    db,
    storage: fileStorage(dir),
    logger: createLogger('silent', 'bench'),
    defaultDays: 30,
    batch: 5000,
  });
  t = process.hrtime.bigint();
  const swept = await sweeper.sweep();
  const sweepMs = ms(t);
  await sweeper.close();
  if (swept.deleted !== total) throw new Error(`swept ${swept.deleted} of ${total}`);
  const audit = await verifyAudit(db);
  const sweep = {
    rows: swept.deleted,
    batches: swept.batches,
    batchSize: 5000,
    seconds: round(sweepMs / 1000),
    rowsPerSecond: Math.round(swept.deleted / (sweepMs / 1000)),
    auditEntries: audit.entries,
    auditChainOk: audit.ok,
    targetSeconds: 60,
  };
  print(
    `  sweep ${swept.deleted} expired segments in ${swept.batches} batches: ${sweep.seconds} s (target ≤ 60 s: ${round(60 / sweep.seconds)}×); audit chain ${audit.ok ? 'ok' : 'BROKEN'}`,
  );

  // At the target size, after the sweep emptied the table.
  const atScale =
    SCALE_ROWS > 0
      ? await rangeAtScale(db, {
          rows: SCALE_ROWS,
          cameras: SCALE_CAMERAS,
          segMs: SEG_MS,
          queries: QUERIES,
          coveringExperiment: process.env.BENCH_REC_COVERING === '1',
          print,
        })
      : null;
  // The verifier re-hashing real files.
  const rehash = await rehashThroughput(db, {
    dir: join(dir, 'rehash'),
    files: REHASH_FILES,
    bytesPerFile: REHASH_MB * 1_000_000,
    segMs: SEG_MS,
    targetMBps: 50,
    print,
  });

  const result = {
    name: 'recording-index',
    at: new Date().toISOString(),
    machine: { cores: cpus().length, node: process.version, cpu: cpus()[0]?.model },
    scale: {
      measuredRows: atScale?.rows ?? total,
      targetRows: 10_000_000,
      note: atScale
        ? `range query and 24 h playlist measured at ${total} rows; range query again at ${atScale.rows} (rangeAtScale); verify and sweep at ${total}`
        : `range query and 24 h playlist measured at ${total} rows only (BENCH_REC_SCALE_ROWS=0)`,
    },
    insert: { rows: total, seconds: round(insertMs / 1000) },
    range,
    playlist,
    verify,
    sweep,
    rangeAtScale: atScale,
    rehash,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  print(`→ ${RESULTS}`);
} finally {
  await bench.drop();
  rmSync(dir, { recursive: true, force: true });
}
