import { ByteQueue, concatBytes } from './bytes.ts';
import { isKeyframe, type VideoCodec } from './nal.ts';

/**
 * MPEG-2 Program Stream (ISO/IEC 13818-1 §2.5) demuxer for GB/T 28181 media: incremental, bytes in
 * (in any split: RTP payloads, TCP reads), access units out. Pack headers (0xBA, MPEG-2 with stuffing,
 * MPEG-1 tolerated), system headers (0xBB, skipped), program stream maps (0xBC: stream types), PES
 * packets (0xE0–0xEF video, 0xC0–0xDF audio; 0xBD/0xBE/0xBF skipped) with PTS/DTS.
 *
 * Access units: video PES payloads are concatenated; a PES carrying a PTS different from the current
 * unit's starts a new unit (devices split a frame over several PES, with the PTS on the first or on
 * each). A unit is emitted when the next one starts, on {@link PsDemuxer.flush} (call it at the RTP
 * marker: the frame is complete) or on {@link PsDemuxer.end}.
 *
 * Garbage is skipped by scanning for the next system start code (00 00 01 ≥ B9) and reported. Memory
 * is bounded: one incomplete packet (≤ 64 KiB + header, or an unbounded video PES up to
 * `maxAccessUnitBytes`) plus one access unit (`maxAccessUnitBytes`, default 8 MiB; a larger one is
 * dropped and reported). Never throws on input.
 */

export type { VideoCodec } from './nal.ts';

export const PS_STREAM_TYPES = {
  mpeg4: 0x10,
  h264: 0x1b,
  h265: 0x24,
  svac: 0x80,
  aac: 0x0f,
  g711a: 0x90,
  g711u: 0x91,
  g7221: 0x92,
  g7231: 0x93,
  g729: 0x99,
} as const;

export interface AccessUnit {
  codec: VideoCodec;
  /** 90 kHz, 33 bits. */
  pts: number;
  dts?: number;
  /** Annex-B byte stream. */
  data: Uint8Array;
  keyframe: boolean;
}

export interface PsAudioFrame {
  streamId: number;
  /** From the PSM, when one was seen. */
  streamType?: number;
  pts?: number;
  data: Uint8Array;
}

export type PsProblemCode =
  | 'ps:resync'
  | 'ps:malformed'
  | 'ps:au_too_large'
  | 'ps:no_pts'
  | 'ps:unsupported_codec';

export type PsDemuxEvent =
  | { kind: 'video'; unit: AccessUnit }
  | { kind: 'audio'; frame: PsAudioFrame }
  | { kind: 'problem'; code: PsProblemCode; message: string };

export interface PsDemuxerOptions {
  /** Largest access unit kept (default 8 MiB). */
  maxAccessUnitBytes?: number;
  /** Codec assumed until a PSM names one (default `h264`). */
  defaultCodec?: VideoCodec;
  /** Emit audio PES payloads (default true). */
  audio?: boolean;
}

function isVideoId(id: number): boolean {
  return id >= 0xe0 && id <= 0xef;
}

function isAudioId(id: number): boolean {
  return id >= 0xc0 && id <= 0xdf;
}

/** A 33-bit PTS/DTS from its 5 bytes (marker bits not checked: devices get them wrong). */
export function readPesTimestamp(p: Uint8Array, at: number): number {
  const b0 = p[at] as number;
  const b1 = p[at + 1] as number;
  const b2 = p[at + 2] as number;
  const b3 = p[at + 3] as number;
  const b4 = p[at + 4] as number;
  return ((b0 >> 1) & 0x07) * 0x40000000 + ((b1 << 22) | ((b2 >> 1) << 15) | (b3 << 7) | (b4 >> 1));
}

/** Offset of the next 00 00 01 xx with xx ≥ 0xB9 at or after `from`, or -1. */
function findSystemStartCode(buf: Uint8Array, from: number): number {
  const n = buf.length - 3;
  for (let i = from; i < n; i++) {
    if (buf[i + 2] === 1 && buf[i] === 0 && buf[i + 1] === 0 && (buf[i + 3] as number) >= 0xb9) return i;
  }
  return -1;
}

function validMpeg2Pack(b: Uint8Array, at: number): boolean {
  // '01' SCR[32..30] '1' SCR[29..28] | … '1' … | … '1' … | SCR_ext '1' | mux_rate … '11'
  return (
    ((b[at + 4] as number) & 0xc4) === 0x44 &&
    ((b[at + 6] as number) & 0x04) === 0x04 &&
    ((b[at + 8] as number) & 0x04) === 0x04 &&
    ((b[at + 9] as number) & 0x01) === 0x01 &&
    ((b[at + 12] as number) & 0x03) === 0x03
  );
}

/**
 * Cheap checks of a packet header's fixed bits, so that a start code inside garbage does not make
 * the demuxer skip real packets by a bogus length. `at` has at least 9 bytes.
 */
function plausibleHeader(b: Uint8Array, at: number, id: number, declared: number): boolean {
  const b6 = b[at + 6] as number;
  if (id === 0xbb) return declared >= 6 && (b6 & 0x80) === 0x80; // marker before rate_bound
  if (id === 0xbc) return declared >= 10 && ((b[at + 7] as number) & 0x01) === 0x01; // marker bit
  if (id === 0xbd || (id >= 0xc0 && id <= 0xef)) {
    // MPEG-2 PES: '10' first, and the header fits in the packet (length 0: unbounded video).
    return (b6 & 0xc0) === 0x80 && (declared === 0 ? isVideoId(id) : 3 + (b[at + 8] as number) <= declared);
  }
  return true; // padding (0xBE), private 2 (0xBF), others: length only
}

interface PendingUnit {
  pts: number;
  dts?: number;
  streamId: number;
  chunks: Uint8Array[];
  size: number;
  dropped: boolean;
}

export class PsDemuxer {
  readonly #queue = new ByteQueue();
  readonly #maxAu: number;
  readonly #defaultCodec: VideoCodec;
  readonly #audio: boolean;
  /** stream_id → stream_type from the latest PSM. */
  #streamTypes = new Map<number, number>();
  #videoStreamId: number | undefined;
  #unit: PendingUnit | undefined;
  #events: PsDemuxEvent[] = [];
  #reportedCodec = false;
  /** How far into the pending unbounded video PES the start-code search got. */
  #scanned = 0;

  constructor(options: PsDemuxerOptions = {}) {
    this.#maxAu = options.maxAccessUnitBytes ?? 8 * 1024 * 1024;
    this.#defaultCodec = options.defaultCodec ?? 'h264';
    this.#audio = options.audio ?? true;
  }

  /** Bytes held: the incomplete packet plus the access unit being assembled. */
  get bufferedBytes(): number {
    return this.#queue.length + (this.#unit?.size ?? 0);
  }

  /** The codec of the video stream as the latest PSM says (`undefined` before any PSM). */
  get videoCodec(): VideoCodec | undefined {
    const t = this.#videoStreamId === undefined ? undefined : this.#streamTypes.get(this.#videoStreamId);
    return t === PS_STREAM_TYPES.h264 ? 'h264' : t === PS_STREAM_TYPES.h265 ? 'h265' : undefined;
  }

  push(bytes: Uint8Array): PsDemuxEvent[] {
    this.#queue.append(bytes);
    this.#parse();
    return this.#take();
  }

  /**
   * The current frame is complete (RTP marker): emit the pending access unit now, unless a video
   * PES of it is still incomplete in the buffer.
   */
  flush(): PsDemuxEvent[] {
    const view = this.#queue.view();
    const partialVideo =
      view.length >= 4 && view[0] === 0 && view[1] === 0 && view[2] === 1 && isVideoId(view[3] as number);
    if (!partialVideo) this.#finishUnit();
    return this.#take();
  }

  /** End of stream: emit the pending unit and forget (and report) incomplete bytes. */
  end(): PsDemuxEvent[] {
    this.#finishUnit();
    if (this.#queue.length > 0) this.#problem('ps:resync', `dropped ${this.#queue.length} bytes at the end`);
    this.#queue.clear();
    this.#scanned = 0;
    return this.#take();
  }

  #take(): PsDemuxEvent[] {
    const out = this.#events;
    this.#events = [];
    return out;
  }

  #problem(code: PsProblemCode, message: string): void {
    this.#events.push({ kind: 'problem', code, message });
  }

  #parse(): void {
    const buf = this.#queue.view();
    const n = buf.length;
    let pos = 0;
    while (n - pos >= 4) {
      if (buf[pos] !== 0 || buf[pos + 1] !== 0 || buf[pos + 2] !== 1 || (buf[pos + 3] as number) < 0xb9) {
        const next = findSystemStartCode(buf, pos + 1);
        const to = next < 0 ? n - 3 : next;
        this.#problem('ps:resync', `skipped ${to - pos} bytes looking for a start code`);
        pos = to;
        if (next < 0) break;
        continue;
      }
      const id = buf[pos + 3] as number;
      if (id === 0xba) {
        if (n - pos < 14) break;
        let len: number;
        if (validMpeg2Pack(buf, pos)) len = 14 + ((buf[pos + 13] as number) & 0x07);
        else if (((buf[pos + 4] as number) & 0xf0) === 0x20)
          len = 12; // MPEG-1 pack header
        else {
          this.#problem('ps:malformed', 'bad pack header');
          pos += 4;
          continue;
        }
        if (n - pos < len) break;
        pos += len;
        continue;
      }
      if (id === 0xb9) {
        pos += 4; // program end code
        continue;
      }
      if (n - pos < 9) break;
      const declared = ((buf[pos + 4] as number) << 8) | (buf[pos + 5] as number);
      if (!plausibleHeader(buf, pos, id, declared)) {
        // A start code inside garbage: step over it and look for the next one.
        this.#problem('ps:malformed', `implausible 0x${id.toString(16)} header`);
        pos += 1;
        continue;
      }
      let len: number;
      if (declared === 0 && isVideoId(id)) {
        // Unbounded video PES (not allowed in PS, written by some devices): up to the next start code.
        // Resume the search where the last push left it, so a large one is scanned once, not per push.
        const next = findSystemStartCode(buf, pos + Math.max(6, this.#scanned - 3));
        if (next < 0) {
          this.#scanned = n - pos;
          if (n - pos > this.#maxAu) {
            this.#problem('ps:au_too_large', 'unbounded video PES without an end');
            this.#scanned = 0;
            pos = n - 3;
          }
          break;
        }
        this.#scanned = 0;
        len = next - pos;
      } else len = 6 + declared;
      if (n - pos < len) break;
      const packet = buf.subarray(pos, pos + len);
      if (id === 0xbc) this.#psm(packet);
      else if (isVideoId(id)) this.#pes(packet, id, true);
      else if (isAudioId(id)) this.#pes(packet, id, false);
      // 0xBB system header, 0xBD/0xBF private, 0xBE padding, others: skipped by length.
      pos += len;
    }
    this.#queue.consume(pos);
  }

  #psm(p: Uint8Array): void {
    const len = p.length;
    if (len < 16) {
      this.#problem('ps:malformed', 'PSM too short');
      return;
    }
    const infoLen = ((p[8] as number) << 8) | (p[9] as number);
    let off = 10 + infoLen;
    if (off + 2 > len - 4) {
      this.#problem('ps:malformed', 'PSM info length past the end');
      return;
    }
    const mapLen = ((p[off] as number) << 8) | (p[off + 1] as number);
    off += 2;
    const end = off + mapLen;
    if (end > len - 4) {
      this.#problem('ps:malformed', 'PSM map length past the end');
      return;
    }
    const types = new Map<number, number>();
    while (off + 4 <= end) {
      const type = p[off] as number;
      const sid = p[off + 1] as number;
      const esInfo = ((p[off + 2] as number) << 8) | (p[off + 3] as number);
      types.set(sid, type);
      off += 4 + esInfo;
    }
    this.#streamTypes = types;
    this.#reportedCodec = false;
    // Follow the first video stream the map names (unless the current one is still in it).
    for (const sid of types.keys()) {
      if (isVideoId(sid) && (this.#videoStreamId === undefined || !types.has(this.#videoStreamId))) {
        this.#videoStreamId = sid;
      }
    }
  }

  #pes(p: Uint8Array, id: number, video: boolean): void {
    const len = p.length;
    if (len < 9 || ((p[6] as number) & 0xc0) !== 0x80) {
      this.#problem('ps:malformed', `PES ${id.toString(16)} without an MPEG-2 header`);
      return;
    }
    const flags = (p[7] as number) >> 6;
    const hdrLen = p[8] as number;
    const start = 9 + hdrLen;
    if (start > len) {
      this.#problem('ps:malformed', 'PES header longer than the packet');
      return;
    }
    let pts: number | undefined;
    let dts: number | undefined;
    if ((flags === 2 || flags === 3) && hdrLen >= 5) pts = readPesTimestamp(p, 9);
    if (flags === 3 && hdrLen >= 10) dts = readPesTimestamp(p, 14);
    const payload = p.subarray(start);
    if (!video) {
      if (!this.#audio || payload.length === 0) return;
      const frame: PsAudioFrame = { streamId: id, data: payload.slice() };
      const st = this.#streamTypes.get(id);
      if (st !== undefined) frame.streamType = st;
      if (pts !== undefined) frame.pts = pts;
      this.#events.push({ kind: 'audio', frame });
      return;
    }
    if (this.#videoStreamId === undefined) this.#videoStreamId = id;
    if (id !== this.#videoStreamId) return;
    let unit = this.#unit;
    if (pts !== undefined && (!unit || unit.pts !== pts)) {
      this.#finishUnit();
      unit = { pts, streamId: id, chunks: [], size: 0, dropped: false };
      if (dts !== undefined && dts !== pts) unit.dts = dts;
      this.#unit = unit;
    }
    if (!unit) {
      this.#problem('ps:no_pts', 'video PES without PTS and no access unit to continue');
      return;
    }
    if (unit.dropped || payload.length === 0) return;
    if (unit.size + payload.length > this.#maxAu) {
      this.#problem('ps:au_too_large', `access unit over ${this.#maxAu} bytes dropped`);
      unit.dropped = true;
      unit.chunks = [];
      unit.size = 0;
      return;
    }
    unit.chunks.push(payload.slice());
    unit.size += payload.length;
  }

  #finishUnit(): void {
    const unit = this.#unit;
    this.#unit = undefined;
    if (!unit || unit.dropped || unit.size === 0) return;
    const type = this.#streamTypes.get(unit.streamId);
    let codec: VideoCodec;
    if (type === undefined) codec = this.#defaultCodec;
    else if (type === PS_STREAM_TYPES.h264) codec = 'h264';
    else if (type === PS_STREAM_TYPES.h265) codec = 'h265';
    else {
      if (!this.#reportedCodec) {
        this.#problem('ps:unsupported_codec', `video stream type 0x${type.toString(16)}`);
        this.#reportedCodec = true;
      }
      return;
    }
    const data = unit.chunks.length === 1 ? (unit.chunks[0] as Uint8Array) : concatBytes(unit.chunks);
    const au: AccessUnit = { codec, pts: unit.pts, data, keyframe: isKeyframe(codec, data) };
    if (unit.dts !== undefined) au.dts = unit.dts;
    this.#events.push({ kind: 'video', unit: au });
  }
}
