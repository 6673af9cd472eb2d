import {
  hevcNalType,
  isHevcIrap,
  locateRtpPayload,
  NalFlag,
  NalType,
  type RtpPayloadRange,
  rtpMarker,
  rtpSequenceNumber,
  rtpTimestamp,
  walkHevcNals,
  walkNals,
} from '../ingest/index.ts';
import type { AccessUnit, VideoCodec } from './fmp4.ts';

/** An access unit with the time its first packet arrived. */
export interface ReceivedAccessUnit extends AccessUnit {
  /** Clock (ms) when its first packet arrived. */
  arrivedAt: number;
  /** A packet of it was lost (sequence gap) or a fragment was incomplete: it may not decode whole. */
  damaged: boolean;
}

/** How one codec's RTP payloads are walked and its key frames told (the rest is the same). */
interface RtpCodec {
  walk(
    payload: Uint8Array,
    visit: (header: number, start: number, end: number, flags: number) => void,
    start: number,
    end: number,
  ): unknown;
  /** A reassembled fragment's NAL unit header bytes. */
  header(header: number): Buffer;
  keyframe(nal: Uint8Array): boolean;
}

const RTP_CODECS: Record<VideoCodec, RtpCodec> = {
  h264: {
    walk: walkNals,
    header: (h) => Buffer.from([h]),
    keyframe: (n) => ((n[0] as number) & 0x1f) === NalType.IDR,
  },
  h265: {
    walk: walkHevcNals,
    header: (h) => Buffer.from([h >> 8, h & 0xff]),
    keyframe: (n) => isHevcIrap(hevcNalType(n[0] as number)),
  },
};

/**
 * RTP packets → access units with unwrapped 90 kHz timestamps: H.264 (RFC 6184: single NAL units,
 * STAP-A, FU-A) or H.265 (RFC 7798: single NAL units, AP, FU; a unit with an IRAP picture is a key
 * frame). An access unit ends at the marker bit or when the timestamp changes. Pure: packets in,
 * units out (the caller's `emit`); malformed packets are counted, never thrown on. Keeps views of the
 * packets' bytes (whole NAL units) or copies (reassembled fragments): packets must not be reused.
 */
export class AccessUnitAssembler {
  readonly #emit: (unit: ReceivedAccessUnit) => void;
  readonly #codec: RtpCodec;
  readonly #range: RtpPayloadRange = { start: 0, end: 0 };
  #nals: Uint8Array[] = [];
  #fu: Uint8Array[] | undefined;
  #ts = -1;
  #arrivedAt = 0;
  #damaged = false;
  #lastSeq = -1;
  /** Unwrapping: high part added to the 32-bit timestamp. */
  #epoch = 0;
  #lastRaw = -1;
  #packet: Buffer | undefined;
  lostPackets = 0;
  malformed = 0;

  constructor(emit: (unit: ReceivedAccessUnit) => void, codec: VideoCodec = 'h264') {
    this.#emit = emit;
    this.#codec = RTP_CODECS[codec];
  }

  push(packet: Buffer, now: number): void {
    const range = this.#range;
    if (!locateRtpPayload(packet, range) || range.end <= range.start) {
      this.malformed++;
      return;
    }
    const seq = rtpSequenceNumber(packet);
    let gap = false;
    if (this.#lastSeq !== -1) {
      const delta = (seq - this.#lastSeq) & 0xffff;
      if (delta === 0) return; // duplicate
      if (delta > 1) {
        // A jump backwards (or far ahead) is a source that started over (new sequence base); a loopback
        // relay does not reorder.
        if (delta < 0x8000) this.lostPackets += delta - 1;
        gap = true;
        this.#damaged = true; // the unit being assembled lost its end…
        this.#fu = undefined;
      }
    }
    this.#lastSeq = seq;
    const ts = this.#unwrap(rtpTimestamp(packet));
    if (ts !== this.#ts) {
      this.flush();
      this.#ts = ts;
      this.#arrivedAt = now;
      this.#damaged = gap; // …or this one its start
    }
    this.#packet = packet;
    this.#codec.walk(packet, this.#visit, range.start, range.end);
    this.#packet = undefined;
    if (rtpMarker(packet)) this.flush();
  }

  readonly #visit = (header: number, start: number, end: number, flags: number): void => {
    const packet = this.#packet as Buffer;
    if (!(flags & NalFlag.FRAGMENT)) {
      this.#nals.push(packet.subarray(start, end));
      return;
    }
    if (flags & NalFlag.START) this.#fu = [this.#codec.header(header)];
    if (!this.#fu) {
      this.#damaged = true;
      return;
    }
    this.#fu.push(packet.subarray(start, end));
    if (flags & NalFlag.END) {
      this.#nals.push(Buffer.concat(this.#fu));
      this.#fu = undefined;
    }
  };

  /** Emits the unit being assembled, if any (the marker did not come, or the stream ends). */
  flush(): void {
    if (this.#fu) {
      this.#damaged = true;
      this.#fu = undefined;
    }
    if (this.#nals.length > 0) {
      let keyframe = false;
      for (const n of this.#nals) if (this.#codec.keyframe(n)) keyframe = true;
      this.#emit({
        nals: this.#nals,
        timestamp: this.#ts,
        keyframe,
        arrivedAt: this.#arrivedAt,
        damaged: this.#damaged,
      });
    }
    this.#nals = [];
    this.#damaged = false;
  }

  /** Forgets the stream's position (a new source after a loss: timestamps start over). */
  reset(): void {
    this.#nals = [];
    this.#fu = undefined;
    this.#ts = -1;
    this.#damaged = false;
    this.#lastSeq = -1;
    this.#lastRaw = -1;
    this.#epoch = 0;
  }

  #unwrap(raw: number): number {
    if (this.#lastRaw !== -1) {
      const diff = raw - this.#lastRaw;
      if (diff < -0x80000000) this.#epoch += 0x100000000;
      else if (diff > 0x80000000) this.#epoch -= 0x100000000;
    }
    this.#lastRaw = raw;
    return this.#epoch + raw;
  }
}
