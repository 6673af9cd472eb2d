import type { StreamProfile } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import type { PlaylistSegment } from './playlist.ts';

// SQL of playback: what the index holds of a camera profile in a range, for the answer of a
// playback request and for the playlist. Both read recording_segments_camera_cover_idx by
// (camera_id, profile, start_at) between two bounds (an index-only scan: migration 011): a segment overlapping `from` started at most
// MAX_SEGMENT_LOOKBACK before it (segments are cut at the first key frame after a few seconds).

/** No segment is longer (the node cuts at a few seconds; RECORDING_SEGMENT_S ≤ 6). */
export const MAX_SEGMENT_LOOKBACK_MS = 10 * 60_000;
const MAX_SEGMENT_LOOKBACK = "interval '10 minutes'";
const OVERLAPPING = `camera_id = $1 AND profile = $2
   AND start_at >= $3::timestamptz - ${MAX_SEGMENT_LOOKBACK} AND start_at < $4 AND end_at > $3`;

export interface PlaybackSummaryRow {
  node: string;
  codec: 'h264' | 'h265';
  segments: number;
}

/** Segments per node and codec overlapping [from, to). */
export async function playbackSummary(
  db: Queryable,
  cameraId: string,
  profile: StreamProfile,
  from: Date,
  to: Date,
): Promise<PlaybackSummaryRow[]> {
  const { rows } = await db.query<{ node: string; codec: 'h264' | 'h265'; n: number }>(
    `SELECT node, codec, count(*)::int AS n FROM recording_segments WHERE ${OVERLAPPING}
      GROUP BY node, codec ORDER BY n DESC, node`,
    [cameraId, profile, from.toISOString(), to.toISOString()],
  );
  return rows.map((r) => ({ node: r.node, codec: r.codec, segments: Number(r.n) }));
}

/**
 * The segments overlapping [from, to) in playlist order (start: the index's order, no sort step).
 * Each row comes back as one text field — `start|end|duration|width|height|codec|sha256|key|node`,
 * times in ms — and is split here: a day is 21,600 rows, and parsing nine fields of each into an
 * object cost more than the index scan (bench/recording-index, "playlist 24 h"). The node id is
 * last (it may hold any character); storage keys cannot hold `|` (storageKeySchema).
 */
export async function playlistSegments(
  db: Queryable,
  cameraId: string,
  profile: StreamProfile,
  from: Date,
  to: Date,
): Promise<PlaylistSegment[]> {
  return selectPlaylistRows(db, OVERLAPPING, [cameraId, profile, from.toISOString(), to.toISOString()]);
}

/** The segments that start in [from, to), in start order: one block of {@link PlaylistSegmentCache}. */
export async function playlistSegmentsStarting(
  db: Queryable,
  cameraId: string,
  profile: StreamProfile,
  from: Date,
  to: Date,
): Promise<PlaylistSegment[]> {
  return selectPlaylistRows(db, 'camera_id = $1 AND profile = $2 AND start_at >= $3 AND start_at < $4', [
    cameraId,
    profile,
    from.toISOString(),
    to.toISOString(),
  ]);
}

async function selectPlaylistRows(
  db: Queryable,
  where: string,
  params: unknown[],
): Promise<PlaylistSegment[]> {
  const { rows } = await db.query<{ r: string }>(
    `SELECT concat_ws('|', round(date_part('epoch', start_at) * 1000), round(date_part('epoch', end_at) * 1000),
            duration_ms, coalesce(width, 0), coalesce(height, 0), codec, sha256, storage_key, node) AS r
       FROM recording_segments WHERE ${where} ORDER BY start_at`,
    params,
  );
  return rows.map(({ r }) => parsePlaylistRow(r));
}

/** One row of {@link playlistSegments}' text form. */
export function parsePlaylistRow(r: string): PlaylistSegment {
  const f: string[] = [];
  let at = 0;
  for (let i = 0; i < 8; i++) {
    const bar = r.indexOf('|', at);
    if (bar < 0) throw new Error('a playlist row with fewer than nine fields');
    f.push(r.slice(at, bar));
    at = bar + 1;
  }
  const [
    start = '',
    end = '',
    duration = '',
    width = '',
    height = '',
    codec = '',
    sha256 = '',
    storageKey = '',
  ] = f;
  return {
    startMs: Number(start),
    endMs: Number(end),
    durationMs: Number(duration),
    width: width === '0' ? null : Number(width),
    height: height === '0' ? null : Number(height),
    codec: codec as PlaylistSegment['codec'],
    sha256,
    storageKey,
    node: r.slice(at),
  };
}
