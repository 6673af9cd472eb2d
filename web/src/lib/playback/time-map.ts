/**
 * The media timeline of a playback (the HLS playlist: segments one after another, gaps removed)
 * and the wall clock (each segment's EXT-X-PROGRAM-DATE-TIME), both ways. Pure.
 */

/** A segment of the playlist as hls.js parses it: start and duration in media seconds, start on the wall clock in ms. */
export interface TimedFragment {
  start: number;
  duration: number;
  programDateTime: number | null;
}

export interface Span {
  /** Media seconds. */
  start: number;
  end: number;
  /** Wall-clock ms of `start`. */
  wall: number;
}

/** Where a wall-clock time falls in a playback. */
export type WallPosition =
  | { kind: 'recorded'; media: number }
  /** Not recorded there: the next recorded moment (`media`) and its wall-clock time. */
  | { kind: 'gap'; media: number; wall: number }
  | { kind: 'before'; media: number; wall: number }
  | { kind: 'after' };

export class TimeMap {
  readonly spans: readonly Span[];

  constructor(fragments: readonly TimedFragment[]) {
    const spans: Span[] = [];
    for (const f of fragments) {
      if (f.programDateTime === null || !(f.duration > 0)) continue;
      spans.push({ start: f.start, end: f.start + f.duration, wall: f.programDateTime });
    }
    spans.sort((a, b) => a.start - b.start);
    this.spans = spans;
  }

  get empty(): boolean {
    return this.spans.length === 0;
  }

  /** Wall-clock ms of the first and last recorded moment. */
  get wallRange(): { from: number; to: number } | null {
    const first = this.spans[0];
    const last = this.spans.at(-1);
    if (!first || !last) return null;
    return { from: first.wall, to: last.wall + (last.end - last.start) * 1000 };
  }

  /** The span holding media time `t` (the last one at or before it, so the end of a playlist maps). */
  #spanAtMedia(t: number): Span | undefined {
    let lo = 0;
    let hi = this.spans.length - 1;
    let found: Span | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.spans[mid];
      if (!s) break;
      if (s.start <= t) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found ?? this.spans[0];
  }

  /** Wall-clock ms of media time `t` (seconds); null when nothing is mapped. */
  mediaToWall(t: number): number | null {
    const s = this.#spanAtMedia(t);
    if (!s) return null;
    const offset = Math.min(Math.max(t - s.start, 0), s.end - s.start);
    return Math.round(s.wall + offset * 1000);
  }

  /** Where wall-clock ms `w` is on the media timeline. */
  wallToMedia(w: number): WallPosition {
    const first = this.spans[0];
    if (!first) return { kind: 'after' };
    if (w < first.wall) return { kind: 'before', media: first.start, wall: first.wall };
    for (const s of this.spans) {
      const wallEnd = s.wall + (s.end - s.start) * 1000;
      if (w < s.wall) return { kind: 'gap', media: s.start, wall: s.wall };
      if (w < wallEnd) return { kind: 'recorded', media: s.start + (w - s.wall) / 1000 };
    }
    return { kind: 'after' };
  }

  /** The span whose media range holds `t` exactly (a segment's wall-clock range: a damaged one). */
  wallSpanOf(t: number): { from: number; to: number } | null {
    const s = this.spans.find((x) => x.start <= t + 1e-3 && t < x.end - 1e-3);
    return s ? { from: s.wall, to: s.wall + (s.end - s.start) * 1000 } : null;
  }
}
