import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isKeyFrameStart,
  NalFlag,
  nalTypesOf,
  parseSps,
  type SpsInfo,
  unescapeRbsp,
  walkNals,
} from './h264.ts';

const b = (...bytes: number[]) => Buffer.from(bytes);
/** A NAL unit of `type` (nal_ref_idc 3) with a little body. */
const nal = (type: number, body: number[] = [0xaa, 0xbb]) => [0x60 | type, ...body];
/** STAP-A (or STAP-B with a DON) of NAL units. */
const stap = (units: number[][], don?: number) =>
  b(
    ...(don === undefined ? [0x78] : [0x79, don >> 8, don & 0xff]),
    ...units.flatMap((u) => [u.length >> 8, u.length & 0xff, ...u]),
  );
/** MTAP16/24: DONB, then units with DOND and a timestamp offset. */
const mtap = (units: number[][], tsBytes: 2 | 3) =>
  b(
    tsBytes === 2 ? 0x7a : 0x7b,
    0,
    1,
    ...units.flatMap((u) => {
      const size = u.length + 1 + tsBytes;
      return [size >> 8, size & 0xff, 0, ...new Array<number>(tsBytes).fill(0), ...u];
    }),
  );
const fuA = (type: number, start: boolean, end: boolean, body: number[] = [1, 2, 3]) =>
  b(0x60 | 28, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type, ...body);
const fuB = (type: number, body: number[] = [1, 2, 3]) => b(0x60 | 29, 0x80 | type, 0, 7, ...body);

describe('nalTypesOf', () => {
  it.each([
    ['non-IDR slice', b(...nal(1)), { types: [1] }],
    ['IDR slice', b(...nal(5)), { types: [5] }],
    ['SEI', b(...nal(6)), { types: [6] }],
    ['SPS', b(...nal(7)), { types: [7] }],
    ['PPS', b(...nal(8)), { types: [8] }],
    ['AUD (header byte only)', b(0x09), { types: [9] }],
    ['reserved type 0', b(0x00), { types: [0] }],
    ['unspecified type 30', b(30), { types: [30] }],
    ['unspecified type 31', b(31), { types: [31] }],
    ['empty payload', b(), { types: [] }],
    ['STAP-A SPS PPS SEI (as ffmpeg sends them)', stap([nal(7), nal(8), nal(6)]), { types: [7, 8, 6] }],
    ['STAP-A of two slices', stap([nal(1), nal(1)]), { types: [1, 1] }],
    ['STAP-A with an empty unit', stap([nal(7), [], nal(8)]), { types: [7, 8] }],
    ['STAP-A whose last unit overruns', Buffer.concat([stap([nal(7)]), b(0, 9, 0x68)]), { types: [7] }],
    ['STAP-A with a dangling size byte', Buffer.concat([stap([nal(7), nal(8)]), b(0)]), { types: [7, 8] }],
    ['STAP-A header only', b(0x78), { types: [] }],
    ['STAP-B', stap([nal(7), nal(8), nal(5)], 0x1234), { types: [7, 8, 5] }],
    ['MTAP16', mtap([nal(5), nal(1)], 2), { types: [5, 1] }],
    ['MTAP24', mtap([nal(7)], 3), { types: [7] }],
    ['FU-A first fragment of an IDR', fuA(5, true, false), { types: [5], fuStart: true, fuEnd: false }],
    ['FU-A middle fragment of an IDR', fuA(5, false, false), { types: [5], fuStart: false, fuEnd: false }],
    ['FU-A last fragment of a slice', fuA(1, false, true), { types: [1], fuStart: false, fuEnd: true }],
    ['FU-A with no data', fuA(5, true, false, []), { types: [5], fuStart: true, fuEnd: false }],
    ['FU-A without its FU header', b(0x7c), { types: [] }],
    ['FU-B first fragment', fuB(5), { types: [5], fuStart: true, fuEnd: false }],
    ['FU-B cut short', b(0x7d, 0x85, 0), { types: [] }],
  ])('%s', (_name, payload, expected) => {
    expect(nalTypesOf(payload)).toEqual(expected);
  });
});

describe('isKeyFrameStart', () => {
  it.each([
    ['SPS alone', b(...nal(7)), true],
    ['IDR slice', b(...nal(5)), true],
    ['STAP-A SPS+PPS', stap([nal(7), nal(8)]), true],
    ['STAP-A SEI+IDR', stap([nal(6), nal(5)]), true],
    ['STAP-A of non-IDR slices', stap([nal(1), nal(1)]), false],
    ['FU-A start of an IDR', fuA(5, true, false), true],
    ['FU-A start of an SPS', fuA(7, true, false), true],
    ['FU-A middle of an IDR', fuA(5, false, false), false],
    ['FU-A end of an IDR', fuA(5, false, true), false],
    ['FU-A start of a non-IDR slice', fuA(1, true, false), false],
    ['PPS alone', b(...nal(8)), false],
    ['SEI', b(...nal(6)), false],
    ['non-IDR slice', b(...nal(1)), false],
    ['empty', b(), false],
    ['MTAP16 with an IDR', mtap([nal(5)], 2), true],
    ['FU-B start of an IDR', fuB(5), true],
  ])('%s → %s', (_name, payload, expected) => {
    expect(isKeyFrameStart(payload)).toBe(expected);
  });

  it('reads the payload in place within a larger buffer', () => {
    const packet = Buffer.concat([b(0x80, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), fuA(5, true, false), b(1, 2)]);
    expect(isKeyFrameStart(packet, 12, packet.length - 2)).toBe(true);
    expect(isKeyFrameStart(packet, 14)).toBe(false); // reading from the FU data (0x01: a slice)
    expect(walkNals(packet, undefined, 12, 12)).toBe(0);
  });
});

describe('walkNals', () => {
  it('reports each unit with its bounds, and fragments with their flags and rebuilt header', () => {
    const seen: [number, number, number, number][] = [];
    const payload = stap([nal(7, [1, 2, 3]), nal(8, [4])]);
    const mask = walkNals(payload, (h, s, e, f) => seen.push([h, s, e, f]));
    expect(mask).toBe((1 << 7) | (1 << 8));
    expect(seen).toEqual([
      [0x67, 3, 7, 0],
      [0x68, 9, 11, 0],
    ]);
    seen.length = 0;
    // FU indicator NRI 2 (0x5c), FU header S + type 7: the header is NRI | type = 0x47.
    walkNals(b(0x5c, 0x87, 9, 9), (h, s, e, f) => seen.push([h, s, e, f]));
    expect(seen).toEqual([[0x47, 2, 4, NalFlag.FRAGMENT | NalFlag.START]]);
  });
});

/**
 * Real SPS NAL units. The x264 ones were produced here with ffmpeg 5.1 / libx264, e.g.
 *   ffmpeg -f lavfi -i testsrc=size=1280x720:rate=25 -frames:v 1 -c:v libx264 -profile:v baseline \
 *     -pix_fmt yuv420p -bsf:v h264_mp4toannexb -f h264 out.h264
 * and their expected values read with ffprobe (width, height, profile, pix_fmt) and the trace_headers
 * bitstream filter. Note: testsrc is RGB, so without -pix_fmt yuv420p libx264 picks 4:4:4 and baseline fails.
 */
const X264: [string, string, Partial<SpsInfo>][] = [
  [
    'Constrained Baseline 640x360',
    '6742c01ed900a02ff97011000003000100000300320f162e48',
    { width: 640, height: 360, profileIdc: 66, levelIdc: 30, codedHeight: 368, profileLevelId: '42c01e' },
  ],
  [
    'Constrained Baseline 1280x720',
    '6742c01fd9005005bb011000000300100000030320f1832480',
    { width: 1280, height: 720, profileIdc: 66, levelIdc: 31, profileLevelId: '42c01f' },
  ],
  [
    'Constrained Baseline 3840x2160 (ultrafast), 2160 = 135 MBs',
    '6742c033da00f0010fb0110000030001000003000a0f1832a0',
    { width: 3840, height: 2160, profileIdc: 66, levelIdc: 51 },
  ],
  [
    'Constrained Baseline 100x50 (cropped from 112x64)',
    '6742c00ad907279e23011000000300100000030320f1226480',
    { width: 100, height: 50, profileIdc: 66, codedWidth: 112, codedHeight: 64 },
  ],
  [
    'Main 1920x1080 (1088 coded, cropped)',
    '674d4028eca03c0113f2e022000003000200000300641e30632c',
    { width: 1920, height: 1080, profileIdc: 77, levelIdc: 40, codedHeight: 1088 },
  ],
  [
    'High 1920x1080',
    '67640028acd940780227e5c044000003000400000300c83c60c658',
    { width: 1920, height: 1080, profileIdc: 100, levelIdc: 40, chromaFormatIdc: 1, codedHeight: 1088 },
  ],
  [
    'High 322x242 (crop right 7, bottom 7 in 2-sample units)',
    '6764000dacd94150878888c044000003000400000300c83c50a658',
    { width: 322, height: 242, profileIdc: 100, levelIdc: 13, codedWidth: 336, codedHeight: 256 },
  ],
  [
    'High 16x16',
    '6764000aacd95ec044000003000400000300c83c489658',
    { width: 16, height: 16, profileIdc: 100, levelIdc: 10 },
  ],
  [
    'High 720x576 interlaced (frame_mbs_only 0, 18 map units × 2)',
    '6764001eacd940b424d8088000000300800000190f8a14cb',
    { width: 720, height: 576, profileIdc: 100, frameMbsOnly: false, codedHeight: 576 },
  ],
  [
    'High 1920x1080 interlaced (34 map units → 1088, crop 2 × 4 lines)',
    '67640028acd94078044fde0220000003002000000643e2c5b2c0',
    { width: 1920, height: 1080, profileIdc: 100, frameMbsOnly: false, codedHeight: 1088 },
  ],
  [
    'High 4:0:0 (gray) 320x240',
    '6764000df3650507ec05b2000003000200000300641e28532c',
    { width: 320, height: 240, profileIdc: 100, chromaFormatIdc: 0 },
  ],
  [
    'High 10 854x480 (10-bit, crop right 5 × 2)',
    '676e001ea6cd940d83de6f011000000300100000030320f162d960',
    { width: 854, height: 480, profileIdc: 110, levelIdc: 30, bitDepthLuma: 10, codedWidth: 864 },
  ],
  [
    'High 4:2:2 1280x720',
    '677a001fbcd9405005bb011000000300100000030320f1831960',
    { width: 1280, height: 720, profileIdc: 122, levelIdc: 31, chromaFormatIdc: 2 },
  ],
  [
    'High 4:2:2 1920x1080 (crop unit 2×1: 8 lines = 8 units)',
    '677a0028bcd940780227e27011000003000100000300320f183196',
    { width: 1920, height: 1080, profileIdc: 122, chromaFormatIdc: 2 },
  ],
  [
    'High 4:4:4 Predictive 1280x720',
    '67f4001f919b280a00b76022000003000200000300641e30632c',
    { width: 1280, height: 720, profileIdc: 244, levelIdc: 31, chromaFormatIdc: 3 },
  ],
  [
    'High 4:4:4 Predictive 1920x1080 (crop unit 1×1: 8 lines = 8 units)',
    '67f40028919b280f0044fc4e0220000003002000000641e30632c0',
    { width: 1920, height: 1080, profileIdc: 244, chromaFormatIdc: 3 },
  ],
  [
    'High 4:4:4 Predictive 640x480 (cqm=jvt: x264 puts the matrices in the PPS)',
    '67f4001e919b281407b60220000003002000000641e2c5b2c0',
    { width: 640, height: 480, profileIdc: 244, levelIdc: 30 },
  ],
];

/**
 * Crafted SPS for what x264 never writes (scaling matrices in the SPS, POC type 1, separate colour planes,
 * emulation prevention before the picture size). Each was spliced into a real x264 stream in place of its
 * SPS and checked with ffmpeg: ffprobe's width/height (decoded, for the first three) or the field values
 * printed by the trace_headers filter.
 */
const CRAFTED: [string, string, Partial<SpsInfo>][] = [
  [
    'High 1920x1080 with 8 scaling lists in the SPS (explicit, default and early-terminated)',
    '67640028ad9470e0807c704040642020504c40a1508a10012207613e894418c4144202342882884202131051084207c8288421081f14421084306c8421086206c84210c4206c842188424a20c620a21011a144144210109882817eca03c0113f2a',
    { width: 1920, height: 1080, profileIdc: 100, levelIdc: 40 },
  ],
  [
    'High 4:4:4 1277x715 with 12 scaling lists and 1×1 crop units',
    '67f4001f91b28e1c100f8e08080c84040a0988142908894418c4144202342882884202131051084207c8288421081f14421084306c8421086206c84210c4206c8421884225106310510808d0a20a2108084c414421081f20a21084207c51084210c1b2108421881b2108431081b21086210908a3d2482e1a1fb280a00b7c9320',
    { width: 1277, height: 715, profileIdc: 244, chromaFormatIdc: 3 },
  ],
  [
    'High 4:2:2 interlaced 1274x722 (crop units 2×2)',
    '677a001fbcd940500b9a642a',
    { width: 1274, height: 722, profileIdc: 122, chromaFormatIdc: 2, frameMbsOnly: false, codedHeight: 736 },
  ],
  [
    'High 10 4:0:0 319x237 (crop units 1×1)',
    '676e000ddb3650507f5910',
    { width: 319, height: 237, profileIdc: 110, chromaFormatIdc: 0, bitDepthLuma: 10 },
  ],
  [
    'High POC type 1, huge offsets → three emulation prevention bytes before the size; 1920x1080',
    '67640028aca0000003003fff9f8f0000030004000003000560000afc8638a03c0113f2a0',
    { width: 1920, height: 1080, profileIdc: 100, levelIdc: 40 },
  ],
  [
    'High 4:4:4 separate colour planes (ChromaArrayType 0: 1×1 crop units) 1276x718',
    '67f4001f939b280a00b7b692',
    { width: 1276, height: 718, profileIdc: 244, chromaFormatIdc: 3 },
  ],
  [
    'Constrained Baseline 1920x1080 without VUI',
    '6742c02897403c0113f2a0',
    { width: 1920, height: 1080, profileIdc: 66, constraintFlags: 0xc0, levelIdc: 40 },
  ],
];

const hex = (s: string) => Buffer.from(s, 'hex');

describe('parseSps', () => {
  it.each([...X264, ...CRAFTED])('%s', (_name, sps, expected) => {
    expect(parseSps(hex(sps))).toMatchObject(expected);
  });

  it('gets the same result from every prefix that still holds the cropping fields, else undefined', () => {
    for (const [, sps, expected] of [...X264, ...CRAFTED]) {
      const full = hex(sps);
      let shortestValid = full.length;
      for (let n = full.length; n >= 0; n--) {
        const result = parseSps(full.subarray(0, n));
        if (result === undefined) break;
        expect(result).toMatchObject(expected);
        shortestValid = n;
      }
      for (let n = shortestValid - 1; n >= 0; n--) expect(parseSps(full.subarray(0, n))).toBeUndefined();
    }
  });

  it.each([
    ['empty', ''],
    ['header only', '67'],
    ['a PPS', '68ebe3cb22c0'],
    ['forbidden bit set', 'e742c01ed900a02ff97011000003000100000300320f162e48'],
    ['all zeros', '670000000000000000000000'],
    ['all ones (profile 255)', '67ffffffffffffffffffffff'],
    ['unknown profile 99 (otherwise a valid 16x16 SPS)', '6763ffffffffffffffffffff'],
  ])('rejects %s', (_name, sps) => {
    expect(parseSps(hex(sps))).toBeUndefined();
  });

  // Each pair differs in one field: the first is out of range, the second (its control) parses.
  const ff = 'ff'.repeat(80);
  it.each([
    ['chroma_format_idc 4 (3 is fine)', `6764001e97${ff}`, `6764001e93${ff}`],
    ['bit_depth_luma_minus8 7 (6 is fine)', `6764001ea11f${ff}`, `6764001ea3${ff}`],
    ['log2_max_frame_num_minus4 13 (12 is fine)', `6742c01e8e${ff}`, `6742c01e8d${ff}`],
    ['width cropped to 0 (left crop 8 × 2 of 16; 7 leaves 2)', '6742001eed3e27a0', '6742001eed3e23a0'],
    ['width 16400 (1025 MBs; 16384 is fine)', '6742001eed000803c8', '6742001eed000801c8'],
  ])('rejects %s', (_name, bad, control) => {
    expect(parseSps(hex(bad))).toBeUndefined();
    expect(parseSps(hex(control))).toBeDefined();
  });
});

describe('unescapeRbsp', () => {
  it.each([
    ['00 00 03 01', [0, 0, 3, 1], [0, 0, 1]],
    ['00 00 03 00 00 03', [0, 0, 3, 0, 0, 3], [0, 0, 0, 0]],
    ['00 03 (no EPB)', [0, 3, 0, 3], [0, 3, 0, 3]],
    ['00 00 00 03', [0, 0, 0, 3, 5], [0, 0, 0, 5]],
    ['03 right after an EPB is data', [0, 0, 3, 3], [0, 0, 3]],
    ['empty', [], []],
  ])('%s', (_name, input, expected) => {
    expect([...unescapeRbsp(Uint8Array.from(input))]).toEqual(expected);
  });
});

describe('fuzz', () => {
  const saneSps = (info: SpsInfo | undefined) => {
    if (!info) return;
    expect(Number.isInteger(info.width) && info.width >= 1 && info.width <= 16384).toBe(true);
    expect(Number.isInteger(info.height) && info.height >= 1 && info.height <= 16384).toBe(true);
    expect(info.profileIdc).toBeGreaterThanOrEqual(0);
    expect(info.profileIdc).toBeLessThanOrEqual(255);
    expect(info.levelIdc).toBeLessThanOrEqual(255);
    expect(info.chromaFormatIdc).toBeLessThanOrEqual(3);
    expect(info.bitDepthLuma).toBeGreaterThanOrEqual(8);
    expect(info.bitDepthLuma).toBeLessThanOrEqual(14);
    expect(info.profileLevelId).toMatch(/^[0-9a-f]{6}$/);
  };

  it('parseSps: random bytes after an SPS header never throw, results are sane (20 000 inputs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (body, withHeader) => {
        saneSps(parseSps(withHeader ? Uint8Array.of(0x67, ...body) : body));
      }),
      { numRuns: 20_000 },
    );
  });

  it('parseSps: real SPS with random bytes overwritten never throw, results are sane (20 000 inputs)', () => {
    const samples = [...X264, ...CRAFTED].map(([, sps]) => hex(sps));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (i, edits) => {
          const sps = Buffer.from(samples[i] as Buffer);
          for (const [at, value] of edits) sps[1 + (at % (sps.length - 1))] = value;
          saneSps(parseSps(sps));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('nalTypesOf / isKeyFrameStart: random payloads never throw and agree (20 000 inputs)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 48 }),
          // Aggregation and fragmentation headers first, so their parsing gets the random bytes.
          fc
            .tuple(fc.integer({ min: 24, max: 29 }), fc.uint8Array({ maxLength: 48 }))
            .map(([t, rest]) => Uint8Array.of(0x60 | t, ...rest)),
        ),
        (payload) => {
          const { types, fuStart } = nalTypesOf(payload);
          for (const t of types) expect(t >= 0 && t <= 31).toBe(true);
          const starts = fuStart === false ? [] : types;
          const mask = walkNals(payload);
          expect(mask).toBe(starts.reduce((m, t) => (m | (1 << t)) >>> 0, 0));
          expect(isKeyFrameStart(payload)).toBe(starts.includes(5) || starts.includes(7));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('nalTypesOf: STAP-A built from random NAL units gives back their types (10 000 inputs)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(fc.integer({ min: 1, max: 23 }), fc.uint8Array({ maxLength: 20 }))
            .map(([t, body]) => nal(t, [...body])),
          { minLength: 1, maxLength: 8 },
        ),
        (units) => {
          expect(nalTypesOf(stap(units)).types).toEqual(units.map((u) => (u[0] as number) & 0x1f));
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
