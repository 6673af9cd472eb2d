import type { StreamProfile } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import type { PlaylistSegment } from './playlist.ts';

// SQL of playback: what the index holds of a camera profile in a range, for the answer of a
// playback request and for the playlist. Both read recording_segments_camera_idx by
// (camera_id, profile, start_at) between two bounds: a segment overlapping `from` started at most
// MAX_SEGMENT_LOOKBACK before it (segments are cut at the first key frame after a few seconds).

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
 * Times come back as float8 milliseconds (date_part, not numeric extract; no Date per row for a
 * 21,600-row day).
 */
export async function playlistSegments(
  db: Queryable,
  cameraId: string,
  profile: StreamProfile,
  from: Date,
  to: Date,
): Promise<PlaylistSegment[]> {
  const { rows } = await db.query<PlaylistSegment>(
    `SELECT round(date_part('epoch', start_at) * 1000) AS "startMs",
            round(date_part('epoch', end_at) * 1000) AS "endMs",
            duration_ms AS "durationMs", node, storage_key AS "storageKey", sha256, codec, width, height
       FROM recording_segments WHERE ${OVERLAPPING} ORDER BY start_at`,
    [cameraId, profile, from.toISOString(), to.toISOString()],
  );
  return rows;
}
