import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NalFlag } from './h264.ts';
import {
  HevcNalType,
  HevcRtpPacketizer,
  type HevcSpsInfo,
  hevcNalType,
  isHevcIrap,
  parseHevcSps,
  walkHevcNals,
} from './h265.ts';

const hex = (s: string) => Buffer.from(s, 'hex');

/**
 * Real parameter sets from Debian's libx265 (`ffmpeg -f lavfi -i testsrc2 -c:v libx265 -pix_fmt …`).
 * Every SPS has emulation prevention bytes in its profile_tier_level (`00 00 03` in the compatibility
 * and constraint flags): the fields after them are read right only when they are removed.
 */
const X265: [name: string, sps: string, expected: Partial<HevcSpsInfo>][] = [
  [
    'Main 640x360 (coded 640x368, conformance window) level 2.1',
    '42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321',
    {
      width: 640,
      height: 360,
      profileIdc: 1,
      tierFlag: 0,
      levelIdc: 63,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      compatibilityFlags: 0x60000000,
      subLayers: 1,
      temporalIdNested: true,
    },
  ],
  [
    'Main 10 1280x720 level 3.1',
    '42010102200000030090000003000003005da00280802d1365959a4932bc05a02000000300200000030321',
    {
      width: 1280,
      height: 720,
      profileIdc: 2,
      levelIdc: 93,
      chromaFormatIdc: 1,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      compatibilityFlags: 0x20000000,
    },
  ],
  [
    'RExt 4:2:2 10-bit 320x240 level 2',
    '4201010408000003009d0800000300003cb00a080f1365959a4932bc05a02000000300200000030321',
    { width: 320, height: 240, profileIdc: 4, levelIdc: 60, chromaFormatIdc: 2, bitDepthLuma: 10 },
  ],
  [
    'RExt 4:4:4 8-bit 1920x1080 level 4',
    '4201010408000003009e0800000300007890007810021cb2cacd24995e02d0100000030010000003019080',
    { width: 1920, height: 1080, profileIdc: 4, levelIdc: 120, chromaFormatIdc: 3, bitDepthLuma: 8 },
  ],
];

describe('H.265 NAL unit headers', () => {
  it.each([
    [0x40, 32, false],
    [0x42, 33, false],
    [0x44, 34, false],
    [0x46, 35, false],
    [0x26, 19, true], // IDR_W_RADL
    [0x28, 20, true], // IDR_N_LP
    [0x2a, 21, true], // CRA
    [0x20, 16, true], // BLA_W_LP
    [0x2e, 23, true], // reserved IRAP
    [0x30, 24, false],
    [0x02, 1, false], // TRAIL_R
    [0x4e, 39, false], // prefix SEI
  ])('0x%s… is type %i, IRAP %s', (byte, type, irap) => {
    expect(hevcNalType(byte)).toBe(type);
    expect(isHevcIrap(type)).toBe(irap);
  });
});

describe('parseHevcSps', () => {
  it.each(X265)('%s', (_name, sps, expected) => {
    expect(parseHevcSps(hex(sps))).toMatchObject(expected);
  });

  it('reads the 48 constraint bits across the emulation prevention bytes', () => {
    const info = parseHevcSps(hex(X265[0]?.[1] as string));
    // progressive_source 1, frame_only_constraint 1, the rest 0: 0x90 00 00 00 00 00.
    expect(Buffer.from(info?.constraintFlags ?? []).toString('hex')).toBe('900000000000');
  });

  it('reads garbage when the emulation prevention bytes are left in: they are part of the syntax', () => {
    const raw = hex(X265[0]?.[1] as string);
    const escaped: number[] = [];
    // Double every 03 after 00 00: what a parser that skips the removal would effectively see.
    for (let i = 0; i < raw.length; i++) {
      escaped.push(raw[i] as number);
      if (i >= 2 && raw[i] === 3 && raw[i - 1] === 0 && raw[i - 2] === 0) escaped.push(3);
    }
    expect(parseHevcSps(Buffer.from(escaped))?.width).not.toBe(640);
  });

  it.each([
    ['empty', ''],
    ['a PPS', '4401c172b46240'],
    ['an H.264 SPS', '6742c01ed900a02ff97011000003000100000300320f162e48'],
    ['forbidden bit set', 'c2010101600000030090000003000003003fa00502016965959a4932bc05a020'],
    ['truncated after the level', '42010101600000030090000003000003003f'],
  ])('refuses %s', (_name, bytes) => {
    expect(parseHevcSps(hex(bytes))).toBeUndefined();
  });
});

/** A NAL unit of `type` (layer 0, TemporalId 0) with a little body. */
const nal = (type: number, body: number[] = [0xaa, 0xbb]) => [type << 1, 0x01, ...body];
const ap = (units: number[][]) =>
  Buffer.from([HevcNalType.AP << 1, 0x01, ...units.flatMap((u) => [u.length >> 8, u.length & 0xff, ...u])]);
const fu = (type: number, start: boolean, end: boolean, body: number[]) =>
  Buffer.from([HevcNalType.FU << 1, 0x01, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type, ...body]);

function walk(payload: Buffer): [header: number, bytes: string, flags: number][] {
  const out: [number, string, number][] = [];
  walkHevcNals(payload, (h, s, e, f) => out.push([h, payload.subarray(s, e).toString('hex'), f]));
  return out;
}

describe('walkHevcNals (RFC 7798)', () => {
  it.each([
    ['a single NAL unit', Buffer.from(nal(1)), [[0x0201, '0201aabb', 0]]],
    [
      'an aggregation packet of VPS, SPS, PPS',
      ap([nal(32, [1]), nal(33, [2, 3]), nal(34)]),
      [
        [0x4001, '400101', 0],
        [0x4201, '42010203', 0],
        [0x4401, '4401aabb', 0],
      ],
    ],
    [
      'a first fragment of an IDR',
      fu(19, true, false, [9, 9]),
      [[0x2601, '0909', NalFlag.FRAGMENT | NalFlag.START]],
    ],
    ['a middle fragment', fu(19, false, false, [8]), [[0x2601, '08', NalFlag.FRAGMENT]]],
    ['a last fragment', fu(1, false, true, [7]), [[0x0201, '07', NalFlag.FRAGMENT | NalFlag.END]]],
    [
      'an AP whose last unit is cut short (the whole ones only)',
      ap([nal(32), nal(33)]).subarray(0, 11),
      [[0x4001, '4001aabb', 0]],
    ],
    ['an AP with a unit shorter than a header', Buffer.from([0x60, 0x01, 0, 1, 0x40]), []],
    ['an FU without its FU header', Buffer.from([0x62, 0x01]), []],
    ['PACI', Buffer.from([0x64, 0x01, 1, 2, 3]), []],
    ['a forbidden bit', Buffer.from([0x82, 0x01, 1]), []],
    ['one byte', Buffer.from([0x02]), []],
  ])('%s', (_name, payload, expected) => {
    expect(walk(payload)).toEqual(expected);
  });

  it('respects [start, end) and never reads past the buffer', () => {
    const p = Buffer.concat([Buffer.from([0xff, 0xff]), ap([nal(32), nal(33)]), Buffer.from([0xee])]);
    expect(walkHevcNals(p, () => undefined, 2, p.length - 1)).toBe(2);
    expect(walkHevcNals(p, () => undefined, 2, 10_000)).toBe(2);
    expect(walkHevcNals(p, () => undefined, -1, 4)).toBe(0);
  });
});

describe('HevcRtpPacketizer', () => {
  const vps = Buffer.from(nal(32, [1, 2, 3]));
  const sps = Buffer.from(nal(33, [4, 5, 6, 7]));
  const pps = Buffer.from(nal(34, [8]));
  const idr = Buffer.concat([Buffer.from([0x26, 0x01]), Buffer.alloc(250, 0x5a)]);

  it('aggregates the parameter sets in one AP, fragments the large slice (3 × ≤ 97 bytes), marks the last packet', () => {
    const p = new HevcRtpPacketizer({ ssrc: 0xabcdef, payloadType: 96, mtu: 100, seq: 0xfffe });
    const packets = p.packetize([vps, sps, pps, idr], 0x1_0000_0005);
    const header = (pkt: Buffer) => [pkt[1], pkt.readUInt16BE(2), pkt.readUInt32BE(4), pkt.readUInt32BE(8)];
    expect(packets.map(header)).toEqual([
      [96, 0xfffe, 5, 0xabcdef],
      [96, 0xffff, 5, 0xabcdef],
      [96, 0, 5, 0xabcdef],
      [0x80 | 96, 1, 5, 0xabcdef],
    ]);
    expect(walk((packets[0] as Buffer).subarray(12)).map(([h, b]) => [h, b])).toEqual([
      [0x4001, vps.toString('hex')],
      [0x4201, sps.toString('hex')],
      [0x4401, pps.toString('hex')],
    ]);
    const fus = packets.slice(1).map((pkt) => walk(pkt.subarray(12))[0]);
    expect(fus.map((f) => [f?.[0], f?.[2]])).toEqual([
      [0x2601, NalFlag.FRAGMENT | NalFlag.START],
      [0x2601, NalFlag.FRAGMENT],
      [0x2601, NalFlag.FRAGMENT | NalFlag.END],
    ]);
    expect(fus.map((f) => f?.[1]).join('')).toBe(idr.subarray(2).toString('hex'));
    expect(packets.every((pkt) => pkt.length - 12 <= 100)).toBe(true);
  });

  it('sends a NAL unit that fits alone, skips units shorter than a header plus a byte', () => {
    const p = new HevcRtpPacketizer({ ssrc: 1, payloadType: 96 });
    const packets = p.packetize([Buffer.from([0x26, 0x01]), idr], 0);
    expect(packets).toHaveLength(1);
    expect((packets[0] as Buffer).subarray(12).equals(idr)).toBe(true);
  });
});

describe('fuzz', () => {
  const sane = (info: HevcSpsInfo | undefined) => {
    if (!info) return;
    expect(Number.isInteger(info.width) && info.width >= 1 && info.width <= 16384).toBe(true);
    expect(Number.isInteger(info.height) && info.height >= 1 && info.height <= 16384).toBe(true);
    expect(info.chromaFormatIdc).toBeLessThanOrEqual(3);
    expect(info.bitDepthLuma).toBeGreaterThanOrEqual(8);
    expect(info.bitDepthLuma).toBeLessThanOrEqual(16);
    expect(info.subLayers).toBeLessThanOrEqual(7);
    expect(info.constraintFlags.length).toBe(6);
  };

  it('parseHevcSps: random bytes after an SPS header never throw, results are sane (20 000 inputs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (body, withHeader) => {
        sane(parseHevcSps(withHeader ? Uint8Array.of(0x42, 0x01, ...body) : body));
      }),
      { numRuns: 20_000 },
    );
  });

  it('parseHevcSps: real SPS with random bytes overwritten never throw, results are sane (20 000 inputs)', () => {
    const samples = X265.map(([, sps]) => hex(sps));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (i, edits) => {
          const sps = Buffer.from(samples[i] as Buffer);
          for (const [at, value] of edits) sps[2 + (at % (sps.length - 2))] = value;
          sane(parseHevcSps(sps));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('walkHevcNals: random payloads never throw, every range lies inside the payload (20 000 inputs)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 48 }),
          fc
            .tuple(fc.constantFrom(48, 49, 50), fc.uint8Array({ maxLength: 48 }))
            .map(([t, rest]) => Uint8Array.of(t << 1, 1, ...rest)),
        ),
        (payload) => {
          walkHevcNals(payload, (header, start, end, flags) => {
            expect(start).toBeGreaterThanOrEqual(0);
            expect(end).toBeLessThanOrEqual(payload.length);
            expect(start).toBeLessThanOrEqual(end);
            expect(header).toBeLessThanOrEqual(0xffff);
            if (!(flags & NalFlag.FRAGMENT)) expect(end - start).toBeGreaterThanOrEqual(2);
          });
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('walkHevcNals: an AP built from random NAL units gives them back (10 000 inputs)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(fc.integer({ min: 0, max: 47 }), fc.uint8Array({ maxLength: 20 }))
            .map(([t, body]) => nal(t, [...body])),
          { minLength: 1, maxLength: 8 },
        ),
        (units) => {
          expect(walk(ap(units)).map(([, bytes]) => bytes)).toEqual(
            units.map((u) => Buffer.from(u).toString('hex')),
          );
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
