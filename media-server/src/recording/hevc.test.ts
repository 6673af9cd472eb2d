import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_TICKS, packetizeHevc, x265Units } from '../../test/hevc-clip.ts';
import { decodeErrors, firstFrame, probeVideo } from '../../test/probe.ts';
import { HevcRtpPacketizer, parseHevcSps } from '../ingest/index.ts';
import { AccessUnitAssembler, type ReceivedAccessUnit } from './access-units.ts';
import {
  type AccessUnit,
  type HevcTrack,
  hvcC,
  initSegment,
  type Mp4Box,
  muxSegment,
  readBoxes,
  toSample,
} from './fmp4.ts';
import { type CutSegment, Segmenter } from './segmenter.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
// libx265 Main 640x360 (see ingest/h265.test.ts).
const VPS = hex('40010c01ffff01600000030090000003000003003f959809');
const SPS = hex('42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321');
const PPS = hex('4401c172b46240');
const info = parseHevcSps(SPS);
if (!info) throw new Error('SPS does not parse');
const TRACK: HevcTrack = { codec: 'h265', vps: VPS, sps: SPS, pps: PPS, info, width: 640, height: 360 };

function find(boxes: Mp4Box[], path: string): Mp4Box {
  const [head, ...rest] = path.split('/');
  const b = boxes.find((x) => x.type === head);
  if (!b) throw new Error(`no ${head} in ${boxes.map((x) => x.type).join(',')}`);
  return rest.length === 0 ? b : find(b.children ?? [], rest.join('/'));
}

describe('hvcC (ISO/IEC 14496-15 §8.3.3.1)', () => {
  const record = hvcC(TRACK).subarray(8);

  it('writes box type and size', () => {
    const box = hvcC(TRACK);
    expect(box.toString('latin1', 4, 8)).toBe('hvcC');
    expect(box.readUInt32BE(0)).toBe(box.length);
    expect(box.length).toBe(8 + 23 + 3 * 5 + VPS.length + SPS.length + PPS.length);
  });

  it.each([
    ['configurationVersion', 0, 1, '01'],
    ['profile space 0, tier 0, profile 1 (Main)', 1, 1, '01'],
    ['general_profile_compatibility_flags', 2, 4, '60000000'],
    ['general_constraint_indicator_flags (emulation prevention removed)', 6, 6, '900000000000'],
    ['general_level_idc 63 (2.1)', 12, 1, '3f'],
    ['reserved + min_spatial_segmentation_idc 0', 13, 2, 'f000'],
    ['reserved + parallelismType 0', 15, 1, 'fc'],
    ['reserved + chromaFormat 1 (4:2:0)', 16, 1, 'fd'],
    ['reserved + bitDepthLumaMinus8 0', 17, 1, 'f8'],
    ['reserved + bitDepthChromaMinus8 0', 18, 1, 'f8'],
    ['avgFrameRate 0', 19, 2, '0000'],
    ['1 temporal layer, temporal id nested, 4-byte lengths', 21, 1, '0f'],
    ['three arrays', 22, 1, '03'],
    ['VPS array: complete, type 32, one unit', 23, 5, `a00001${VPS.length.toString(16).padStart(4, '0')}`],
  ])('%s', (_name, at, len, expected) => {
    expect(record.subarray(at, at + len).toString('hex')).toBe(expected);
  });

  it('holds the VPS, SPS and PPS as they are, in that order', () => {
    let o = 23;
    for (const [type, nal] of [
      [32, VPS],
      [33, SPS],
      [34, PPS],
    ] as const) {
      expect(record[o]).toBe(0x80 | type);
      expect(record.readUInt16BE(o + 1)).toBe(1);
      expect(record.readUInt16BE(o + 3)).toBe(nal.length);
      expect(record.subarray(o + 5, o + 5 + nal.length).equals(nal)).toBe(true);
      o += 5 + nal.length;
    }
    expect(o).toBe(record.length);
  });

  it('says 10 bits and the profile of a Main 10 stream', () => {
    const sps10 = hex(
      '42010102200000030090000003000003005da00280802d1365959a4932bc05a02000000300200000030321',
    );
    const i10 = parseHevcSps(sps10);
    if (!i10) throw new Error('Main 10 SPS does not parse');
    const r = hvcC({ ...TRACK, sps: sps10, info: i10, width: 1280, height: 720 }).subarray(8);
    expect([r[1], r[12], r[16], r[17], r[18]]).toEqual([0x02, 93, 0xfd, 0xfa, 0xfa]);
  });

  it('puts an hvc1 sample entry with it in the init segment, and the hvc1 brand', () => {
    const init = initSegment(TRACK);
    const boxes = readBoxes(init);
    const stsd = find(boxes, 'moov/trak/mdia/minf/stbl/stsd');
    expect(init.toString('latin1', stsd.start + 20, stsd.start + 24)).toBe('hvc1');
    expect(init.toString('latin1', stsd.start + 16 + 86 + 4, stsd.start + 16 + 86 + 8)).toBe('hvcC');
    expect(init.toString('latin1', 16, 32)).toBe('isomiso6hvc1mp41');
  });

  it('drops H.265 access unit delimiters (type 35) from samples and keeps the parameter sets', () => {
    const aud = hex('460150');
    const slice = hex('2601aabbcc');
    const sample = toSample([aud, VPS, SPS, PPS, slice], 'h265');
    expect(sample.length).toBe(4 * 4 + VPS.length + SPS.length + PPS.length + slice.length);
    expect(sample.readUInt32BE(0)).toBe(VPS.length);
  });
});

describe('H.265 RTP → access units → segments → files ffprobe reads as hevc (real libx265 clip)', () => {
  let dir: string;
  let clip: AccessUnit[];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hevc-'));
    clip = x265Units({ width: 640, height: 360, frames: 100, gop: 25 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function assemble(packets: Buffer[]): { units: ReceivedAccessUnit[]; a: AccessUnitAssembler } {
    const units: ReceivedAccessUnit[] = [];
    const a = new AccessUnitAssembler((u) => units.push(u), 'h265');
    packets.forEach((p, i) => {
      a.push(p, 1000 + i);
    });
    a.flush();
    return { units, a };
  }

  it('gives back every access unit, NAL unit for NAL unit, key frames at the IRAP pictures', () => {
    expect(clip).toHaveLength(100);
    const packets = packetizeHevc(clip, { tsBase: 0xffff_0000 }); // crosses the 32-bit wrap
    const kinds = new Set(packets.map((p) => ((p[12] as number) >> 1) & 0x3f));
    expect(kinds.has(48)).toBe(true); // AP
    expect(kinds.has(49)).toBe(true); // FU
    const { units, a } = assemble(packets);
    expect(a.malformed).toBe(0);
    expect(units).toHaveLength(clip.length);
    units.forEach((u, i) => {
      const src = clip[i] as AccessUnit;
      expect(u.timestamp - (units[0] as ReceivedAccessUnit).timestamp).toBe(i * FRAME_TICKS);
      expect(u.keyframe).toBe(i % 25 === 0);
      expect(u.damaged).toBe(false);
      expect(Buffer.concat(u.nals).equals(Buffer.concat(src.nals))).toBe(true);
    });
  });

  it('the node packetizer (GB/T 28181 H.265 to the recorders) round-trips through the assembler', () => {
    const packetizer = new HevcRtpPacketizer({ ssrc: 7, payloadType: 96, mtu: 1000 });
    const packets = clip.slice(0, 30).flatMap((u) => packetizer.packetize(u.nals, u.timestamp + 0xffff_f000));
    expect(packets.every((p) => p.length <= 12 + 1000)).toBe(true);
    expect(packets.some((p) => (p[12] as number) >> 1 === 49)).toBe(true);
    const { units, a } = assemble(packets);
    expect([a.malformed, a.lostPackets]).toEqual([0, 0]);
    expect(units).toHaveLength(30);
    units.forEach((u, i) => {
      const src = clip[i] as AccessUnit;
      expect(Buffer.concat(u.nals).equals(Buffer.concat(src.nals.filter((n) => n.length >= 3)))).toBe(true);
      expect(u.keyframe).toBe(src.keyframe);
    });
  });

  it('marks the unit that lost a fragment as damaged and goes on', () => {
    const packets = packetizeHevc(clip.slice(0, 10));
    const fuMiddle = packets.findIndex(
      (p) => (p[12] as number) >> 1 === 49 && ((p[14] as number) & 0xc0) === 0,
    );
    expect(fuMiddle).toBeGreaterThan(0);
    const { units, a } = assemble(packets.filter((_, i) => i !== fuMiddle));
    expect(a.lostPackets).toBe(1);
    expect(units.filter((u) => u.damaged)).toHaveLength(1);
    expect(units.length).toBeGreaterThanOrEqual(9);
  });

  it('cuts segments at key frames; each file is hevc 640x360, starts with a key frame, has every frame and decodes without an error', () => {
    const { units } = assemble(packetizeHevc(clip));
    const segmenter = new Segmenter({ segmentTicks: 2 * 90_000, codec: 'h265' });
    const cuts: CutSegment[] = [];
    for (const u of units) {
      const cut = segmenter.push(u);
      if (cut) cuts.push(cut);
    }
    const last = segmenter.flush();
    if (last) cuts.push(last);
    expect(cuts.map((c) => c.units.length)).toEqual([50, 50]);
    for (const [i, cut] of cuts.entries()) {
      expect(cut.track).toMatchObject({ codec: 'h265', width: 640, height: 360 });
      const seg = muxSegment(
        cut.track,
        cut.units,
        cut.endTimestamp ? { endTimestamp: cut.endTimestamp } : {},
      );
      const file = join(dir, `seg${i}.mp4`);
      writeFileSync(file, seg.bytes);
      expect(probeVideo(file)).toMatchObject({
        codec_name: 'hevc',
        codec_tag_string: 'hvc1',
        profile: 'Main',
        width: 640,
        height: 360,
        pix_fmt: 'yuv420p',
        nb_read_frames: '50',
      });
      expect(firstFrame(file)).toMatch(/^1,I/);
      expect(decodeErrors(file)).toBe('');
    }
  });

  it('a segment whose file lost its in-band parameter sets still decodes from the hvcC alone', () => {
    const units = clip.slice(0, 25).map((u) => ({
      ...u,
      nals: u.nals.filter((n) => ![32, 33, 34].includes(((n[0] as number) >> 1) & 0x3f)),
    }));
    const first = clip[0] as AccessUnit;
    const ps = first.nals.filter((n) => [32, 33, 34].includes(((n[0] as number) >> 1) & 0x3f));
    const [vps, sps, pps] = ps as [Uint8Array, Uint8Array, Uint8Array];
    const i = parseHevcSps(sps);
    if (!i) throw new Error('clip SPS');
    const seg = muxSegment(
      { codec: 'h265', vps, sps, pps, info: i, width: i.width, height: i.height },
      units,
    );
    const file = join(dir, 'no-inband.mp4');
    writeFileSync(file, seg.bytes);
    expect(decodeErrors(file)).toBe('');
  });

  it('fuzz: random and mangled H.265 RTP never throws and every unit it emits is well formed (5 000 inputs)', () => {
    const real = packetizeHevc(clip.slice(0, 4));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
            fc
              .tuple(fc.integer({ min: 0, max: real.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
              .map(([i, at, v]) => {
                const p = Buffer.from(real[i] as Buffer);
                p[at % p.length] = v;
                return p;
              }),
            fc
              .tuple(fc.integer({ min: 0, max: real.length - 1 }), fc.nat())
              .map(([i, cut]) =>
                Buffer.from((real[i] as Buffer).subarray(0, cut % ((real[i] as Buffer).length + 1))),
              ),
          ),
          { maxLength: 30 },
        ),
        (packets) => {
          const units: ReceivedAccessUnit[] = [];
          const a = new AccessUnitAssembler((u) => units.push(u), 'h265');
          const segmenter = new Segmenter({ segmentTicks: 90_000, codec: 'h265' });
          for (const p of packets) a.push(p, 0);
          a.flush();
          for (const u of units) {
            expect(u.nals.length).toBeGreaterThan(0);
            for (const n of u.nals) expect(n.length).toBeGreaterThan(0);
            const cut = segmenter.push(u);
            if (cut) muxSegment(cut.track, cut.units);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
