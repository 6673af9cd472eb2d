/**
 * H.264 over RTP (RFC 6184) payload inspection and a sequence parameter set parser (ITU-T H.264 §7.3.2.1).
 * Pure: no sockets, timers or module state. Nothing here throws on malformed input.
 */

/** NAL unit types (H.264 Table 7-1) and RTP payload structure types (RFC 6184 §5.2). */
export const NalType = {
  SLICE: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  STAP_A: 24,
  STAP_B: 25,
  MTAP16: 26,
  MTAP24: 27,
  FU_A: 28,
  FU_B: 29,
} as const;

/** Flags passed to a {@link NalVisitor}. A whole NAL unit has none. */
export const NalFlag = {
  /** The range is a fragment of a NAL unit (FU-A/FU-B payload, without the FU indicator/header). */
  FRAGMENT: 1,
  /** …the first fragment (S bit). */
  START: 2,
  /** …the last fragment (E bit). */
  END: 4,
} as const;

/**
 * Called for each NAL unit (or fragment) of a payload. `header` is the NAL unit header byte (for a
 * fragment, rebuilt from the FU indicator and header); `[start, end)` is the NAL unit including its header
 * byte, or for a fragment the fragment's bytes only.
 */
export type NalVisitor = (header: number, start: number, end: number, flags: number) => void;

const KEY_FRAME_MASK = (1 << NalType.IDR) | (1 << NalType.SPS);

/**
 * Walks the NAL units of an RTP H.264 payload (`payload[start, end)`) without allocating and returns a
 * bit mask with bit `t` set for every NAL unit of type `t` the payload *starts*: a single NAL unit,
 * each unit of an aggregation packet (STAP-A/B, MTAP16/24), the type of a fragmented unit only on its
 * first fragment. A malformed aggregation packet is read up to the first unit that does not fit.
 */
export function walkNals(
  payload: Uint8Array,
  visit?: NalVisitor,
  start = 0,
  end: number = payload.length,
): number {
  if (end > payload.length) end = payload.length;
  if (start < 0 || start >= end) return 0;
  const indicator = payload[start] as number;
  const type = indicator & 0x1f;
  let mask = 0;
  switch (type) {
    case NalType.STAP_A:
    case NalType.STAP_B:
    case NalType.MTAP16:
    case NalType.MTAP24: {
      // STAP-B and MTAPs carry a 16-bit DON/DONB first; MTAP units add a DOND byte and a timestamp offset.
      let offset = start + (type === NalType.STAP_A ? 1 : 3);
      const unitHeader = type === NalType.MTAP16 ? 3 : type === NalType.MTAP24 ? 4 : 0;
      while (offset + 2 <= end) {
        const size = ((payload[offset] as number) << 8) | (payload[offset + 1] as number);
        offset += 2;
        if (offset + size > end || size < unitHeader) break;
        if (size > unitHeader) {
          const nal = offset + unitHeader;
          const header = payload[nal] as number;
          mask |= 1 << (header & 0x1f);
          visit?.(header, nal, offset + size, 0);
        }
        offset += size;
      }
      break;
    }
    case NalType.FU_A:
    case NalType.FU_B: {
      const dataStart = start + (type === NalType.FU_A ? 2 : 4);
      if (dataStart > end) break;
      const fu = payload[start + 1] as number;
      const header = (indicator & 0xe0) | (fu & 0x1f);
      let flags: number = NalFlag.FRAGMENT;
      if (fu & 0x80) {
        flags |= NalFlag.START;
        mask |= 1 << (fu & 0x1f);
      }
      if (fu & 0x40) flags |= NalFlag.END;
      visit?.(header, dataStart, end, flags);
      break;
    }
    default:
      // 1–23 single NAL unit; 0, 30, 31 are unspecified/reserved and reported as they are.
      mask |= 1 << type;
      visit?.(indicator, start, end, 0);
  }
  return mask >>> 0;
}

export interface NalTypes {
  /**
   * NAL unit types in payload order: the single NAL unit, each aggregated unit, or the type of the
   * fragmented unit for FU-A/FU-B (every fragment, see `fuStart`).
   */
  types: number[];
  /** Only for fragmentation units: whether this is the first fragment (S bit). */
  fuStart?: boolean;
  /** Only for fragmentation units: whether this is the last fragment (E bit). */
  fuEnd?: boolean;
}

/** NAL unit types carried by an RTP H.264 payload (packetization modes 0, 1 and, gracefully, 2). */
export function nalTypesOf(payload: Uint8Array): NalTypes {
  const result: NalTypes = { types: [] };
  walkNals(payload, (header, _start, _end, flags) => {
    result.types.push(header & 0x1f);
    if (flags & NalFlag.FRAGMENT) {
      result.fuStart = (flags & NalFlag.START) !== 0;
      result.fuEnd = (flags & NalFlag.END) !== 0;
    }
  });
  return result;
}

/**
 * Whether the payload (`payload[start, end)`) starts a key frame: it carries an SPS, or the start of an
 * IDR slice (whole, aggregated, or the first fragment of one). Does not allocate.
 */
export function isKeyFrameStart(payload: Uint8Array, start = 0, end: number = payload.length): boolean {
  return (walkNals(payload, undefined, start, end) & KEY_FRAME_MASK) !== 0;
}

export interface SpsInfo {
  /** Displayed size: coded size minus the frame cropping. */
  width: number;
  height: number;
  profileIdc: number;
  /** constraint_set0..5 flags and reserved bits (the middle byte of profile-level-id). */
  constraintFlags: number;
  levelIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  bitDepthLuma: number;
  frameMbsOnly: boolean;
  /** Size in macroblocks × 16 (before cropping). */
  codedWidth: number;
  codedHeight: number;
  /** The SDP `profile-level-id` (6 hex digits) of this stream. */
  profileLevelId: string;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** Every profile_idc H.264 (up to its 2021 edition) defines: anything else is not an SPS we can read. */
const KNOWN_PROFILES = new Set([66, 77, 88, ...HIGH_PROFILES]);

const MAX_DIMENSION = 16384;

/** Bit reader over an RBSP (shared with the H.265 parser). Reading past the end yields zeros and sets `failed`; so do bad Exp-Golomb codes. */
export class BitReader {
  readonly #bytes: Uint8Array;
  readonly #bits: number;
  #pos = 0;
  failed = false;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#bits = bytes.length * 8;
  }

  bit(): number {
    if (this.#pos >= this.#bits) {
      this.failed = true;
      return 0;
    }
    const byte = this.#bytes[this.#pos >> 3] as number;
    const bit = (byte >> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return bit;
  }

  /** Up to 32 bits, unsigned. */
  bits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 2 + this.bit();
    return value;
  }

  /** ue(v): unsigned Exp-Golomb, up to 2^32 − 2. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (this.failed || ++zeros > 31) {
        this.failed = true;
        return 0;
      }
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v): signed Exp-Golomb. */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** Removes emulation prevention bytes (the 0x03 of every 0x00 0x00 0x03) from `nal[start, end)`. */
export function unescapeRbsp(nal: Uint8Array, start = 0, end: number = nal.length): Uint8Array {
  const out = new Uint8Array(Math.max(0, end - start));
  let n = 0;
  let zeros = 0;
  for (let i = start; i < end; i++) {
    const byte = nal[i] as number;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size && !r.failed; j++) {
    if (next !== 0) {
      const delta = r.se();
      if (delta < -128 || delta > 127) {
        r.failed = true;
        return;
      }
      next = (last + delta + 256) % 256;
    }
    if (next !== 0) last = next;
  }
}

/**
 * Parses a sequence parameter set NAL unit (starting with its header byte, type 7) far enough to get the
 * profile, level and the displayed picture size (cropping applied). `undefined` for anything that is not a
 * plausible SPS. Never throws.
 */
export function parseSps(nal: Uint8Array): SpsInfo | undefined {
  if (nal.length < 4) return undefined;
  const header = nal[0] as number;
  if ((header & 0x80) !== 0 || (header & 0x1f) !== NalType.SPS) return undefined;
  const r = new BitReader(unescapeRbsp(nal, 1));
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  if (!KNOWN_PROFILES.has(profileIdc)) return undefined;
  if (r.ue() > 31) return undefined; // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) return undefined;
    if (chromaFormatIdc === 3) separateColourPlane = r.bit() === 1;
    const bitDepthLumaMinus8 = r.ue();
    const bitDepthChromaMinus8 = r.ue();
    if (bitDepthLumaMinus8 > 6 || bitDepthChromaMinus8 > 6) return undefined;
    bitDepthLuma = 8 + bitDepthLumaMinus8;
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit() === 1) {
      // seq_scaling_matrix_present_flag: 6 4×4 lists, then 2 (or 6 for 4:4:4) 8×8 lists.
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists && !r.failed; i++) {
        if (r.bit() === 1) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  if (r.ue() > 12) return undefined; // log2_max_frame_num_minus4
  const picOrderCntType = r.ue();
  if (picOrderCntType > 2) return undefined;
  if (picOrderCntType === 0) {
    if (r.ue() > 12) return undefined; // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    r.bit(); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    if (cycle > 255) return undefined;
    for (let i = 0; i < cycle && !r.failed; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit() === 1;
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.bit() === 1) {
    cropLeft = r.ue();
    cropRight = r.ue();
    cropTop = r.ue();
    cropBottom = r.ue();
  }
  if (r.failed) return undefined;

  const codedWidth = widthMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16;
  // Crop units (H.264 (7-19)–(7-22)): in samples of the chroma grid, doubled vertically for field coding.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const cropUnitX = chromaArrayType === 0 || chromaArrayType === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * (frameMbsOnly ? 1 : 2);
  const width = codedWidth - cropUnitX * (cropLeft + cropRight);
  const height = codedHeight - cropUnitY * (cropTop + cropBottom);
  if (!(width >= 1 && width <= MAX_DIMENSION && height >= 1 && height <= MAX_DIMENSION)) return undefined;
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  return {
    width,
    height,
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepthLuma,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    profileLevelId: hex(profileIdc) + hex(constraintFlags) + hex(levelIdc),
  };
}
