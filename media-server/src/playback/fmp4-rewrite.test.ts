import { describe, expect, it } from 'vitest';
import { type AccessUnit, type AvcTrack, muxSegment } from '../recording/fmp4.ts';
import { Fmp4Error, isHevc, shiftDecodeTimes, splitSegment, trackInfo } from './fmp4-rewrite.ts';

const SPS = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const TRACK: AvcTrack = { sps: SPS, pps: PPS, width: 640, height: 360 };
const units: AccessUnit[] = [0, 1, 2, 3, 4, 5].map((i) => ({
  nals: [Buffer.from([i === 0 ? 0x65 : 0x41, 1, 2, 3])],
  timestamp: i * 3600,
  keyframe: i === 0,
}));

/** Three fragments of two samples (tfdt 0, 7200, 14400 at 90 kHz). */
const seg = muxSegment(TRACK, units, { endTimestamp: 6 * 3600, fragmentFrames: 2 });

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}
const u32 = (...v: number[]) => Buffer.from(new Uint32Array(v).map((x) => x).buffer).swap32();
const full = (type: string, version: number, ...payload: Buffer[]) =>
  box(type, Buffer.from([version, 0, 0, 0]), ...payload);

/** The decode times of every tfdt in a media part, in order, as numbers. */
function tfdts(media: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0; o + 8 <= media.length; ) {
    const size = media.readUInt32BE(o);
    if (media.toString('latin1', o + 4, o + 8) === 'moof') {
      const i = media.indexOf('tfdt', o, 'latin1');
      out.push(media[i + 4] === 1 ? Number(media.readBigUInt64BE(i + 8)) : media.readUInt32BE(i + 8));
    }
    o += size;
  }
  return out;
}

/** A media part with one moof/traf for track `id` and a tfdt of the given version and time. */
function fragment(id: number, version: 0 | 1, time: number, extra: Buffer[] = []): Buffer {
  const tfdt =
    version === 1
      ? full('tfdt', 1, Buffer.from(new BigUint64Array([0n]).buffer))
      : full('tfdt', 0, u32(time));
  if (version === 1) tfdt.writeBigUInt64BE(BigInt(time), 12);
  return Buffer.concat([
    box('moof', full('mfhd', 0, u32(1)), ...extra, box('traf', full('tfhd', 0, u32(id)), tfdt)),
    box('mdat', Buffer.from([1, 2, 3])),
  ]);
}

describe('splitSegment / trackInfo', () => {
  it('cuts a recorded segment at the end of moov and reads its track', () => {
    const { init, media } = splitSegment(seg.bytes);
    expect(init.length).toBe(seg.initBytes);
    expect(Buffer.concat([init, media])).toEqual(seg.bytes);
    expect(media.toString('latin1', 4, 8)).toBe('moof');
    const info = trackInfo(init);
    expect([...info.timescales]).toEqual([[1, 90_000]]);
    expect(info.sampleEntry).toBe('avc1');
    expect(isHevc(info.sampleEntry)).toBe(false);
  });

  it.each([
    ['hvc1', true],
    ['hev1', true],
    ['avc1', false],
    ['avc3', false],
  ])('%s is H.265: %s', (entry, hevc) => expect(isHevc(entry)).toBe(hevc));

  it.each<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['no moov', box('ftyp', Buffer.from('isom'))],
    ['moov first', Buffer.concat([box('moov'), box('ftyp', Buffer.from('isom'))])],
    ['truncated header', Buffer.concat([box('ftyp', Buffer.from('isom')), Buffer.from([0, 0, 0])])],
    ['box larger than the file', seg.bytes.subarray(0, seg.bytes.length - 1)],
    ['size below its header', Buffer.from([0, 0, 0, 4, 0x66, 0x74, 0x79, 0x70])],
  ])('refuses %s', (_name, bytes) => {
    expect(() => splitSegment(bytes)).toThrow(Fmp4Error);
  });

  it('refuses an init part whose track has no mdhd', () => {
    const init = Buffer.concat([box('ftyp'), box('moov', box('trak', full('tkhd', 0, Buffer.alloc(80))))]);
    expect(() => trackInfo(init)).toThrow(Fmp4Error);
  });

  it('reads version-1 tkhd/mdhd and maps each track id to its timescale', () => {
    const tkhd = (id: number) => full('tkhd', 1, Buffer.alloc(16), u32(id), Buffer.alloc(60));
    const mdhd = (ts: number) => full('mdhd', 1, Buffer.alloc(16), u32(ts), Buffer.alloc(12));
    const stsd = full('stsd', 0, u32(1), box('hvc1', Buffer.alloc(78)));
    const trak = (id: number, ts: number, s?: Buffer) =>
      box('trak', tkhd(id), box('mdia', mdhd(ts), ...(s ? [box('minf', box('stbl', s))] : [])));
    const init = Buffer.concat([box('ftyp'), box('moov', trak(7, 1000, stsd), trak(9, 48_000))]);
    const info = trackInfo(init);
    expect([...info.timescales]).toEqual([
      [7, 1000],
      [9, 48_000],
    ]);
    expect(info.sampleEntry).toBe('hvc1');
  });
});

describe('shiftDecodeTimes', () => {
  const { init, media } = splitSegment(seg.bytes);
  const { timescales } = trackInfo(init);

  it.each([
    [0, [0, 7200, 14_400]],
    [1, [90, 7290, 14_490]],
    [4000, [360_000, 367_200, 374_400]],
    // 24 h in: past 2^32 ticks of 90 kHz (~13.25 h) — the 64-bit tfdt carries it.
    [86_400_000, [7_776_000_000, 7_776_007_200, 7_776_014_400]],
  ])('off %i ms → tfdt %j', (off, expected) => {
    const out = shiftDecodeTimes(media, timescales, off);
    expect(tfdts(out)).toEqual(expected);
    expect(out.length).toBe(media.length);
    // Nothing but the tfdt values changed; the input is left as it was.
    expect(tfdts(media)).toEqual([0, 7200, 14_400]);
  });

  it('shifts each track in its own timescale, 32-bit tfdts too, across odd box layouts', () => {
    const ts = new Map([
      [1, 90_000],
      [2, 1000],
    ]);
    const part = Buffer.concat([
      box('styp', Buffer.from('msdh')),
      fragment(1, 0, 5, [box('free', Buffer.alloc(3))]),
      box('sidx', Buffer.alloc(20)),
      fragment(2, 1, 100),
      box('mdat', Buffer.alloc(0)),
    ]);
    expect(tfdts(shiftDecodeTimes(part, ts, 2000))).toEqual([180_005, 2100]);
  });

  it('reads a largesize box and a size-0 (to the end) box', () => {
    const f = fragment(1, 1, 0);
    const moofLen = f.readUInt32BE(0);
    const moof = f.subarray(0, moofLen);
    const large = Buffer.concat([u32(1), Buffer.from('moof'), Buffer.alloc(8), moof.subarray(8)]);
    large.writeBigUInt64BE(BigInt(moofLen + 8), 8);
    const toEnd = Buffer.concat([u32(0), Buffer.from('mdat'), Buffer.from([9, 9])]);
    const shifted = shiftDecodeTimes(Buffer.concat([large, toEnd]), timescales, 1000);
    expect(Number(shifted.readBigUInt64BE(shifted.indexOf('tfdt', 0, 'latin1') + 8))).toBe(90_000);
  });

  it.each<[string, Buffer, Map<number, number>]>([
    ['traf without tfdt', box('moof', box('traf', full('tfhd', 0, u32(1)))), timescales],
    ['traf without tfhd', box('moof', box('traf', full('tfdt', 1, Buffer.alloc(8)))), timescales],
    ['unknown track', fragment(5, 1, 0), timescales],
    ['truncated fragment', fragment(1, 1, 0).subarray(0, 30), timescales],
    ['short tfdt', box('moof', box('traf', full('tfhd', 0, u32(1)), full('tfdt', 1, u32(0)))), timescales],
    ['32-bit tfdt overflow', fragment(1, 0, 0xffff_fff0), timescales],
  ])('refuses %s', (_name, part, ts) => {
    expect(() => shiftDecodeTimes(part, ts, 1)).toThrow(Fmp4Error);
  });

  it('refuses a negative or fractional offset', () => {
    expect(() => shiftDecodeTimes(media, timescales, -1)).toThrow(RangeError);
    expect(() => shiftDecodeTimes(media, timescales, 1.5)).toThrow(RangeError);
  });
});
