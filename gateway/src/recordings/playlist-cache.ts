import type { StreamProfile } from '@wall/protocol';
import { MAX_SEGMENT_LOOKBACK_MS } from './playback-repository.ts';
import type { PlaylistSegment } from './playlist.ts';

const HOUR_MS = 3_600_000;

export interface PlaylistSegmentCacheOptions {
  /** The segments of one camera profile that start in [from, to), in start order (the index). */
  load: (cameraId: string, profile: StreamProfile, from: Date, to: Date) => Promise<PlaylistSegment[]>;
  /** Segments kept at most, over all blocks (least recently used blocks go first); 0: no cache. */
  maxSegments: number;
  /** A block is read again after this long (late-indexed segments, retention deletes). */
  ttlMs: number;
  /** An hour is kept only once it ended this long ago (segments still being indexed). */
  settleMs: number;
  now?: () => number;
}

interface Block {
  segments: PlaylistSegment[];
  at: number;
}

/**
 * The index's segments of past hours, kept per camera profile and hour, so that a playlist — a
 * playback request, each seek outside the loaded window, each tile of a wall in playback — does not
 * read a day's 21,600 rows again (bench/recording-index, "playlist 24 h"). An hour is kept once it
 * ended `settleMs` ago and for `ttlMs` at most: a segment indexed late (a gateway that was down
 * catches up) or deleted by the retention sweep (only past the 30-day floor) shows in playlists
 * within `ttlMs`. The current hour is always read. Segments of the range are returned in start order.
 */
export class PlaylistSegmentCache {
  readonly #o: PlaylistSegmentCacheOptions;
  readonly #now: () => number;
  /** Insertion order is use order: the first entry is the least recently used. */
  readonly #blocks = new Map<string, Block>();
  #size = 0;

  constructor(o: PlaylistSegmentCacheOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** Segments kept now (for tests and stats). */
  get size(): number {
    return this.#size;
  }

  /** The segments overlapping [fromMs, toMs): started at most MAX_SEGMENT_LOOKBACK_MS before fromMs. */
  async overlapping(
    cameraId: string,
    profile: StreamProfile,
    fromMs: number,
    toMs: number,
  ): Promise<PlaylistSegment[]> {
    const startFrom = fromMs - MAX_SEGMENT_LOOKBACK_MS;
    const first = Math.floor(startFrom / HOUR_MS);
    const last = Math.floor((toMs - 1) / HOUR_MS);
    const hours: number[] = [];
    for (let h = first; h <= last; h++) hours.push(h);
    const blocks = await Promise.all(hours.map((h) => this.#block(cameraId, profile, h)));
    const out: PlaylistSegment[] = [];
    for (const block of blocks) {
      for (const s of block) {
        if (s.startMs >= startFrom && s.startMs < toMs && s.endMs > fromMs) out.push(s);
      }
    }
    return out;
  }

  async #block(cameraId: string, profile: StreamProfile, hour: number): Promise<PlaylistSegment[]> {
    const from = hour * HOUR_MS;
    const to = from + HOUR_MS;
    const now = this.#now();
    const keep = this.#o.maxSegments > 0 && to <= now - this.#o.settleMs;
    const key = `${cameraId}/${profile}/${hour}`;
    const cached = this.#blocks.get(key);
    if (cached) {
      this.#blocks.delete(key);
      if (keep && now - cached.at < this.#o.ttlMs) {
        this.#blocks.set(key, cached);
        return cached.segments;
      }
      this.#size -= cached.segments.length;
    }
    const segments = await this.#o.load(cameraId, profile, new Date(from), new Date(to));
    if (keep && segments.length <= this.#o.maxSegments) {
      const previous = this.#blocks.get(key); // another request loaded it meanwhile
      if (previous) this.#size -= previous.segments.length;
      this.#blocks.set(key, { segments, at: now });
      this.#size += segments.length;
      for (const [k, b] of this.#blocks) {
        if (this.#size <= this.#o.maxSegments) break;
        this.#blocks.delete(k);
        this.#size -= b.segments.length;
      }
    }
    return segments;
  }
}
