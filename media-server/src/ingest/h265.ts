/**
 * H.265/HEVC over RTP (RFC 7798) payload walking and a sequence parameter set parser (ITU-T H.265
 * §7.3.2.2), for the recorder that stores an H.265 camera's own bitstream. Pure: no sockets, timers
 * or module state. Nothing here throws on malformed input. Shares the bit reader and the emulation
 * prevention removal with the H.264 parser.
 */
import { BitReader, NalFlag, unescapeRbsp } from './h264.ts';

/** NAL unit types (H.265 Table 7-1) and RTP payload structure types (RFC 7798 §4.4). */
export const HevcNalType = {
  /** Intra random access point pictures are 16–23 (BLA, IDR, CRA, reserved IRAP). */
  IRAP_FIRST: 16,
  IRAP_LAST: 23,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  /** Aggregation packet. */
  AP: 48,
  /** Fragmentation unit. */
  FU: 49,
  /** Payload content information (PACI): not produced by cameras; skipped. */
  PACI: 50,
} as const;

/** The type of an H.265 NAL unit from its first header byte. */
export function hevcNalType(firstByte: number): number {
  return (firstByte >> 1) & 0x3f;
}

/** Whether a NAL unit type is an IRAP picture (a key frame a decoder can start at). */
export function isHevcIrap(type: number): boolean {
  return type >= HevcNalType.IRAP_FIRST && type <= HevcNalType.IRAP_LAST;
}

/**
 * Called for each NAL unit (or fragment) of a payload. `header` is the 16-bit NAL unit header (for
 * a fragment, rebuilt from the payload header and the FU header); `[start, end)` is the NAL unit
 * including its two header bytes, or for a fragment the fragment's bytes only. Flags: {@link NalFlag}.
 */
export type HevcNalVisitor = (header: number, start: number, end: number, flags: number) => void;

/**
 * Walks one RTP payload (RFC 7798, no DONL: `sprop-max-don-diff` 0, as cameras send): a single NAL
 * unit (types 0–47), an aggregation packet (48) or a fragmentation unit (49). Truncated structures
 * stop the walk; PACI (50) and the unspecified types 51–63 are skipped. Returns the number of units
 * (or fragments) visited.
 */
export function walkHevcNals(
  payload: Uint8Array,
  visit: HevcNalVisitor,
  start = 0,
  end: number = payload.length,
): number {
  if (end > payload.length) end = payload.length;
  if (start < 0 || start + 2 > end) return 0;
  const header = ((payload[start] as number) << 8) | (payload[start + 1] as number);
  if (header & 0x8000) return 0; // forbidden_zero_bit
  const type = (header >> 9) & 0x3f;
  if (type === HevcNalType.AP) {
    let visited = 0;
    let offset = start + 2;
    while (offset + 2 <= end) {
      const size = ((payload[offset] as number) << 8) | (payload[offset + 1] as number);
      offset += 2;
      if (size < 2 || offset + size > end) break;
      visit(((payload[offset] as number) << 8) | (payload[offset + 1] as number), offset, offset + size, 0);
      visited++;
      offset += size;
    }
    return visited;
  }
  if (type === HevcNalType.FU) {
    if (start + 3 > end) return 0;
    const fu = payload[start + 2] as number;
    const rebuilt = (header & 0x81ff) | ((fu & 0x3f) << 9);
    let flags: number = NalFlag.FRAGMENT;
    if (fu & 0x80) flags |= NalFlag.START;
    if (fu & 0x40) flags |= NalFlag.END;
    visit(rebuilt, start + 3, end, flags);
    return 1;
  }
  if (type >= HevcNalType.PACI) return 0;
  visit(header, start, end, 0);
  return 1;
}

/** What the recorder needs of an H.265 SPS: the picture size and the `hvcC` fields. */
export interface HevcSpsInfo {
  width: number;
  height: number;
  /** sps_max_sub_layers_minus1 + 1. */
  subLayers: number;
  temporalIdNested: boolean;
  profileSpace: number;
  tierFlag: number;
  profileIdc: number;
  /** general_profile_compatibility_flags (32 bits). */
  compatibilityFlags: number;
  /** general_progressive_source_flag … general_inbld/reserved flag: the 48 bits as 6 bytes. */
  constraintFlags: Uint8Array;
  levelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

const MAX_DIMENSION = 16384;

/**
 * Parses an H.265 SPS NAL unit (with its two header bytes, type 33) up to the bit depths: profile,
 * tier and level, chroma format, the cropped picture size. `undefined` for anything that is not a
 * plausible SPS. Never throws.
 */
export function parseHevcSps(nal: Uint8Array): HevcSpsInfo | undefined {
  if (nal.length < 16) return undefined;
  const first = nal[0] as number;
  if ((first & 0x80) !== 0 || hevcNalType(first) !== HevcNalType.SPS) return undefined;
  const r = new BitReader(unescapeRbsp(nal, 2));
  r.bits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  if (maxSubLayersMinus1 > 6) return undefined;
  const temporalIdNested = r.bit() === 1;
  // profile_tier_level(1, sps_max_sub_layers_minus1)
  const profileSpace = r.bits(2);
  const tierFlag = r.bit();
  const profileIdc = r.bits(5);
  const compatibilityFlags = r.bits(32);
  const constraintFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraintFlags[i] = r.bits(8);
  const levelIdc = r.bits(8);
  const subProfile: boolean[] = [];
  const subLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfile.push(r.bit() === 1);
    subLevel.push(r.bit() === 1);
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.bits(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfile[i]) r.bits(88);
    if (subLevel[i]) r.bits(8);
  }
  if (r.ue() > 15) return undefined; // sps_seq_parameter_set_id
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc > 3) return undefined;
  const separateColourPlane = chromaFormatIdc === 3 && r.bit() === 1;
  const codedWidth = r.ue();
  const codedHeight = r.ue();
  let crop = [0, 0, 0, 0];
  if (r.bit() === 1) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  const bitDepthLumaMinus8 = r.ue();
  const bitDepthChromaMinus8 = r.ue();
  if (r.failed || bitDepthLumaMinus8 > 8 || bitDepthChromaMinus8 > 8) return undefined;
  // Conformance window units (H.265 Table 6-1): SubWidthC, SubHeightC of the chroma format.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidth = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeight = chromaArrayType === 1 ? 2 : 1;
  const [left = 0, right = 0, top = 0, bottom = 0] = crop;
  const width = codedWidth - subWidth * (left + right);
  const height = codedHeight - subHeight * (top + bottom);
  if (!(width >= 1 && width <= MAX_DIMENSION && height >= 1 && height <= MAX_DIMENSION)) return undefined;
  return {
    width,
    height,
    subLayers: maxSubLayersMinus1 + 1,
    temporalIdNested,
    profileSpace,
    tierFlag,
    profileIdc,
    compatibilityFlags,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepthLuma: 8 + bitDepthLumaMinus8,
    bitDepthChroma: 8 + bitDepthChromaMinus8,
  };
}

/**
 * H.265 access units → RTP (RFC 7798): small NAL units (parameter sets, SEI) aggregated in an AP
 * while they fit, NAL units larger than the payload size split into FUs, the rest sent alone; the
 * marker on each unit's last packet. For feeds that have the camera's H.265 in process (GB/T 28181
 * PS) and hand it to the recorders as RTP.
 */
export class HevcRtpPacketizer {
  readonly #ssrc: number;
  readonly #payloadType: number;
  readonly #mtu: number;
  #seq: number;

  /** `mtu`: the largest RTP payload (default 1200); `seq`: the first sequence number. */
  constructor(o: { ssrc: number; payloadType: number; mtu?: number; seq?: number }) {
    this.#ssrc = o.ssrc;
    this.#payloadType = o.payloadType;
    this.#mtu = Math.max(64, o.mtu ?? 1200);
    this.#seq = (o.seq ?? 0) & 0xffff;
  }

  /** The packets of one access unit (NAL units without start codes), `timestamp` 90 kHz. */
  packetize(nals: readonly Uint8Array[], timestamp: number): Buffer[] {
    const payloads: Buffer[] = [];
    let small: Uint8Array[] = [];
    let smallBytes = 2;
    const flush = () => {
      if (small.length === 1) payloads.push(Buffer.from(small[0] as Uint8Array));
      else if (small.length > 1) {
        const ap = Buffer.allocUnsafe(smallBytes);
        ap[0] = HevcNalType.AP << 1;
        ap[1] = 0x01; // layer 0, TemporalId 0
        let o = 2;
        for (const n of small) {
          ap.writeUInt16BE(n.length, o);
          ap.set(n, o + 2);
          o += 2 + n.length;
        }
        payloads.push(ap);
      }
      small = [];
      smallBytes = 2;
    };
    for (const nal of nals) {
      if (nal.length < 3) continue;
      if (nal.length + 2 + 2 <= this.#mtu / 4) {
        if (smallBytes + 2 + nal.length > this.#mtu) flush();
        small.push(nal);
        smallBytes += 2 + nal.length;
        continue;
      }
      flush();
      if (nal.length <= this.#mtu) {
        payloads.push(Buffer.from(nal));
        continue;
      }
      const type = hevcNalType(nal[0] as number);
      const header = [((nal[0] as number) & 0x81) | (HevcNalType.FU << 1), nal[1] as number];
      const step = this.#mtu - 3;
      for (let at = 2; at < nal.length; at += step) {
        const end = Math.min(nal.length, at + step);
        const fu = (at === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
        payloads.push(Buffer.concat([Buffer.from([...header, fu]), nal.subarray(at, end)]));
      }
    }
    flush();
    return payloads.map((p, i) => {
      const h = Buffer.allocUnsafe(12);
      h[0] = 0x80;
      h[1] = (i === payloads.length - 1 ? 0x80 : 0) | (this.#payloadType & 0x7f);
      h.writeUInt16BE(this.#seq, 2);
      this.#seq = (this.#seq + 1) & 0xffff;
      h.writeUInt32BE(timestamp >>> 0, 4);
      h.writeUInt32BE(this.#ssrc >>> 0, 8);
      return Buffer.concat([h, p]);
    });
  }
}
