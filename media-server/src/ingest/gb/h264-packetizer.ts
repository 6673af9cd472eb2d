import { randomInt } from 'node:crypto';
import { H264_AUD, splitNalUnits } from './annexb.ts';

/**
 * H.264 access units (Annex B, 90 kHz PTS) → RTP (RFC 6184, packetization-mode 1): a NAL unit that
 * fits goes as a single NAL unit packet, a larger one as FU-A fragments; the marker is on the last
 * packet of the unit. On the way, what a WebRTC viewer needs and devices do not always send:
 *
 * - nothing before the first key frame (IDR with its SPS and PPS): a decoder could not use it;
 * - SPS and PPS before every IDR (remembered from earlier units when a device sends them apart);
 * - increasing timestamps when a device repeats one PTS for every frame (then the outer RTP
 *   timestamp's advance is used).
 *
 * Pure apart from the random initial sequence number and timestamp offset (RFC 3550 §5.1).
 */

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const FU_A = 28;
const RTP_HEADER = 12;
/** One frame at 25 fps, when nothing better is known. */
const DEFAULT_FRAME_TICKS = 3600;

export interface H264PacketizerOptions {
  ssrc: number;
  payloadType: number;
  /** Largest RTP packet, header included (default 1200). */
  mtu?: number;
  initialSequence?: number;
  /** Added to every PTS (mod 2^32). Default random. */
  timestampOffset?: number;
}

export interface H264Unit {
  /** Annex B. */
  data: Uint8Array;
  /** 90 kHz (33 bits). */
  pts: number;
  /** The device's RTP timestamp of the frame, used when PTS does not advance. */
  rtpTimestamp?: number;
}

export interface PacketizedUnit {
  packets: Buffer[];
  /** The unit starts a GOP (IDR). */
  keyframe: boolean;
  /** RTP timestamp given to the unit. */
  timestamp: number;
}

export class H264Packetizer {
  readonly #ssrc: number;
  readonly #pt: number;
  readonly #maxPayload: number;
  readonly #offset: number;
  #seq: number;
  #sps: Uint8Array | undefined;
  #pps: Uint8Array | undefined;
  #started = false;
  #lastPts: number | undefined;
  #lastRtp: number | undefined;
  #lastTs = 0;

  constructor(o: H264PacketizerOptions) {
    this.#ssrc = o.ssrc >>> 0;
    this.#pt = o.payloadType & 0x7f;
    this.#maxPayload = Math.max(16, (o.mtu ?? 1200) - RTP_HEADER);
    this.#seq = (o.initialSequence ?? randomInt(0, 0x10000)) & 0xffff;
    this.#offset = (o.timestampOffset ?? randomInt(0, 2 ** 32)) >>> 0;
  }

  /** Whether the first key frame went out. */
  get started(): boolean {
    return this.#started;
  }

  /** Forget the stream (a new device connection): wait for a key frame again. Sequence numbers go on. */
  reset(): void {
    this.#started = false;
    this.#lastPts = undefined;
    this.#lastRtp = undefined;
  }

  /** The RTP packets of one access unit; none while waiting for the first key frame. */
  packetize(unit: H264Unit): PacketizedUnit {
    const nals = splitNalUnits(unit.data).filter((n) => ((n[0] as number) & 0x1f) !== H264_AUD);
    let hasIdr = false;
    let hasSps = false;
    let hasPps = false;
    for (const nal of nals) {
      const type = (nal[0] as number) & 0x1f;
      if (type === NAL_IDR) hasIdr = true;
      else if (type === NAL_SPS) {
        hasSps = true;
        this.#sps = Uint8Array.from(nal);
      } else if (type === NAL_PPS) {
        hasPps = true;
        this.#pps = Uint8Array.from(nal);
      }
    }
    const timestamp = this.#timestamp(unit);
    const keyframe = hasIdr && this.#sps !== undefined && this.#pps !== undefined;
    if (!this.#started && !keyframe) return { packets: [], keyframe: false, timestamp };
    this.#started = true;
    if (hasIdr) {
      // Parameter sets first, as decoders (and mediasoup's key frame detection) expect them.
      const prefix: Uint8Array[] = [];
      if (!hasSps && this.#sps) prefix.push(this.#sps);
      if (!hasPps && this.#pps) prefix.push(this.#pps);
      if (prefix.length > 0) nals.unshift(...prefix);
    }
    const packets: Buffer[] = [];
    for (let i = 0; i < nals.length; i++)
      this.#nal(nals[i] as Uint8Array, i === nals.length - 1, timestamp, packets);
    return { packets, keyframe: hasIdr, timestamp };
  }

  #timestamp(unit: H264Unit): number {
    let pts = unit.pts;
    if (this.#lastPts !== undefined && pts === this.#lastPts) {
      // The device repeats its PTS: advance by its RTP clock, else by one frame at 25 fps.
      const delta =
        unit.rtpTimestamp !== undefined && this.#lastRtp !== undefined
          ? (unit.rtpTimestamp - this.#lastRtp) >>> 0
          : 0;
      const step = delta > 0 && delta < 90_000 * 10 ? delta : DEFAULT_FRAME_TICKS;
      const ts = (this.#lastTs + step) >>> 0;
      this.#lastTs = ts;
      this.#lastRtp = unit.rtpTimestamp;
      return ts;
    }
    this.#lastPts = pts;
    this.#lastRtp = unit.rtpTimestamp;
    pts %= 2 ** 32;
    const ts = (pts + this.#offset) >>> 0;
    this.#lastTs = ts;
    return ts;
  }

  #nal(nal: Uint8Array, lastOfUnit: boolean, ts: number, out: Buffer[]): void {
    const max = this.#maxPayload;
    if (nal.length <= max) {
      const p = this.#header(nal.length, lastOfUnit, ts);
      p.set(nal, RTP_HEADER);
      out.push(p);
      return;
    }
    const header = nal[0] as number;
    const indicator = (header & 0xe0) | FU_A;
    const type = header & 0x1f;
    const chunk = max - 2;
    for (let off = 1; off < nal.length; off += chunk) {
      const end = Math.min(off + chunk, nal.length);
      const first = off === 1;
      const last = end === nal.length;
      const p = this.#header(2 + end - off, lastOfUnit && last, ts);
      p[RTP_HEADER] = indicator;
      p[RTP_HEADER + 1] = (first ? 0x80 : 0) | (last ? 0x40 : 0) | type;
      p.set(nal.subarray(off, end), RTP_HEADER + 2);
      out.push(p);
    }
  }

  #header(payloadLength: number, marker: boolean, ts: number): Buffer {
    const p = Buffer.allocUnsafe(RTP_HEADER + payloadLength);
    p[0] = 0x80;
    p[1] = (marker ? 0x80 : 0) | this.#pt;
    p.writeUInt16BE(this.#seq, 2);
    p.writeUInt32BE(ts, 4);
    p.writeUInt32BE(this.#ssrc, 8);
    this.#seq = (this.#seq + 1) & 0xffff;
    return p;
  }
}
