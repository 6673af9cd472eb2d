import { parseSps } from '../ingest/index.ts';
import type { ReceivedAccessUnit } from './access-units.ts';
import { type AvcTrack, parameterSetsOf } from './fmp4.ts';

/** A closed segment: key frame first, decode order. */
export interface CutSegment {
  track: AvcTrack;
  units: ReceivedAccessUnit[];
  /** The next segment's first timestamp when the cut was at a key frame (the last sample's end). */
  endTimestamp?: number;
}

export interface SegmenterOptions {
  /** Cut at the first key frame once this much media time (90 kHz) has passed. */
  segmentTicks: number;
  /** A segment that reaches this without a key frame to cut at is closed anyway (default 10 × segment). */
  maxTicks?: number;
}

/**
 * Access units → segments that start on key frames. Pure: units in, segments out. Before the first
 * key frame with known parameter sets, and after a forced cut, units are dropped until a key frame.
 * A key frame whose SPS/PPS differ from the open segment's cuts there (one `avcC` per file).
 */
export class Segmenter {
  readonly #segmentTicks: number;
  readonly #maxTicks: number;
  #sps: Uint8Array | undefined;
  #pps: Uint8Array | undefined;
  #open: CutSegment | undefined;
  /** Units dropped while waiting for a key frame. */
  dropped = 0;

  constructor(o: SegmenterOptions) {
    this.#segmentTicks = o.segmentTicks;
    this.#maxTicks = o.maxTicks ?? 10 * o.segmentTicks;
  }

  get open(): CutSegment | undefined {
    return this.#open;
  }

  /** Adds a unit; returns the segment it closed, if any. */
  push(unit: ReceivedAccessUnit): CutSegment | undefined {
    if (unit.keyframe) {
      const ps = parameterSetsOf(unit.nals);
      if (ps.sps) this.#sps = ps.sps;
      if (ps.pps) this.#pps = ps.pps;
    }
    const open = this.#open;
    if (!open) {
      this.#start(unit);
      return undefined;
    }
    const first = open.units[0] as ReceivedAccessUnit;
    const elapsed = unit.timestamp - first.timestamp;
    if (unit.keyframe && (elapsed >= this.#segmentTicks || this.#changedTrack(open.track))) {
      open.endTimestamp = unit.timestamp;
      this.#open = undefined;
      this.#start(unit);
      return open;
    }
    if (elapsed >= this.#maxTicks) {
      this.#open = undefined;
      this.dropped++;
      return open;
    }
    open.units.push(unit);
    return undefined;
  }

  /** Closes the open segment (the stream ended or broke off); the next one waits for a key frame. */
  flush(): CutSegment | undefined {
    const open = this.#open;
    this.#open = undefined;
    return open;
  }

  #changedTrack(track: AvcTrack): boolean {
    return (
      this.#sps !== undefined &&
      this.#pps !== undefined &&
      (!Buffer.from(track.sps).equals(this.#sps) || !Buffer.from(track.pps).equals(this.#pps))
    );
  }

  #start(unit: ReceivedAccessUnit): void {
    if (!unit.keyframe || !this.#sps || !this.#pps) {
      this.dropped++;
      return;
    }
    const info = parseSps(this.#sps);
    if (!info) {
      this.dropped++;
      return;
    }
    this.#open = {
      track: {
        sps: Buffer.from(this.#sps),
        pps: Buffer.from(this.#pps),
        width: info.width,
        height: info.height,
      },
      units: [unit],
    };
  }
}
