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
   * Per media node id: its public URL and the token its segment URLs carry — null for the token of
   * the playlist's own URL (the node it was issued for). Segments of a node not here (not
   * registered now) are left out, and the playlist marks the hole as a discontinuity.
   */
  nodes: ReadonlyMap<string, { url: string; token: string | null }>;
  /** A hole between two segments longer than this is a discontinuity (default 1000 ms). */
  gapToleranceMs?: number;
}

/** Variable names (RFC 8216bis §4.3): letters, digits, `-` and `_`. */
const PLAYLIST_TOKEN = 'token';

/**
 * The HLS VOD playlist (RFC 8216bis, fMP4) of recorded segments: `EXT-X-MAP` per run of segments
 * with the same codec and size (H.265: one per segment, each transcoded segment has its own init
 * part), `EXT-X-DISCONTINUITY` at each hole (a recorded gap, a hole over the tolerance, a change of
 * codec or size, segments left out), `EXT-X-PROGRAM-DATE-TIME` on the first segment and after each
 * discontinuity, `EXTINF` from the indexed duration, and media URLs carrying `off` (the sum of the
 * EXTINF durations before the segment, ms) and the index's `sha`. Pure.
 *
 * What every URL repeats is said once, with variables (`EXT-X-DEFINE`, version 11, ADR 0012): the
 * token is the playlist URL's own (`QUERYPARAM="token"`), each node's URL and other tokens are
 * `n<i>`/`t<i>`, and the camera/profile part of the storage keys is `k` — a 24-hour playlist is
 * ~3.5 MB instead of ~13 MB. After substitution the URLs are the contract's.
 */
export function buildPlaylist(input: PlaylistInput): Buffer {
  const tolerance = input.gapToleranceMs ?? 1000;
  const { segments, gaps } = input;
  let longest = 0;
  for (const s of segments) if (s.durationMs > longest) longest = s.durationMs;
  // A day is 21,600 segments (bench/recording-index, "playlist 24 h"): each line goes straight into
  // one growing buffer (no rope of 40,000 strings kept alive until the answer flattens it), and
  // the EXTINF line of each duration is made once.
  const out = new TextBuffer(4096 + segments.length * 180);
  out.write(`#EXTM3U
#EXT-X-VERSION:11
#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(longest / 1000))}
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-DEFINE:QUERYPARAM="${PLAYLIST_TOKEN}"
`);
  // Per node: `{$n<i>}` its URL, `{$t<i>}` (or the playlist's `{$token}`) its token.
  const vars = new Map<string, { init: string; media: string; token: string }>();
  for (const [id, n] of input.nodes) {
    const i = vars.size;
    out.write(`#EXT-X-DEFINE:NAME="n${i}",VALUE="${n.url}"\n`);
    if (n.token !== null) out.write(`#EXT-X-DEFINE:NAME="t${i}",VALUE="${n.token}"\n`);
    vars.set(id, {
      init: `{$n${i}}${PLAYBACK_INIT_PATH}/`,
      media: `{$n${i}}${PLAYBACK_MEDIA_PATH}/`,
      token: n.token === null ? `{$${PLAYLIST_TOKEN}}` : `{$t${i}}`,
    });
  }
  // The camera/profile part every key of the range starts with (`<camera>/<profile>/`).
  const first = segments[0]?.storageKey ?? '';
  const prefix = first.slice(0, first.indexOf('/', first.indexOf('/') + 1) + 1);
  if (prefix) out.write(`#EXT-X-DEFINE:NAME="k",VALUE="${prefix}"\n`);
  const extinf = new Map<number, string>();

  let off = 0;
  let prev: PlaylistSegment | undefined;
  let skipped = false;
  let g = 0;
  for (const s of segments) {
    const node = vars.get(s.node);
    if (!node) {
      skipped = true;
      continue;
    }
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
    const key =
      prefix && s.storageKey.startsWith(prefix) ? `{$k}${s.storageKey.slice(prefix.length)}` : s.storageKey;
    if (discontinuity) out.write('#EXT-X-DISCONTINUITY\n');
    if (format || s.codec === 'h265') out.write(`#EXT-X-MAP:URI="${node.init}${key}?token=${node.token}"\n`);
    if (prev === undefined || discontinuity) {
      out.write(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.startMs).toISOString()}\n`);
    }
    let inf = extinf.get(s.durationMs);
    if (inf === undefined) {
      inf = `#EXTINF:${(s.durationMs / 1000).toFixed(3)},\n`;
      extinf.set(s.durationMs, inf);
    }
    out.write(`${inf}${node.media}${key}?off=${off}&sha=${s.sha256}&token=${node.token}\n`);
    off += s.durationMs;
    prev = s;
    skipped = false;
  }
  out.write('#EXT-X-ENDLIST\n');
  return out.bytes();
}

/** UTF-8 text written into one buffer that doubles when it must. */
class TextBuffer {
  #buf: Buffer;
  #pos = 0;

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  write(s: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    if (this.#pos + s.length * 3 > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + s.length * 3));
      this.#buf.copy(grown, 0, 0, this.#pos);
      this.#buf = grown;
    }
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }

  bytes(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}

/**
 * A playlist with its variables substituted (RFC 8216bis §4.3), as a player reads it: the
 * `QUERYPARAM` ones from `playlistQuery`, the others from their `EXT-X-DEFINE`. For tests and tools.
 */
export function substitutePlaylist(playlist: string | Buffer, playlistQuery: URLSearchParams): string {
  const values = new Map<string, string>();
  const lines: string[] = [];
  for (const line of playlist.toString().split('\n')) {
    const define = /^#EXT-X-DEFINE:(?:QUERYPARAM="([^"]+)"|NAME="([^"]+)",VALUE="([^"]*)")$/.exec(line);
    if (define) {
      const [, param, name, value] = define;
      if (param) values.set(param, playlistQuery.get(param) ?? '');
      else values.set(name as string, value as string);
      continue;
    }
    lines.push(line.replace(/\{\$([A-Za-z0-9_-]+)\}/g, (_m, v: string) => values.get(v) ?? ''));
  }
  return lines.join('\n');
}
