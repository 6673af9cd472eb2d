import { ByteQueue, concatBytes } from './bytes.ts';
import { fail, type GbResult, ok } from './result.ts';

/**
 * Minimal RTP (RFC 3550) on `Uint8Array` for GB/T 28181 media (media-server/src/ingest/rtp.ts has a
 * Buffer-based parser for its own relay; this one is browser-safe and also serializes), RFC 4571
 * framing of RTP over TCP, and the PS-over-RTP (de)packetizer: one frame = the payloads of one
 * timestamp, the marker on the last packet.
 */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** Header extension (X bit), when present. */
  extension?: { profile: number; data: Uint8Array };
  /** A view of the packet's bytes (padding removed). */
  payload: Uint8Array;
}

export const RTP_MAX_PACKET = 0xffff;

export function parseRtp(bytes: Uint8Array): GbResult<RtpPacket> {
  const n = bytes.length;
  if (n < 12) return fail('rtp:malformed', 'shorter than an RTP header');
  const b0 = bytes[0] as number;
  const b1 = bytes[1] as number;
  if (b0 >> 6 !== 2) return fail('rtp:malformed', 'not RTP version 2');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cc = b0 & 0x0f;
  let off = 12 + cc * 4;
  if (off > n) return fail('rtp:malformed', 'CSRC list past the end');
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(view.getUint32(12 + i * 4));
  let extension: RtpPacket['extension'];
  if (b0 & 0x10) {
    if (off + 4 > n) return fail('rtp:malformed', 'extension header past the end');
    const profile = view.getUint16(off);
    const words = view.getUint16(off + 2);
    const end = off + 4 + words * 4;
    if (end > n) return fail('rtp:malformed', 'extension past the end');
    extension = { profile, data: bytes.subarray(off + 4, end) };
    off = end;
  }
  let end = n;
  if (b0 & 0x20) {
    const pad = bytes[n - 1] as number;
    if (pad === 0 || pad > n - off) return fail('rtp:malformed', 'bad padding');
    end -= pad;
  }
  const packet: RtpPacket = {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    payload: bytes.subarray(off, end),
  };
  if (extension) packet.extension = extension;
  return ok(packet);
}

export function serializeRtp(p: Omit<RtpPacket, 'csrcs'> & { csrcs?: number[] }): Uint8Array {
  const csrcs = (p.csrcs ?? []).slice(0, 15);
  const extLen = p.extension ? 4 + Math.ceil(p.extension.data.length / 4) * 4 : 0;
  const out = new Uint8Array(12 + csrcs.length * 4 + extLen + p.payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (p.extension ? 0x10 : 0) | csrcs.length;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  view.setUint16(2, p.sequenceNumber & 0xffff);
  view.setUint32(4, p.timestamp >>> 0);
  view.setUint32(8, p.ssrc >>> 0);
  let off = 12;
  for (const c of csrcs) {
    view.setUint32(off, c >>> 0);
    off += 4;
  }
  if (p.extension) {
    view.setUint16(off, p.extension.profile & 0xffff);
    view.setUint16(off + 2, (extLen - 4) / 4);
    out.set(p.extension.data, off + 4);
    off += extLen;
  }
  out.set(p.payload, off);
  return out;
}

/** RFC 4571: a 2-byte big-endian length, then the packet. */
export function frameRfc4571(packet: Uint8Array): GbResult<Uint8Array> {
  if (packet.length > RTP_MAX_PACKET) return fail('rtp:too_large', 'packet over 65 535 bytes');
  const out = new Uint8Array(2 + packet.length);
  out[0] = packet.length >> 8;
  out[1] = packet.length & 0xff;
  out.set(packet, 2);
  return ok(out);
}

/** Splits an RFC 4571 stream into packets (copies); holds at most one incomplete frame. */
export class Rfc4571Decoder {
  readonly #queue = new ByteQueue();

  get bufferedBytes(): number {
    return this.#queue.length;
  }

  push(bytes: Uint8Array): Uint8Array[] {
    this.#queue.append(bytes);
    const out: Uint8Array[] = [];
    const view = this.#queue.view();
    let pos = 0;
    while (view.length - pos >= 2) {
      const len = ((view[pos] as number) << 8) | (view[pos + 1] as number);
      if (view.length - pos - 2 < len) break;
      if (len > 0) out.push(view.slice(pos + 2, pos + 2 + len));
      pos += 2 + len;
    }
    this.#queue.consume(pos);
    return out;
  }
}

export interface PsRtpFrame {
  timestamp: number;
  ssrc: number;
  /** The concatenated payloads (PS bytes). */
  data: Uint8Array;
  /** The marker was seen and no sequence number was missing. */
  complete: boolean;
}

/**
 * Collects the payloads of one RTP timestamp into a frame: emitted at the marker, or (incomplete)
 * when a packet with another timestamp arrives. Packets are taken in arrival order (TCP keeps order;
 * over UDP a reordered packet marks the frame incomplete). A frame over `maxFrameBytes` (default
 * 8 MiB) is dropped.
 */
export class PsRtpDepacketizer {
  readonly #maxFrame: number;
  #cur:
    | {
        timestamp: number;
        ssrc: number;
        chunks: Uint8Array[];
        size: number;
        gap: boolean;
        lastSeq: number;
        dropped: boolean;
      }
    | undefined;
  #dropped = 0;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.#maxFrame = options.maxFrameBytes ?? 8 * 1024 * 1024;
  }

  /** Frames dropped for size so far. */
  get droppedFrames(): number {
    return this.#dropped;
  }

  get bufferedBytes(): number {
    return this.#cur?.size ?? 0;
  }

  push(packet: RtpPacket): PsRtpFrame[] {
    const out: PsRtpFrame[] = [];
    let cur = this.#cur;
    if (cur && cur.timestamp !== packet.timestamp) {
      this.#emit(out, false);
      cur = undefined;
    }
    if (!cur) {
      cur = {
        timestamp: packet.timestamp,
        ssrc: packet.ssrc,
        chunks: [],
        size: 0,
        gap: false,
        lastSeq: packet.sequenceNumber,
        dropped: false,
      };
      this.#cur = cur;
    } else {
      if (packet.sequenceNumber !== ((cur.lastSeq + 1) & 0xffff)) cur.gap = true;
      cur.lastSeq = packet.sequenceNumber;
    }
    if (!cur.dropped) {
      if (cur.size + packet.payload.length > this.#maxFrame) {
        cur.dropped = true;
        cur.chunks = [];
        cur.size = 0;
        this.#dropped++;
      } else if (packet.payload.length > 0) {
        cur.chunks.push(packet.payload.slice());
        cur.size += packet.payload.length;
      }
    }
    if (packet.marker) this.#emit(out, true);
    return out;
  }

  #emit(out: PsRtpFrame[], marker: boolean): void {
    const cur = this.#cur;
    this.#cur = undefined;
    if (!cur || cur.dropped) return;
    out.push({
      timestamp: cur.timestamp,
      ssrc: cur.ssrc,
      data: concatBytes(cur.chunks),
      complete: marker && !cur.gap,
    });
  }
}

/** Cuts PS bytes into RTP packets (PT 96 by default), the marker on the last one of each frame. */
export class PsRtpPacketizer {
  readonly #ssrc: number;
  readonly #payloadType: number;
  readonly #maxPayload: number;
  #seq: number;

  constructor(options: {
    ssrc: number;
    payloadType?: number;
    maxPayload?: number;
    initialSequence?: number;
  }) {
    this.#ssrc = options.ssrc >>> 0;
    this.#payloadType = options.payloadType ?? 96;
    this.#maxPayload = Math.max(1, Math.min(options.maxPayload ?? 1400, RTP_MAX_PACKET - 12));
    this.#seq = (options.initialSequence ?? 0) & 0xffff;
  }

  /** Serialized packets of one frame (`timestamp` in 90 kHz). */
  packetize(ps: Uint8Array, timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let off = 0; off < ps.length; off += this.#maxPayload) {
      const end = Math.min(off + this.#maxPayload, ps.length);
      out.push(
        serializeRtp({
          marker: end === ps.length,
          payloadType: this.#payloadType,
          sequenceNumber: this.#seq,
          timestamp: timestamp >>> 0,
          ssrc: this.#ssrc,
          payload: ps.subarray(off, end),
        }),
      );
      this.#seq = (this.#seq + 1) & 0xffff;
    }
    return out;
  }
}
