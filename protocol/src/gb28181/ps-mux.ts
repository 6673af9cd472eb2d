import { concatBytes } from './bytes.ts';
import { isKeyframe, type VideoCodec } from './nal.ts';
import { PS_STREAM_TYPES } from './ps.ts';

/**
 * MPEG-2 Program Stream muxer for one video stream (the device simulator's output and the demuxer's
 * round-trip tests): per access unit a pack header; on key frames a system header and a program
 * stream map; then the Annex-B data in video PES packets (stream 0xE0) of at most `maxPesPayload`
 * bytes, the first with PTS (and DTS when it differs).
 */

export interface PsMuxerOptions {
  codec?: VideoCodec;
  /** Payload bytes per PES (default 65 000, at most 65 535 − 13). */
  maxPesPayload?: number;
  /** Put the PTS on every PES of a unit, as some cameras do (default: first only). */
  ptsOnEveryPes?: boolean;
  /** program_mux_rate in units of 50 bytes/s, 22 bits (default 20 000 = 8 Mbit/s). */
  muxRate?: number;
}

export interface PsMuxInput {
  /** 90 kHz. */
  pts: number;
  dts?: number;
  /** Annex-B. */
  data: Uint8Array;
  /** Default: detected from the NAL types. */
  keyframe?: boolean;
}

const TWO_30 = 0x40000000;

/** 5-byte PTS/DTS field with the 4-bit `prefix` (0010 PTS only, 0011 PTS with DTS, 0001 DTS). */
function writeTimestamp(out: Uint8Array, at: number, prefix: number, ts: number): void {
  const v = ((ts % 0x200000000) + 0x200000000) % 0x200000000;
  const hi = Math.floor(v / TWO_30) & 0x07;
  const lo = v % TWO_30;
  out[at] = (prefix << 4) | (hi << 1) | 1;
  out[at + 1] = (lo >>> 22) & 0xff;
  out[at + 2] = (((lo >>> 15) & 0x7f) << 1) | 1;
  out[at + 3] = (lo >>> 7) & 0xff;
  out[at + 4] = ((lo & 0x7f) << 1) | 1;
}

/** 14-byte MPEG-2 pack header, no stuffing. */
export function packHeader(scr: number, muxRate: number): Uint8Array {
  const v = ((scr % 0x200000000) + 0x200000000) % 0x200000000;
  const hi = Math.floor(v / TWO_30) & 0x07;
  const lo = v % TWO_30;
  const rate = muxRate & 0x3fffff;
  const b = new Uint8Array(14);
  b[2] = 1;
  b[3] = 0xba;
  b[4] = 0x44 | (hi << 3) | ((lo >>> 28) & 0x03);
  b[5] = (lo >>> 20) & 0xff;
  b[6] = (((lo >>> 15) & 0x1f) << 3) | 0x04 | ((lo >>> 13) & 0x03);
  b[7] = (lo >>> 5) & 0xff;
  b[8] = ((lo & 0x1f) << 3) | 0x04; // SCR_ext high bits 0
  b[9] = 0x01; // SCR_ext low bits 0, marker
  b[10] = (rate >>> 14) & 0xff;
  b[11] = (rate >>> 6) & 0xff;
  b[12] = ((rate & 0x3f) << 2) | 0x03;
  b[13] = 0xf8; // reserved, stuffing length 0
  return b;
}

/** System header announcing one video stream (0xE0). */
export function systemHeader(muxRate: number): Uint8Array {
  const rate = muxRate & 0x3fffff;
  const b = new Uint8Array(6 + 6 + 3);
  b[2] = 1;
  b[3] = 0xbb;
  b[5] = 9; // header_length
  b[6] = 0x80 | ((rate >>> 15) & 0x7f);
  b[7] = (rate >>> 7) & 0xff;
  b[8] = ((rate & 0x7f) << 1) | 0x01;
  b[9] = 0x00; // audio_bound 0, fixed 0, CSPS 0
  b[10] = 0xe1; // audio lock, video lock, marker, video_bound 1
  b[11] = 0x7f; // packet_rate_restriction 0, reserved
  b[12] = 0xe0; // stream_id
  b[13] = 0xe0; // '11', P-STD_buffer_bound_scale 1, size bits 12..8 = 0
  b[14] = 0xe8; // P-STD_buffer_size_bound 232 × 1024 bytes
  return b;
}

/** CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, no reflection, no final XOR). */
export function crc32Mpeg2(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

/** Program stream map with one video stream (0xE0) of the codec's stream type. */
export function programStreamMap(codec: VideoCodec, version = 0): Uint8Array {
  const entries = [[codec === 'h264' ? PS_STREAM_TYPES.h264 : PS_STREAM_TYPES.h265, 0xe0]] as const;
  const mapLen = entries.length * 4;
  const total = 6 + 2 + 2 + 2 + mapLen + 4;
  const b = new Uint8Array(total);
  b[2] = 1;
  b[3] = 0xbc;
  b[4] = ((total - 6) >> 8) & 0xff;
  b[5] = (total - 6) & 0xff;
  b[6] = 0x80 | 0x60 | (version & 0x1f); // current_next 1, reserved, version
  b[7] = 0xff; // reserved, marker
  b[8] = 0; // program_stream_info_length
  b[9] = 0;
  b[10] = (mapLen >> 8) & 0xff;
  b[11] = mapLen & 0xff;
  let off = 12;
  for (const [type, id] of entries) {
    b[off] = type;
    b[off + 1] = id;
    off += 4; // elementary_stream_info_length 0
  }
  const crc = crc32Mpeg2(b.subarray(0, off));
  b[off] = crc >>> 24;
  b[off + 1] = (crc >>> 16) & 0xff;
  b[off + 2] = (crc >>> 8) & 0xff;
  b[off + 3] = crc & 0xff;
  return b;
}

/** One video PES packet (stream 0xE0). */
export function videoPes(payload: Uint8Array, pts?: number, dts?: number): Uint8Array {
  const withDts = pts !== undefined && dts !== undefined && dts !== pts;
  const hdrLen = pts === undefined ? 0 : withDts ? 10 : 5;
  const length = 3 + hdrLen + payload.length;
  const b = new Uint8Array(6 + length);
  b[2] = 1;
  b[3] = 0xe0;
  b[4] = (length >> 8) & 0xff;
  b[5] = length & 0xff;
  b[6] = 0x80;
  b[7] = pts === undefined ? 0 : withDts ? 0xc0 : 0x80;
  b[8] = hdrLen;
  if (pts !== undefined) writeTimestamp(b, 9, withDts ? 0x3 : 0x2, pts);
  if (withDts) writeTimestamp(b, 14, 0x1, dts as number);
  b.set(payload, 9 + hdrLen);
  return b;
}

export class PsMuxer {
  readonly #codec: VideoCodec;
  readonly #maxPayload: number;
  readonly #ptsOnEvery: boolean;
  readonly #muxRate: number;

  constructor(options: PsMuxerOptions = {}) {
    this.#codec = options.codec ?? 'h264';
    this.#maxPayload = Math.max(1, Math.min(options.maxPesPayload ?? 65_000, 0xffff - 13));
    this.#ptsOnEvery = options.ptsOnEveryPes ?? false;
    this.#muxRate = options.muxRate ?? 20_000;
  }

  /** The PS bytes of one access unit. */
  mux(au: PsMuxInput): Uint8Array {
    const keyframe = au.keyframe ?? isKeyframe(this.#codec, au.data);
    const parts: Uint8Array[] = [packHeader(au.dts ?? au.pts, this.#muxRate)];
    if (keyframe) parts.push(systemHeader(this.#muxRate), programStreamMap(this.#codec));
    for (let off = 0; off < au.data.length || off === 0; off += this.#maxPayload) {
      const first = off === 0;
      const chunk = au.data.subarray(off, off + this.#maxPayload);
      parts.push(first || this.#ptsOnEvery ? videoPes(chunk, au.pts, au.dts) : videoPes(chunk));
      if (au.data.length === 0) break;
    }
    return concatBytes(parts);
  }
}
