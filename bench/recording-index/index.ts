// `npm run bench -- recording-index`: the gateway's recording index on the real PostgreSQL
// (DATABASE_URL), measured at 1 M segments (the 10 M target is scaled: see `scale` in the results).
//   range    the timeline of one camera profile over a 1-hour window (recorded ranges, islands in SQL)
//            and the plain segment listing of that window — p50/p95 over random cameras and windows
//            (target p95 ≤ 20 ms at 10 M segments)
//   verify   the chain check of every row (rows only, no files; target ≤ 10 s for 1 M rows)
//   sweep    the retention sweeper deleting 1 M expired segments in audited batches (target ≤ 60 s);
//            the files are unlinked through the filesystem storage (absent here: each unlink is made)
//   scale    (scale.ts) the same range queries on an index of BENCH_REC_SCALE_ROWS segments (default
//            10 M; 0 skips), generated in PostgreSQL, secondary indexes rebuilt after the load; then
//            once more with a covering index as an experiment (BENCH_REC_COVERING=0 skips)
//   rehash   (rehash.ts) the verifier re-hashing real segment files on disk, MB/s from the page cache
//            and cold (target ≥ 50 MB/s: one node core's recording rate)
// Writes bench/results/recording-index.json. Never gates CI.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAudit } from '../../gateway/src/audit/index.ts';
import { createLogger } from '../../gateway/src/lib/logger.ts';
import { fileStorage, RetentionSweeper, verifyRecordings } from '../../gateway/src/recordings/index.ts';
import { freshDatabase } from '../gateway/setup.ts';
import { rehashThroughput } from './rehash.ts';
import { measureRanges, rangeAtScale } from './scale.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'recording-index.json');
const CAMERAS = Number(process.env.BENCH_REC_CAMERAS ?? 100);
const PER_CAMERA = Number(process.env.BENCH_REC_PER_CAMERA ?? 10_000);
const SEG_MS = 4000;
const QUERIES = 300;
const SCALE_ROWS = Number(process.env.BENCH_REC_SCALE_ROWS ?? 10_000_000);
const SCALE_CAMERAS = Number(process.env.BENCH_REC_SCALE_CAMERAS ?? 250);
const REHASH_FILES = Number(process.env.BENCH_REC_REHASH_FILES ?? 400);
const REHASH_MB = Number(process.env.BENCH_REC_REHASH_MB ?? 2);
const print = (s: string) => process.stdout.write(`${s}\n`);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const round = (x: number) => Math.round(x * 100) / 100;

const total = CAMERAS * PER_CAMERA;
print(`recording index: ${CAMERAS} cameras × ${PER_CAMERA} segments = ${total} rows`);
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
  await db.query('ANALYZE recording_segments');
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
          coveringExperiment: process.env.BENCH_REC_COVERING !== '0',
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
        ? `range query measured at ${total} rows (range) and at ${atScale.rows} (rangeAtScale); verify and sweep at ${total}`
        : `range query measured at ${total} rows only (BENCH_REC_SCALE_ROWS=0)`,
    },
    insert: { rows: total, seconds: round(insertMs / 1000) },
    range,
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
