// `npm run bench -- recording-index`: the gateway's recording index on the real PostgreSQL
// (DATABASE_URL), measured at 1 M segments (the 10 M target is scaled: see `scale` in the results).
//   range    the timeline of one camera profile over a 1-hour window (recorded ranges, islands in SQL)
//            and the plain segment listing of that window — p50/p95 over random cameras and windows
//            (target p95 ≤ 20 ms at 10 M segments)
//   verify   the chain check of every row (rows only, no files; target ≤ 10 s for 1 M rows)
//   sweep    the retention sweeper deleting 1 M expired segments in audited batches (target ≤ 60 s);
//            the files are unlinked through the filesystem storage (absent here: each unlink is made)
// Writes bench/results/recording-index.json. Never gates CI.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAudit } from '../../gateway/src/audit/index.ts';
import { createLogger } from '../../gateway/src/lib/logger.ts';
import { fileStorage, RetentionSweeper, verifyRecordings } from '../../gateway/src/recordings/index.ts';
import { recordedRanges } from '../../gateway/src/recordings/repository.ts';
import { freshDatabase } from '../gateway/setup.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'recording-index.json');
const CAMERAS = Number(process.env.BENCH_REC_CAMERAS ?? 100);
const PER_CAMERA = Number(process.env.BENCH_REC_PER_CAMERA ?? 10_000);
const SEG_MS = 4000;
const QUERIES = 300;
const print = (s: string) => process.stdout.write(`${s}\n`);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
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
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const span = PER_CAMERA * SEG_MS;
  const windows = Array.from({ length: QUERIES }, () => {
    const from = t0 + Math.floor(rnd() * Math.max(1, span - 3_600_000));
    return {
      id: cams[Math.floor(rnd() * cams.length)] as string,
      from: new Date(from),
      to: new Date(from + 3_600_000),
    };
  });
  const timeline: number[] = [];
  const listing: number[] = [];
  for (const w of windows) {
    t = process.hrtime.bigint();
    await recordedRanges(db, w.id, 'main', w.from, w.to);
    timeline.push(ms(t));
    t = process.hrtime.bigint();
    await db.query(
      `SELECT id, start_at, end_at, bytes, storage_key FROM recording_segments
        WHERE camera_id = $1 AND profile = 'main' AND start_at < $3 AND end_at > $2 ORDER BY start_at`,
      [w.id, w.from.toISOString(), w.to.toISOString()],
    );
    listing.push(ms(t));
  }
  const range = {
    rows: total,
    window: '1 h (900 segments)',
    timelineP50Ms: round(pct(timeline, 50)),
    timelineP95Ms: round(pct(timeline, 95)),
    listingP50Ms: round(pct(listing, 50)),
    listingP95Ms: round(pct(listing, 95)),
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

  const result = {
    name: 'recording-index',
    at: new Date().toISOString(),
    machine: { cores: cpus().length, node: process.version, cpu: cpus()[0]?.model },
    scale: {
      measuredRows: total,
      targetRows: 10_000_000,
      note: 'range query measured at 1 M rows, not 10 M',
    },
    insert: { rows: total, seconds: round(insertMs / 1000) },
    range,
    verify,
    sweep,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  print(`→ ${RESULTS}`);
} finally {
  await bench.drop();
  rmSync(dir, { recursive: true, force: true });
}
