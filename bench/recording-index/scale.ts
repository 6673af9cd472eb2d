// The recording index at its target size (10 M segments): rows generated in PostgreSQL with
// generate_series, loaded with the table's secondary indexes and constraints dropped and then rebuilt
// from their own definitions (the table ends as the migrations made it), then the same 1-hour range
// queries as at 1 M. Used by index.ts; a section of its own so the other cases merge cleanly.
import type { Db, Queryable } from '../../gateway/src/db/index.ts';
import { MAX_SEGMENT_MS, recordedRanges } from '../../gateway/src/recordings/repository.ts';

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const round = (x: number) => Math.round(x * 100) / 100;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export interface RangeFigures {
  timelineP50Ms: number;
  timelineP95Ms: number;
  listingP50Ms: number;
  listingP95Ms: number;
}

/**
 * p50/p95 of the timeline (recorded ranges) and of the plain segment listing over `queries` random
 * 1-hour windows of random cameras recorded from `t0` for `spanMs` (a fixed seed: runs compare).
 */
export async function measureRanges(
  db: Queryable,
  cams: readonly string[],
  t0: number,
  spanMs: number,
  queries: number,
): Promise<RangeFigures> {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const timeline: number[] = [];
  const listing: number[] = [];
  for (let q = 0; q < queries; q++) {
    const from = t0 + Math.floor(rnd() * Math.max(1, spanMs - 3_600_000));
    const id = cams[Math.floor(rnd() * cams.length)] as string;
    const w = { from: new Date(from), to: new Date(from + 3_600_000) };
    let t = process.hrtime.bigint();
    await recordedRanges(db, id, 'main', w.from, w.to);
    timeline.push(ms(t));
    t = process.hrtime.bigint();
    await db.query(
      `SELECT id, start_at, end_at, bytes, storage_key FROM recording_segments
        WHERE camera_id = $1 AND profile = 'main' AND start_at < $3 AND end_at > $2 AND start_at > $4
        ORDER BY start_at`,
      [
        id,
        w.from.toISOString(),
        w.to.toISOString(),
        new Date(w.from.getTime() - MAX_SEGMENT_MS).toISOString(),
      ],
    );
    listing.push(ms(t));
  }
  return {
    timelineP50Ms: round(pct(timeline, 50)),
    timelineP95Ms: round(pct(timeline, 95)),
    listingP50Ms: round(pct(listing, 50)),
    listingP95Ms: round(pct(listing, 95)),
  };
}

export interface ScaleOptions {
  rows: number;
  cameras: number;
  segMs: number;
  queries: number;
  /** Also measure with a covering index (an experiment, not the schema). */
  coveringExperiment: boolean;
  print: (line: string) => void;
}

/** Loads `rows` segments (an empty table expected: the sweep ran before) and measures the range queries. */
export async function rangeAtScale(db: Db, o: ScaleOptions) {
  const cams = (
    await db.query<{ id: string }>('SELECT id FROM cameras ORDER BY id LIMIT $1', [o.cameras])
  ).rows.map((r) => r.id);
  const perCamera = Math.ceil(o.rows / cams.length);
  const rows = perCamera * cams.length;
  const t0 = Date.now() - 60 * 86_400_000 - perCamera * o.segMs;
  o.print(
    `  at scale: ${cams.length} cameras × ${perCamera} segments = ${rows} rows (${((perCamera * o.segMs) / 3_600_000).toFixed(1)} h each)`,
  );

  // The secondary indexes and constraints, as the migrations defined them, rebuilt after the load.
  const indexes = (
    await db.query<{ indexdef: string; indexname: string }>(
      `SELECT indexname, indexdef FROM pg_indexes
        WHERE tablename = 'recording_segments' AND indexname NOT IN (
          SELECT conname FROM pg_constraint WHERE conrelid = 'recording_segments'::regclass)`,
    )
  ).rows;
  const constraints = (
    await db.query<{ conname: string; def: string }>(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'recording_segments'::regclass AND contype IN ('u', 'f')`,
    )
  ).rows;
  for (const i of indexes) await db.query(`DROP INDEX ${i.indexname}`);
  for (const c of constraints) await db.query(`ALTER TABLE recording_segments DROP CONSTRAINT ${c.conname}`);

  // Per segment index: its times, key suffix and hashes once (the cameras share them: every chain
  // stays linked), then each camera's rows from that table — only the key is made per row.
  let t = process.hrtime.bigint();
  // (CREATE TABLE AS takes no parameters: the three integers are written in.)
  const [start, step, count] = [t0, o.segMs, perCamera].map((n) => String(Math.trunc(n)));
  await db.query(`CREATE UNLOGGED TABLE bench_segment_shape AS
    SELECT s, to_timestamp((${start}::bigint + s * ${step}) / 1000.0) AS start_at,
           to_timestamp((${start}::bigint + (s + 1) * ${step}) / 1000.0) AS end_at,
           '/main/' || to_char(to_timestamp((${start}::bigint + s * ${step}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')
             || '/' || (${start}::bigint + s * ${step}) || '.mp4' AS suffix,
           encode(sha256(int8send(s)), 'hex') AS sha256,
           CASE WHEN s = 0 THEN NULL ELSE encode(sha256(int8send(s - 1)), 'hex') END AS prev_sha256
      FROM generate_series(0, ${count} - 1) s`);
  // In time order across all cameras, as the nodes write them: a camera's hour is spread over the
  // heap, not stored together (the harder case for the range queries).
  const slices = Math.max(1, Math.round(rows / 1_000_000));
  const perSlice = Math.ceil(perCamera / slices);
  for (let a = 0; a < perCamera; a += perSlice) {
    await db.query(
      `INSERT INTO recording_segments (camera_id, profile, node, start_at, end_at, duration_ms, frames, bytes,
         init_bytes, sha256, prev_sha256, storage_key, codec)
       SELECT c.id, 'main', 'bench', h.start_at, h.end_at, $2::int, 100, 500000, 700, h.sha256, h.prev_sha256,
              c.id::text || h.suffix, 'h264'
         FROM bench_segment_shape h CROSS JOIN unnest($1::uuid[]) AS c(id)
        WHERE h.s >= $3 AND h.s < $4
        ORDER BY h.s, c.id`,
      [cams, o.segMs, a, a + perSlice],
    );
  }
  await db.query('DROP TABLE bench_segment_shape');
  const loadMs = ms(t);
  t = process.hrtime.bigint();
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    for (const i of indexes) await tx.query(i.indexdef);
    for (const c of constraints)
      await tx.query(`ALTER TABLE recording_segments ADD CONSTRAINT ${c.conname} ${c.def}`);
  });
  // As autovacuum leaves an insert-only table (PostgreSQL ≥ 13 vacuums after inserts): the visibility
  // map set, so the camera index's reads are index-only (migration 011).
  await db.query('VACUUM (ANALYZE) recording_segments');
  const indexMs = ms(t);
  const size = (
    await db.query<{ table: string; indexes: string }>(
      `SELECT pg_size_pretty(pg_table_size('recording_segments')) AS table,
              pg_size_pretty(pg_indexes_size('recording_segments')) AS indexes`,
    )
  ).rows[0];
  o.print(
    `  loaded in ${(loadMs / 1000).toFixed(1)} s, indexes and constraints rebuilt in ${(indexMs / 1000).toFixed(1)} s (table ${size?.table}, indexes ${size?.indexes})`,
  );
  const figures = await measureRanges(db, cams, t0, perCamera * o.segMs, o.queries);
  o.print(
    `  range at ${rows} rows (1 h window): timeline p50 ${figures.timelineP50Ms} ms, p95 ${figures.timelineP95Ms} ms; listing p50 ${figures.listingP50Ms} ms, p95 ${figures.listingP95Ms} ms (target p95 ≤ 20 ms; ${round(20 / Math.max(figures.timelineP95Ms, 0.01))}× for the timeline, ${round(20 / Math.max(figures.listingP95Ms, 0.01))}× for the listing)`,
  );
  const covering = o.coveringExperiment
    ? await coveringIndexExperiment(db, cams, t0, perCamera * o.segMs, o)
    : null;
  return {
    rows,
    cameras: cams.length,
    perCamera,
    window: '1 h (900 segments)',
    loadSeconds: round(loadMs / 1000),
    indexSeconds: round(indexMs / 1000),
    tableSize: size?.table ?? '',
    indexesSize: size?.indexes ?? '',
    ...figures,
    targetP95Ms: 20,
    coveringIndexExperiment: covering,
  };
}

/**
 * Not the schema: the same reads once more with a covering index on the camera's time order
 * (`INCLUDE (end_at, bytes, id)`, index-only after a VACUUM sets the visibility map), to show what a
 * migration adding it would buy. The bench database is dropped afterwards.
 */
async function coveringIndexExperiment(
  db: Db,
  cams: readonly string[],
  t0: number,
  spanMs: number,
  o: ScaleOptions,
) {
  let t = process.hrtime.bigint();
  await db.query(
    'CREATE INDEX bench_covering_idx ON recording_segments (camera_id, profile, start_at) INCLUDE (end_at, bytes, id)',
  );
  await db.query('VACUUM (ANALYZE) recording_segments');
  const buildMs = ms(t);
  const size = (
    await db.query<{ size: string }>(`SELECT pg_size_pretty(pg_relation_size('bench_covering_idx')) AS size`)
  ).rows[0]?.size;
  t = process.hrtime.bigint();
  const figures = await measureRanges(db, cams, t0, spanMs, o.queries);
  o.print(
    `  experiment, covering index (${size}, built and vacuumed in ${(buildMs / 1000).toFixed(1)} s): timeline p50 ${figures.timelineP50Ms} ms, p95 ${figures.timelineP95Ms} ms; listing p50 ${figures.listingP50Ms} ms, p95 ${figures.listingP95Ms} ms (target p95 ≤ 20 ms; ${round(20 / Math.max(figures.timelineP95Ms, 0.01))}× for the timeline)`,
  );
  return {
    index: '(camera_id, profile, start_at) INCLUDE (end_at, bytes, id)',
    size,
    buildSeconds: round(buildMs / 1000),
    ...figures,
  };
}
