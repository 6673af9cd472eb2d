import { PLAYBACK_INIT_PATH, PLAYBACK_MEDIA_PATH } from '@wall/protocol';

/** One indexed segment as the playlist needs it (times in ms since the epoch). */
export interface PlaylistSegment {
  startMs: number;
  endMs: number;
  durationMs: number;
  node: string;
  storageKey: string;
  sha256: string;
  codec: 'h264' | 'h265';
  width: number | null;
  height: number | null;
}

export interface PlaylistInput {
  /** Ordered by start. */
  segments: readonly PlaylistSegment[];
  /** Recorded gaps (ms), ordered by their start. */
  gaps: readonly { fromMs: number; toMs: number }[];
  /**
   * Per media node id: its public URL and the token its segment URLs carry. Segments of a node not
   * here (not registered now) are left out, and the playlist marks the hole as a discontinuity.
   */
  nodes: ReadonlyMap<string, { url: string; token: string }>;
  /** A hole between two segments longer than this is a discontinuity (default 1000 ms). */
  gapToleranceMs?: number;
}

/**
 * The HLS VOD playlist (RFC 8216, version 7, fMP4) of recorded segments: `EXT-X-MAP` per run of
 * segments with the same codec and size (H.265: one per segment, each transcoded segment has its
 * own init part), `EXT-X-DISCONTINUITY` at each hole (a recorded gap, a hole over the tolerance,
 * a change of codec or size, segments left out), `EXT-X-PROGRAM-DATE-TIME` on the first segment
 * and after each discontinuity, `EXTINF` from the indexed duration, and media URLs carrying `off`
 * (the sum of the EXTINF durations before the segment, ms) and the index's `sha`. Pure.
 */
export function buildPlaylist(input: PlaylistInput): string {
  const tolerance = input.gapToleranceMs ?? 1000;
  const { segments, gaps, nodes } = input;
  let longest = 0;
  for (const s of segments) if (s.durationMs > longest) longest = s.durationMs;
  const out: string[] = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(longest / 1000))}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  let off = 0;
  let prev: PlaylistSegment | undefined;
  let skipped = false;
  let g = 0;
  for (const s of segments) {
    const node = nodes.get(s.node);
    if (!node) {
      skipped = true;
      continue;
    }
    const hevc = s.codec === 'h265';
    const format =
      prev === undefined || prev.codec !== s.codec || prev.width !== s.width || prev.height !== s.height;
    let discontinuity = false;
    if (prev !== undefined) {
      // Recorded gaps that end before the previous segment ended are behind us.
      while (g < gaps.length && (gaps[g] as { toMs: number }).toMs < prev.endMs) g++;
      const gap = gaps[g];
      discontinuity =
        skipped ||
        format ||
        s.startMs - prev.endMs > tolerance ||
        (gap !== undefined && gap.fromMs <= s.startMs);
    }
    if (discontinuity) out.push('#EXT-X-DISCONTINUITY');
    if (format || hevc)
      out.push(`#EXT-X-MAP:URI="${node.url}${PLAYBACK_INIT_PATH}/${s.storageKey}?token=${node.token}"`);
    if (prev === undefined || discontinuity) {
      out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.startMs).toISOString()}`);
    }
    out.push(
      `#EXTINF:${(s.durationMs / 1000).toFixed(3)},`,
      `${node.url}${PLAYBACK_MEDIA_PATH}/${s.storageKey}?off=${off}&sha=${s.sha256}&token=${node.token}`,
    );
    off += s.durationMs;
    prev = s;
    skipped = false;
  }
  out.push('#EXT-X-ENDLIST', '');
  return out.join('\n');
}
