import { HevcNalType, type HevcSpsInfo, hevcNalType } from '../ingest/index.ts';

/**
 * Fragmented MP4 (ISO/IEC 14496-12 + 14496-15) for H.264 and H.265, written in process. Pure: access
 * units in, bytes out; no files, no clocks. A segment is self-contained: `ftyp` + `moov` (one `avc1`
 * track with its `avcC`, or one `hvc1` track with its `hvcC`; `mvex`/`trex`), then one or more `moof` + `mdat` pairs whose `trun` carries every
 * sample's duration, size and sync flag (composition offsets 0: the cameras send no B-frames — a
 * stream that has them plays, with presentation order = decode order).
 */

export const MP4_TIMESCALE = 90_000;

/** One access unit: its NAL units (no start codes), decode time in 90 kHz ticks. */
export interface AccessUnit {
  nals: Uint8Array[];
  /** 90 kHz, already unwrapped (monotonic across the 32-bit RTP wrap). */
  timestamp: number;
  /** Contains an IDR slice (H.264) or an IRAP picture (H.265). */
  keyframe: boolean;
}

export type VideoCodec = 'h264' | 'h265';

export interface AvcTrack {
  codec?: 'h264';
  /** SPS and PPS NAL units (with their header byte). */
  sps: Uint8Array;
  pps: Uint8Array;
  width: number;
  height: number;
}

export interface HevcTrack {
  codec: 'h265';
  /** VPS, SPS and PPS NAL units (with their two header bytes). */
  vps: Uint8Array;
  sps: Uint8Array;
  pps: Uint8Array;
  /** The SPS parsed: picture size and the `hvcC` profile, tier, level, chroma and bit depth. */
  info: HevcSpsInfo;
  width: number;
  height: number;
}

export type VideoTrack = AvcTrack | HevcTrack;

export function codecOf(track: VideoTrack): VideoCodec {
  return track.codec ?? 'h264';
}

export interface Fmp4Sample {
  /** The sample as it goes into `mdat`: 4-byte length-prefixed NAL units. */
  data: Uint8Array;
  duration: number;
  sync: boolean;
}

const NAL_AUD = 9;
const NAL_SPS = 7;
const NAL_PPS = 8;

// ——— box writing ———

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function box(type: string, ...payload: Uint8Array[]): Buffer {
  let size = 8;
  for (const p of payload) size += p.length;
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, ...payload], size);
}

function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Buffer {
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...payload);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeUInt32BE((values[i] as number) >>> 0, i * 4);
  return b;
}

/** The unity matrix of mvhd/tkhd. */
const MATRIX = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

// ——— init segment ———

/** `ftyp` + `moov` for one H.264 or H.265 track. */
export function initSegment(track: VideoTrack): Buffer {
  const brands = track.codec === 'h265' ? 'isomiso6hvc1mp41' : 'isomiso6avc1mp41';
  const ftyp = box('ftyp', ascii('isom'), u32(0x200), ascii(brands));
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0, 0, 1000, 0), // creation, modification, timescale (ms), duration (fragmented: 0)
    u32(0x00010000), // rate 1.0
    Buffer.from([0x01, 0x00, 0, 0]), // volume 1.0, reserved
    u32(0, 0), // reserved
    MATRIX,
    Buffer.alloc(24), // pre_defined
    u32(2), // next_track_ID
  );
  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003, // enabled, in movie
    u32(0, 0, 1, 0, 0), // creation, modification, track_ID, reserved, duration
    u32(0, 0), // reserved
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), // layer, alternate_group, volume, reserved
    MATRIX,
    u32(track.width * 0x10000, track.height * 0x10000),
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0, 0, MP4_TIMESCALE, 0), Buffer.from([0x55, 0xc4, 0, 0])); // 'und'
  const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii('vide'), u32(0, 0, 0), ascii('VideoHandler\0'));
  const vmhd = fullBox('vmhd', 0, 1, Buffer.alloc(8));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), track.codec === 'h265' ? hvc1(track) : avc1(track)),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0, 0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', vmhd, dinf, stbl)));
  // trex: track 1, sample description 1, no defaults (every trun says it all).
  const mvex = box('mvex', fullBox('trex', 0, 0, u32(1, 1, 0, 0, 0)));
  return Buffer.concat([ftyp, box('moov', mvhd, trak, mvex)]);
}

/** VisualSampleEntry fields (§12.1.3) shared by `avc1` and `hvc1`. */
function visualSampleEntry(track: VideoTrack): Buffer {
  const entry = Buffer.alloc(78);
  entry.writeUInt16BE(1, 6); // data_reference_index
  entry.writeUInt16BE(track.width, 24);
  entry.writeUInt16BE(track.height, 26);
  entry.writeUInt32BE(0x00480000, 28); // 72 dpi
  entry.writeUInt32BE(0x00480000, 32);
  entry.writeUInt16BE(1, 40); // frame_count
  entry.writeUInt16BE(0x0018, 74); // depth
  entry.writeInt16BE(-1, 76); // pre_defined
  return entry;
}

function avc1(track: AvcTrack): Buffer {
  return box('avc1', visualSampleEntry(track), avcC(track));
}

function hvc1(track: HevcTrack): Buffer {
  return box('hvc1', visualSampleEntry(track), hvcC(track));
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1): one SPS, one PPS, 4-byte lengths. */
export function avcC(track: AvcTrack): Buffer {
  const { sps, pps } = track;
  const head = Buffer.from([
    1,
    sps[1] ?? 0, // profile_idc
    sps[2] ?? 0, // constraint flags
    sps[3] ?? 0, // level_idc
    0xff, // reserved + lengthSizeMinusOne = 3
    0xe1, // reserved + one SPS
    sps.length >> 8,
    sps.length & 0xff,
  ]);
  const mid = Buffer.from([1, pps.length >> 8, pps.length & 0xff]);
  return box('avcC', head, sps, mid, pps);
}

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1): general profile, tier, level and
 * constraint flags, chroma format and bit depths from the SPS; one VPS, SPS and PPS array each
 * (complete: `hvc1` keeps them in-band too, at every key frame); 4-byte lengths.
 */
export function hvcC(track: HevcTrack): Buffer {
  const i = track.info;
  const head = Buffer.alloc(23);
  head[0] = 1; // configurationVersion
  head[1] = ((i.profileSpace & 3) << 6) | ((i.tierFlag & 1) << 5) | (i.profileIdc & 0x1f);
  head.writeUInt32BE(i.compatibilityFlags >>> 0, 2);
  head.set(i.constraintFlags.subarray(0, 6), 6);
  head[12] = i.levelIdc;
  head.writeUInt16BE(0xf000, 13); // reserved 1111 + min_spatial_segmentation_idc 0
  head[15] = 0xfc; // reserved 111111 + parallelismType 0 (unknown)
  head[16] = 0xfc | (i.chromaFormatIdc & 3);
  head[17] = 0xf8 | ((i.bitDepthLuma - 8) & 7);
  head[18] = 0xf8 | ((i.bitDepthChroma - 8) & 7);
  head.writeUInt16BE(0, 19); // avgFrameRate: unspecified
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3.
  head[21] = ((i.subLayers & 7) << 3) | ((i.temporalIdNested ? 1 : 0) << 2) | 3;
  head[22] = 3; // numOfArrays
  const arrays = (
    [
      [HevcNalType.VPS, track.vps],
      [HevcNalType.SPS, track.sps],
      [HevcNalType.PPS, track.pps],
    ] as const
  ).map(([type, nal]) => {
    const a = Buffer.allocUnsafe(5);
    a[0] = 0x80 | type; // array_completeness 1, reserved 0, NAL_unit_type
    a.writeUInt16BE(1, 1); // numNalus
    a.writeUInt16BE(nal.length, 3);
    return Buffer.concat([a, nal]);
  });
  return box('hvcC', head, ...arrays);
}

// ——— media fragments ———

/** Sample flags (§8.8.3.1): sync = depends on nothing; otherwise depends on others, non-sync. */
export const SYNC_SAMPLE_FLAGS = 0x02000000;
export const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

/** `moof` + `mdat` of one run of samples, `baseDecodeTime` in 90 kHz ticks. */
export function mediaFragment(
  sequence: number,
  baseDecodeTime: number,
  samples: readonly Fmp4Sample[],
): Buffer {
  const mfhd = fullBox('mfhd', 0, 0, u32(sequence));
  const tfhd = fullBox('tfhd', 0, 0x020000, u32(1)); // default-base-is-moof, track 1
  const tfdt = fullBox('tfdt', 1, 0, u32(Math.floor(baseDecodeTime / 2 ** 32), baseDecodeTime >>> 0));
  const entries = Buffer.allocUnsafe(samples.length * 16);
  let mdatSize = 8;
  samples.forEach((s, i) => {
    entries.writeUInt32BE(s.duration >>> 0, i * 16);
    entries.writeUInt32BE(s.data.length, i * 16 + 4);
    entries.writeUInt32BE(s.sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, i * 16 + 8);
    entries.writeUInt32BE(0, i * 16 + 12); // composition time offset
    mdatSize += s.data.length;
  });
  // trun: data-offset, sample duration, size, flags, composition offset present.
  const trunHeader = u32(samples.length, 0);
  const trun = fullBox('trun', 0, 0x000f01, trunHeader, entries);
  const moof = box('moof', mfhd, box('traf', tfhd, tfdt, trun));
  // data_offset: from the start of moof (default-base-is-moof) to the first byte of mdat's payload.
  trun.writeUInt32BE(moof.length + 8, 16);
  moof.set(trun, moof.length - trun.length);
  const mdatHead = Buffer.allocUnsafe(8);
  mdatHead.writeUInt32BE(mdatSize, 0);
  mdatHead.write('mdat', 4, 'latin1');
  return Buffer.concat([moof, mdatHead, ...samples.map((s) => s.data)]);
}

/** The NAL unit type of a unit's first header byte. */
function nalTypeOf(codec: VideoCodec, firstByte: number): number {
  return codec === 'h265' ? hevcNalType(firstByte) : firstByte & 0x1f;
}

/**
 * An access unit as an MP4 sample: 4-byte big-endian lengths before each NAL unit; access unit
 * delimiters dropped (14496-15 forbids them in samples). In-band parameter sets are kept (harmless,
 * and a decoder starting from the sample alone still finds them).
 */
export function toSample(nals: readonly Uint8Array[], codec: VideoCodec = 'h264'): Buffer {
  const aud = codec === 'h265' ? HevcNalType.AUD : NAL_AUD;
  const kept = (n: Uint8Array) => n.length > 0 && nalTypeOf(codec, n[0] as number) !== aud;
  let size = 0;
  for (const n of nals) if (kept(n)) size += 4 + n.length;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const n of nals) {
    if (!kept(n)) continue;
    out.writeUInt32BE(n.length, o);
    out.set(n, o + 4);
    o += 4 + n.length;
  }
  return out;
}

export interface MuxedSegment {
  bytes: Buffer;
  /** Bytes of `ftyp` + `moov`. */
  initBytes: number;
  frames: number;
  /** Sum of the sample durations (90 kHz). */
  durationTicks: number;
}

export interface MuxSegmentOptions {
  /** Decode time of the unit after the last one (the next segment's first): the last sample's end. */
  endTimestamp?: number;
  /** Duration of the last sample when `endTimestamp` is not known (default: the one before it, else 3600). */
  lastDuration?: number;
  /** Samples per `moof`+`mdat` (default: all in one). */
  fragmentFrames?: number;
  /** `tfdt` of the first sample (default 0: each file starts at time 0 and plays alone). */
  baseDecodeTime?: number;
}

/**
 * Muxes access units (decode order, the first a key frame) into one self-contained segment. Units
 * with a non-increasing timestamp get a duration of 1 tick rather than a negative one.
 */
export function muxSegment(
  track: VideoTrack,
  units: readonly AccessUnit[],
  o: MuxSegmentOptions = {},
): MuxedSegment {
  if (units.length === 0) throw new RangeError('a segment needs at least one access unit');
  const init = initSegment(track);
  const samples: Fmp4Sample[] = [];
  let total = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i] as AccessUnit;
    const next = units[i + 1]?.timestamp ?? o.endTimestamp;
    let duration: number;
    if (next !== undefined) duration = next - u.timestamp;
    else duration = o.lastDuration ?? samples[samples.length - 1]?.duration ?? 3600;
    if (duration < 1) duration = 1;
    samples.push({ data: toSample(u.nals, codecOf(track)), duration, sync: u.keyframe });
    total += duration;
  }
  const per = Math.max(1, o.fragmentFrames ?? samples.length);
  const parts: Buffer[] = [init];
  let time = o.baseDecodeTime ?? 0;
  for (let i = 0, seq = 1; i < samples.length; i += per, seq++) {
    const run = samples.slice(i, i + per);
    parts.push(mediaFragment(seq, time, run));
    for (const s of run) time += s.duration;
  }
  return {
    bytes: Buffer.concat(parts),
    initBytes: init.length,
    frames: samples.length,
    durationTicks: total,
  };
}

export interface ParameterSets {
  /** H.265 only. */
  vps?: Uint8Array;
  sps?: Uint8Array;
  pps?: Uint8Array;
}

/** The parameter sets of an access unit, when it carries them. */
export function parameterSetsOf(nals: readonly Uint8Array[], codec: VideoCodec = 'h264'): ParameterSets {
  const out: ParameterSets = {};
  const [vps, sps, pps] =
    codec === 'h265' ? [HevcNalType.VPS, HevcNalType.SPS, HevcNalType.PPS] : [-1, NAL_SPS, NAL_PPS];
  for (const n of nals) {
    const t = nalTypeOf(codec, n[0] ?? 0);
    if (t === vps) out.vps = n;
    else if (t === sps) out.sps = n;
    else if (t === pps) out.pps = n;
  }
  return out;
}

// ——— reading (tests and checks) ———

export interface Mp4Box {
  type: string;
  start: number;
  size: number;
  /** Children, for container boxes. */
  children?: Mp4Box[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'dinf']);

/** The box tree of `bytes[start, end)`; stops at the first box whose size does not fit. */
export function readBoxes(bytes: Uint8Array, start = 0, end = bytes.length): Mp4Box[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Mp4Box[] = [];
  let o = start;
  while (o + 8 <= end) {
    const size = view.readUInt32BE(o);
    const type = view.toString('latin1', o + 4, o + 8);
    if (size < 8 || o + size > end) break;
    const b: Mp4Box = { type, start: o, size };
    if (CONTAINERS.has(type)) b.children = readBoxes(bytes, o + 8, o + size);
    out.push(b);
    o += size;
  }
  return out;
}
