import type { RecordedSegment, RecordingGap, StreamProfile } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import { haversineSql } from '../policy/index.ts';
import { type ChainGap, type ChainSegment, parseSegmentPath } from './verify-core.ts';

// SQL of the recording index: segments and gaps (the writer), the timeline, holds, retention and
// the sweeper's batches, and the verifier's reads. Times cross as ISO strings and come back as Dates.

const iso = (ms: number) => new Date(ms).toISOString();
/**
 * No segment is longer than this: the media node cuts one at the first key frame after
 * RECORDING_SEGMENT_S (≤ 6 s) and forces a cut at 10 times that (≤ 60 s). Range reads bound
 * `start_at` from below with it, so the (camera_id, profile, start_at) index reads the window's rows
 * only — not every segment of the camera before the window (10 M rows: p95 300 ms → see
 * bench/results/recording-index.json).
 */
export const MAX_SEGMENT_MS = 10 * 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;

export type IndexOutcome = 'indexed' | 'duplicate' | 'unknown_camera';

/**
 * Indexes one closed segment, chained to the previous segment of its camera and profile. Call in a
 * transaction: the per-chain advisory lock serialises gateways indexing the same chain, so two
 * segments never link to the same predecessor. Idempotent on (node, storage_key).
 */
export async function insertSegment(tx: Queryable, s: RecordedSegment): Promise<IndexOutcome> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`recording:${s.cameraId}/${s.profile}`]);
  const dup = await tx.query('SELECT 1 FROM recording_segments WHERE node = $1 AND storage_key = $2', [
    s.node,
    s.storageKey,
  ]);
  if (dup.rows.length > 0) return 'duplicate';
  if (!(await cameraExists(tx, s.cameraId))) return 'unknown_camera';
  const prev = await tx.query<{ sha256: string }>(
    `SELECT sha256 FROM recording_segments WHERE camera_id = $1 AND profile = $2 AND start_at < $3
      ORDER BY start_at DESC, id DESC LIMIT 1`,
    [s.cameraId, s.profile, iso(s.startMs)],
  );
  await tx.query(
    `INSERT INTO recording_segments (camera_id, profile, node, start_at, end_at, duration_ms, frames, bytes,
       init_bytes, sha256, prev_sha256, storage_key, codec, width, height)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (node, storage_key) DO NOTHING`,
    [
      s.cameraId,
      s.profile,
      s.node,
      iso(s.startMs),
      iso(s.endMs),
      s.durationMs,
      s.frames,
      s.bytes,
      s.initBytes,
      s.sha256,
      prev.rows[0]?.sha256 ?? null,
      s.storageKey,
      s.codec,
      s.width ?? null,
      s.height ?? null,
    ],
  );
  return 'indexed';
}

/** Indexes a reported gap; the same report twice is kept once. */
export async function insertGap(tx: Queryable, g: RecordingGap): Promise<IndexOutcome> {
  if (!(await cameraExists(tx, g.cameraId))) return 'unknown_camera';
  const r = await tx.query<{ id: string }>(
    `INSERT INTO recording_gaps (camera_id, profile, node, from_at, to_at, reason, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT ON CONSTRAINT recording_gaps_once DO NOTHING RETURNING id`,
    [g.cameraId, g.profile, g.node, iso(g.fromMs), iso(g.toMs), g.reason, g.detail ?? null],
  );
  return r.rows.length > 0 ? 'indexed' : 'duplicate';
}

async function cameraExists(tx: Queryable, id: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM cameras WHERE id = $1', [id])).rows.length > 0;
}

// ——— Timeline ———

export interface RecordedRange {
  from: Date;
  to: Date;
  segments: number;
  bytes: number;
}

/**
 * Contiguous recorded ranges of a camera profile overlapping [from, to): segments closer than
 * `joinMs` to the previous one's end are one range (islands in SQL: one row per range, not per segment).
 */
export async function recordedRanges(
  db: Queryable,
  cameraId: string,
  profile: StreamProfile,
  from: Date,
  to: Date,
  joinMs = 1000,
): Promise<RecordedRange[]> {
  const { rows } = await db.query<{ from_at: Date; to_at: Date; segments: string; bytes: string }>(
    `SELECT min(start_at) AS from_at, max(end_at) AS to_at, count(*) AS segments, sum(bytes) AS bytes
       FROM (SELECT start_at, end_at, bytes, sum(brk) OVER (ORDER BY start_at, id) AS grp
               FROM (SELECT id, start_at, end_at, bytes,
                            CASE WHEN start_at - lag(end_at) OVER (ORDER BY start_at, id)
                                      <= make_interval(secs => $5::double precision / 1000)
                                 THEN 0 ELSE 1 END AS brk
                       FROM recording_segments
                      WHERE camera_id = $1 AND profile = $2 AND start_at < $4 AND end_at > $3
                        AND start_at > $6) a) b
      GROUP BY grp ORDER BY 1`,
    [cameraId, profile, from.toISOString(), to.toISOString(), joinMs, iso(from.getTime() - MAX_SEGMENT_MS)],
  );
  return rows.map((r) => ({
    from: r.from_at,
    to: r.to_at,
    segments: Number(r.segments),
    bytes: Number(r.bytes),
  }));
}

export interface IncidentRow {
  id: string;
  title: string;
  level: number;
  openedAt: Date;
  closedAt: Date | null;
}

/**
 * Incidents, open or closed, whose area (the policy's great-circle radius) holds the camera and
 * whose time [opened, closed or now) overlaps [from, to): oldest first, at most `limit`.
 */
export async function incidentsCovering(
  db: Queryable,
  cameraId: string,
  from: Date,
  to: Date,
  limit = 100,
): Promise<IncidentRow[]> {
  const { rows } = await db.query<{
    id: string;
    title: string;
    level: number;
    opened_at: Date;
    closed_at: Date | null;
  }>(
    `SELECT i.id, i.title, i.level, i.opened_at, i.closed_at
       FROM incidents i JOIN cameras c ON c.id = $1
      WHERE i.opened_at < $3 AND (i.closed_at IS NULL OR i.closed_at > $2)
        AND ${haversineSql('i.lon', 'i.lat')} <= i.radius_m
      ORDER BY i.opened_at, i.id LIMIT $4`,
    [cameraId, from.toISOString(), to.toISOString(), limit],
  );
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    level: Number(r.level),
    openedAt: r.opened_at,
    closedAt: r.closed_at,
  }));
}

export interface GapRow {
  from: Date;
  to: Date;
  reason: string;
  detail: string | null;
  node: string;
}

export async function gapsIn(
  db: Queryable,
  cameraId: string,
  profile: StreamProfile,
  from: Date,
  to: Date,
): Promise<GapRow[]> {
  const { rows } = await db.query<{
    from_at: Date;
    to_at: Date;
    reason: string;
    detail: string | null;
    node: string;
  }>(
    `SELECT from_at, to_at, reason, detail, node FROM recording_gaps
      WHERE camera_id = $1 AND profile = $2 AND from_at < $4 AND to_at > $3 ORDER BY from_at, id`,
    [cameraId, profile, from.toISOString(), to.toISOString()],
  );
  return rows.map((r) => ({
    from: r.from_at,
    to: r.to_at,
    reason: r.reason,
    detail: r.detail,
    node: r.node,
  }));
}

// ——— Evidence holds ———

export interface HoldRow {
  id: string;
  cameraIds: string[];
  from: Date;
  to: Date;
  reason: string;
  caseNumber: string;
  createdBy: string;
  createdAt: Date;
  releasedBy: string | null;
  releasedAt: Date | null;
}

const HOLD_SELECT = `SELECT h.id, h.from_at, h.to_at, h.reason, h.case_number, h.created_by, h.created_at,
       h.released_by, h.released_at,
       (SELECT array_agg(hc.camera_id::text ORDER BY hc.camera_id) FROM evidence_hold_cameras hc WHERE hc.hold_id = h.id) AS camera_ids
  FROM evidence_holds h`;

interface HoldDbRow {
  id: string;
  from_at: Date;
  to_at: Date;
  reason: string;
  case_number: string;
  created_by: string;
  created_at: Date;
  released_by: string | null;
  released_at: Date | null;
  camera_ids: string[] | null;
}

const toHold = (r: HoldDbRow): HoldRow => ({
  id: r.id,
  cameraIds: r.camera_ids ?? [],
  from: r.from_at,
  to: r.to_at,
  reason: r.reason,
  caseNumber: r.case_number,
  createdBy: r.created_by,
  createdAt: r.created_at,
  releasedBy: r.released_by,
  releasedAt: r.released_at,
});

export async function insertHold(
  tx: Queryable,
  h: {
    cameraIds: readonly string[];
    from: Date;
    to: Date;
    reason: string;
    caseNumber: string;
    createdBy: string;
  },
): Promise<HoldRow> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO evidence_holds (from_at, to_at, reason, case_number, created_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [h.from.toISOString(), h.to.toISOString(), h.reason, h.caseNumber, h.createdBy],
  );
  const id = (rows[0] as { id: string }).id;
  await tx.query('INSERT INTO evidence_hold_cameras (hold_id, camera_id) SELECT $1, unnest($2::uuid[])', [
    id,
    [...new Set(h.cameraIds)],
  ]);
  return (await loadHold(tx, id)) as HoldRow;
}

export async function loadHold(db: Queryable, id: string, forUpdate = false): Promise<HoldRow | undefined> {
  const { rows } = await db.query<HoldDbRow>(
    `${HOLD_SELECT} WHERE h.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toHold(rows[0]) : undefined;
}

export async function releaseHold(tx: Queryable, id: string, by: string): Promise<HoldRow> {
  await tx.query('UPDATE evidence_holds SET released_by = $2, released_at = now() WHERE id = $1', [id, by]);
  return (await loadHold(tx, id)) as HoldRow;
}

/** Holds touching a camera (or all), overlapping [from, to) when given; newest first. */
export async function listHolds(
  db: Queryable,
  filter: { cameraId?: string; from?: Date; to?: Date; active?: boolean; limit: number },
): Promise<HoldRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (filter.cameraId)
    where.push(
      `EXISTS (SELECT 1 FROM evidence_hold_cameras x WHERE x.hold_id = h.id AND x.camera_id = ${p(filter.cameraId)})`,
    );
  if (filter.from) where.push(`h.to_at > ${p(filter.from.toISOString())}`);
  if (filter.to) where.push(`h.from_at < ${p(filter.to.toISOString())}`);
  if (filter.active === true) where.push('h.released_at IS NULL');
  if (filter.active === false) where.push('h.released_at IS NOT NULL');
  const { rows } = await db.query<HoldDbRow>(
    `${HOLD_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY h.created_at DESC, h.id LIMIT ${p(filter.limit)}`,
    params,
  );
  return rows.map(toHold);
}

// ——— Retention ———

export async function setCameraRetention(
  tx: Queryable,
  cameraId: string,
  days: number | null,
): Promise<void> {
  await tx.query('UPDATE cameras SET retention_days = $2 WHERE id = $1', [cameraId, days]);
}

export async function cameraRetentionForUpdate(
  tx: Queryable,
  cameraId: string,
): Promise<{ retentionDays: number | null; districtCode: string; ownerOrgId: string } | undefined> {
  const { rows } = await tx.query<{
    retention_days: number | null;
    district_code: string;
    owner_org_id: string;
  }>(
    `SELECT c.retention_days, c.district_code, s.owner_org_id
       FROM cameras c JOIN source_systems s ON s.id = c.source_id WHERE c.id = $1 FOR UPDATE OF c`,
    [cameraId],
  );
  const r = rows[0];
  return r
    ? { retentionDays: r.retention_days, districtCode: r.district_code, ownerOrgId: r.owner_org_id }
    : undefined;
}

/** A segment deleted by the sweeper. */
export interface DeletedSegment {
  cameraId: string;
  profile: StreamProfile;
  node: string;
  storageKey: string;
  start: Date;
  end: Date;
  bytes: number;
  sha256: string;
}

/**
 * The next candidates of a sweep after `cursor`, oldest end first: segments that ended before the
 * 30-day floor. Keyset paging, so segments kept (held, longer retention) are passed once per sweep.
 */
export async function sweepCandidates(
  tx: Queryable,
  cursor: { end: Date; id: number } | null,
  limit: number,
): Promise<{ ids: number[]; last: { end: Date; id: number } | null }> {
  const { rows } = await tx.query<{ id: string; end_at: Date }>(
    `SELECT id, end_at FROM recording_segments
      WHERE end_at < now() - make_interval(days => 30)
        ${cursor ? 'AND (end_at, id) > ($2, $3)' : ''}
      ORDER BY end_at, id LIMIT $1`,
    cursor ? [limit, cursor.end.toISOString(), cursor.id] : [limit],
  );
  const lastRow = rows[rows.length - 1];
  return {
    ids: rows.map((r) => Number(r.id)),
    last: lastRow ? { end: lastRow.end_at, id: Number(lastRow.id) } : null,
  };
}

/**
 * Deletes those of `ids` past their camera's retention (`defaultDays` when it sets none; never
 * below 30) that no unreleased hold covers — the same rule the delete trigger enforces.
 */
export async function deleteExpired(
  tx: Queryable,
  ids: readonly number[],
  defaultDays: number,
): Promise<DeletedSegment[]> {
  const { rows } = await tx.query<{
    camera_id: string;
    profile: StreamProfile;
    node: string;
    storage_key: string;
    start_at: Date;
    end_at: Date;
    bytes: string;
    sha256: string;
  }>(
    `DELETE FROM recording_segments s
      USING cameras c
      WHERE s.id = ANY($1::bigint[]) AND c.id = s.camera_id
        AND s.end_at < now() - make_interval(days => greatest(30, coalesce(c.retention_days, $2)))
        AND NOT EXISTS (
          SELECT 1 FROM evidence_hold_cameras hc JOIN evidence_holds h ON h.id = hc.hold_id
           WHERE hc.camera_id = s.camera_id AND h.released_at IS NULL
             AND h.from_at < s.end_at AND h.to_at > s.start_at)
      RETURNING s.camera_id, s.profile, s.node, s.storage_key, s.start_at, s.end_at, s.bytes, s.sha256`,
    [ids, defaultDays],
  );
  return rows.map((r) => ({
    cameraId: r.camera_id,
    profile: r.profile,
    node: r.node,
    storageKey: r.storage_key,
    start: r.start_at,
    end: r.end_at,
    bytes: Number(r.bytes),
    sha256: r.sha256,
  }));
}

/**
 * Of `hashes` (segments of one chain just deleted, starting from `since`, ending by `until`), those a
 * surviving segment links to: the chain's cuts. A survivor linking to a deleted segment starts
 * within the deleted span (a held segment between deleted ones) or is the first one after it.
 */
export async function survivingLinks(
  tx: Queryable,
  cameraId: string,
  profile: StreamProfile,
  span: { since: Date; until: Date },
  hashes: readonly string[],
): Promise<string[]> {
  const { rows } = await tx.query<{ prev_sha256: string }>(
    `SELECT DISTINCT prev_sha256 FROM (
       SELECT prev_sha256 FROM recording_segments
        WHERE camera_id = $1 AND profile = $2 AND start_at >= $3 AND start_at <= $4
       UNION ALL
       (SELECT prev_sha256 FROM recording_segments
         WHERE camera_id = $1 AND profile = $2 AND start_at > $4 ORDER BY start_at, id LIMIT 1)
     ) t WHERE prev_sha256 = ANY($5::text[])`,
    [cameraId, profile, span.since.toISOString(), span.until.toISOString(), hashes],
  );
  return rows.map((r) => r.prev_sha256).sort();
}

// ——— Verification reads ———

export interface ChainKey {
  cameraId: string;
  profile: StreamProfile;
}

export async function chainsOf(
  db: Queryable,
  filter: { cameraId?: string; profile?: StreamProfile },
): Promise<ChainKey[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.cameraId) {
    params.push(filter.cameraId);
    where.push(`camera_id = $${params.length}`);
  }
  if (filter.profile) {
    params.push(filter.profile);
    where.push(`profile = $${params.length}`);
  }
  // Distinct chains by skipping through the (camera_id, profile, start_at) index would be faster on
  // huge tables; a first slice reads them plainly.
  const { rows } = await db.query<{ camera_id: string; profile: StreamProfile }>(
    `SELECT DISTINCT camera_id, profile FROM recording_segments${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY camera_id, profile`,
    params,
  );
  return rows.map((r) => ({ cameraId: r.camera_id, profile: r.profile }));
}

interface SegmentDbRow {
  id: string;
  node: string;
  storage_key: string;
  start_at: Date;
  end_at: Date;
  sha256: string;
  prev_sha256: string | null;
}
const toChainSegment = (r: SegmentDbRow): ChainSegment => ({
  id: Number(r.id),
  node: r.node,
  storageKey: r.storage_key,
  startMs: r.start_at.getTime(),
  endMs: r.end_at.getTime(),
  sha256: r.sha256,
  prevSha256: r.prev_sha256,
});

/** The segment just before `from` (the anchor of a check that starts later than the first row). */
export async function segmentBefore(
  db: Queryable,
  key: ChainKey,
  from: Date,
): Promise<ChainSegment | undefined> {
  const { rows } = await db.query<SegmentDbRow>(
    `SELECT id, node, storage_key, start_at, end_at, sha256, prev_sha256 FROM recording_segments
      WHERE camera_id = $1 AND profile = $2 AND start_at < $3 ORDER BY start_at DESC, id DESC LIMIT 1`,
    [key.cameraId, key.profile, from.toISOString()],
  );
  return rows[0] ? toChainSegment(rows[0]) : undefined;
}

/** A page of a chain's segments in start order, from `after` (keyset) within [from, to). */
export async function segmentPage(
  db: Queryable,
  key: ChainKey,
  range: { from: Date | null; to: Date | null },
  after: { startMs: number; id: number } | null,
  limit: number,
): Promise<ChainSegment[]> {
  const params: unknown[] = [key.cameraId, key.profile];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where = ['camera_id = $1', 'profile = $2'];
  if (range.from) where.push(`start_at >= ${p(range.from.toISOString())}`);
  if (range.to) where.push(`start_at < ${p(range.to.toISOString())}`);
  if (after) where.push(`(start_at, id) > (${p(new Date(after.startMs).toISOString())}, ${p(after.id)})`);
  const { rows } = await db.query<SegmentDbRow>(
    `SELECT id, node, storage_key, start_at, end_at, sha256, prev_sha256 FROM recording_segments
      WHERE ${where.join(' AND ')} ORDER BY start_at, id LIMIT ${p(limit)}`,
    params,
  );
  return rows.map(toChainSegment);
}

export async function chainGaps(db: Queryable, key: ChainKey): Promise<ChainGap[]> {
  const { rows } = await db.query<{ from_at: Date; to_at: Date }>(
    'SELECT from_at, to_at FROM recording_gaps WHERE camera_id = $1 AND profile = $2 ORDER BY from_at',
    [key.cameraId, key.profile],
  );
  return rows.map((r) => ({ fromMs: r.from_at.getTime(), toMs: r.to_at.getTime() }));
}

/** Every cut the retention sweeps recorded in the audit log for this chain. */
export async function recordedCuts(db: Queryable, key: ChainKey): Promise<Set<string>> {
  const { rows } = await db.query<{ cut: string }>(
    `SELECT jsonb_array_elements_text(c->'cuts') AS cut
       FROM audit_log a, jsonb_array_elements(a.detail->'cameras') c
      WHERE a.action = 'recording.sweep' AND c->>'cameraId' = $1 AND c->>'profile' = $2`,
    [key.cameraId, key.profile],
  );
  return new Set(rows.map((r) => r.cut));
}

/** One camera profile's use of a node's storage, as the capacity forecast reads it (R-REC-3). */
export interface UsageRow {
  node: string;
  camera_id: string;
  profile: StreamProfile;
  stored_bytes: string | number;
  window_bytes: string | number | null;
  window_ms: string | number | null;
  retention_days: number;
  held_bytes: string | number | null;
}

/**
 * Per node and camera profile: bytes indexed, bytes and recorded time since `windowFrom`, the
 * effective retention (its own, else `defaultDays`, never under 30) and the bytes past that
 * retention an unreleased evidence hold keeps.
 */
export async function storageUsage(
  db: Queryable,
  nodes: readonly string[],
  windowFrom: Date,
  defaultDays: number,
): Promise<UsageRow[]> {
  if (nodes.length === 0) return [];
  const { rows } = await db.query<UsageRow>(
    `SELECT s.node, s.camera_id, s.profile,
            sum(s.bytes) AS stored_bytes,
            sum(s.bytes) FILTER (WHERE s.start_at >= $2) AS window_bytes,
            sum(s.duration_ms) FILTER (WHERE s.start_at >= $2) AS window_ms,
            greatest(30, coalesce(c.retention_days, $3)) AS retention_days,
            sum(s.bytes) FILTER (
              WHERE s.end_at < now() - make_interval(days => greatest(30, coalesce(c.retention_days, $3)))
                AND EXISTS (
                  SELECT 1 FROM evidence_hold_cameras hc JOIN evidence_holds h ON h.id = hc.hold_id
                   WHERE hc.camera_id = s.camera_id AND h.released_at IS NULL
                     AND h.from_at < s.end_at AND h.to_at > s.start_at)
            ) AS held_bytes
       FROM recording_segments s JOIN cameras c ON c.id = s.camera_id
      WHERE s.node = ANY($1::text[])
      GROUP BY s.node, s.camera_id, s.profile, c.retention_days
      ORDER BY s.node, s.camera_id, s.profile`,
    [nodes, windowFrom.toISOString(), defaultDays],
  );
  return rows;
}

/**
 * Which of `keys` (storage keys found on disk) index rows name, with the node of each row. Keys in
 * the node's layout are looked up per camera profile through the (camera_id, profile, start_at)
 * index, within a day of their start; any other key by storage_key alone (a scan: such files are
 * rare — a crash's temporary file, a stray copy).
 */
export async function indexedKeys(db: Queryable, keys: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const groups = new Map<
    string,
    { cameraId: string; profile: StreamProfile; keys: string[]; min: number; max: number }
  >();
  const other: string[] = [];
  for (const key of keys) {
    const p = parseSegmentPath(key);
    if (!p || !UUID.test(p.cameraDir)) {
      other.push(key);
      continue;
    }
    const id = `${p.cameraDir}/${p.profile}`;
    const g = groups.get(id) ?? {
      cameraId: p.cameraDir,
      profile: p.profile,
      keys: [],
      min: p.startMs,
      max: p.startMs,
    };
    g.keys.push(key);
    g.min = Math.min(g.min, p.startMs);
    g.max = Math.max(g.max, p.startMs);
    groups.set(id, g);
  }
  for (const g of groups.values()) {
    const { rows } = await db.query<{ storage_key: string; node: string }>(
      `SELECT storage_key, node FROM recording_segments
        WHERE camera_id = $1 AND profile = $2 AND start_at >= $3 AND start_at <= $4 AND storage_key = ANY($5::text[])`,
      [g.cameraId, g.profile, iso(g.min - DAY_MS), iso(g.max + DAY_MS), g.keys],
    );
    for (const r of rows) found.set(r.storage_key, r.node);
  }
  if (other.length > 0) {
    const { rows } = await db.query<{ storage_key: string; node: string }>(
      'SELECT storage_key, node FROM recording_segments WHERE storage_key = ANY($1::text[])',
      [other],
    );
    for (const r of rows) found.set(r.storage_key, r.node);
  }
  return found;
}
