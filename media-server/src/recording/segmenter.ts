import { parseHevcSps, parseSps } from '../ingest/index.ts';
import type { ReceivedAccessUnit } from './access-units.ts';
import { type ParameterSets, parameterSetsOf, type VideoCodec, type VideoTrack } from './fmp4.ts';

/** A closed segment: key frame first, decode order. */
export interface CutSegment {
  track: VideoTrack;
  units: ReceivedAccessUnit[];
  /** The next segment's first timestamp when the cut was at a key frame (the last sample's end). */
  endTimestamp?: number;
}

export interface SegmenterOptions {
  /** Cut at the first key frame once this much media time (90 kHz) has passed. */
  segmentTicks: number;
  /** A segment that reaches this without a key frame to cut at is closed anyway (default 10 × segment). */
  maxTicks?: number;
  /** The stream's codec (default H.264). */
  codec?: VideoCodec;
}

/**
 * Access units → segments that start on key frames. Pure: units in, segments out. Before the first
 * key frame with known parameter sets, and after a forced cut, units are dropped until a key frame.
 * A key frame whose parameter sets (SPS/PPS, and the VPS for H.265) differ from the open segment's
 * cuts there (one `avcC`/`hvcC` per file).
 */
export class Segmenter {
  readonly #segmentTicks: number;
  readonly #maxTicks: number;
  readonly #codec: VideoCodec;
  #ps: ParameterSets = {};
  #open: CutSegment | undefined;
  /** Units dropped while waiting for a key frame. */
  dropped = 0;

  constructor(o: SegmenterOptions) {
    this.#segmentTicks = o.segmentTicks;
    this.#maxTicks = o.maxTicks ?? 10 * o.segmentTicks;
    this.#codec = o.codec ?? 'h264';
  }

  get open(): CutSegment | undefined {
    return this.#open;
  }

  /** Adds a unit; returns the segment it closed, if any. */
  push(unit: ReceivedAccessUnit): CutSegment | undefined {
    if (unit.keyframe) {
      const ps = parameterSetsOf(unit.nals, this.#codec);
      if (ps.vps) this.#ps.vps = ps.vps;
      if (ps.sps) this.#ps.sps = ps.sps;
      if (ps.pps) this.#ps.pps = ps.pps;
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

  #changedTrack(track: VideoTrack): boolean {
    const { vps, sps, pps } = this.#ps;
    const differs = (a: Uint8Array, b: Uint8Array) => !Buffer.from(a).equals(b);
    if (!sps || !pps) return false;
    if (differs(track.sps, sps) || differs(track.pps, pps)) return true;
    return track.codec === 'h265' && vps !== undefined && differs(track.vps, vps);
  }

  #start(unit: ReceivedAccessUnit): void {
    const track = unit.keyframe ? this.#track() : undefined;
    if (!track) {
      this.dropped++;
      return;
    }
    this.#open = { track, units: [unit] };
  }

  /** The track of the parameter sets seen last, when they are complete and the SPS parses. */
  #track(): VideoTrack | undefined {
    const { vps, sps, pps } = this.#ps;
    if (!sps || !pps) return undefined;
    if (this.#codec === 'h265') {
      const info = vps ? parseHevcSps(sps) : undefined;
      if (!vps || !info) return undefined;
      return {
        codec: 'h265',
        vps: Buffer.from(vps),
        sps: Buffer.from(sps),
        pps: Buffer.from(pps),
        info,
        width: info.width,
        height: info.height,
      };
    }
    const info = parseSps(sps);
    if (!info) return undefined;
    return { sps: Buffer.from(sps), pps: Buffer.from(pps), width: info.width, height: info.height };
  }
}
