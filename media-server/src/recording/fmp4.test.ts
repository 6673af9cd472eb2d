import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitNalUnits } from '../ingest/gb/annexb.ts';
import { H264Packetizer } from '../ingest/gb/h264-packetizer.ts';
import { AccessUnitAssembler, type ReceivedAccessUnit } from './access-units.ts';
import {
  type AccessUnit,
  type AvcTrack,
  avcC,
  initSegment,
  type Mp4Box,
  muxSegment,
  NON_SYNC_SAMPLE_FLAGS,
  readBoxes,
  SYNC_SAMPLE_FLAGS,
  toSample,
} from './fmp4.ts';
import { type CutSegment, Segmenter } from './segmenter.ts';

/** Real x264 SPS (Constrained Baseline 640x360) and PPS (as in the relay's tests). */
const SPS = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const TRACK: AvcTrack = { sps: SPS, pps: PPS, width: 640, height: 360 };
const AUD = Buffer.from([0x09, 0xf0]);
const idr = (n: number) => Buffer.concat([Buffer.from([0x65]), Buffer.alloc(n, 0x11)]);
const slice = (n: number) => Buffer.concat([Buffer.from([0x41]), Buffer.alloc(n, 0x22)]);

function find(boxes: Mp4Box[], path: string): Mp4Box {
  const [head, ...rest] = path.split('/');
  const b = boxes.find((x) => x.type === head);
  if (!b) throw new Error(`no ${head} in ${boxes.map((x) => x.type).join(',')}`);
  return rest.length === 0 ? b : find(b.children ?? [], rest.join('/'));
}

const types = (boxes: Mp4Box[] | undefined) => (boxes ?? []).map((b) => b.type);

describe('fMP4 muxer: box layout', () => {
  const units: AccessUnit[] = [
    { nals: [AUD, SPS, PPS, idr(500)], timestamp: 1000, keyframe: true },
    { nals: [AUD, slice(100)], timestamp: 4600, keyframe: false },
    { nals: [slice(120)], timestamp: 8200, keyframe: false },
  ];
  const seg = muxSegment(TRACK, units, { endTimestamp: 11_800 });
  const boxes = readBoxes(seg.bytes);

  it.each([
    ['', ['ftyp', 'moov', 'moof', 'mdat']],
    ['moov', ['mvhd', 'trak', 'mvex']],
    ['moov/trak', ['tkhd', 'mdia']],
    ['moov/trak/mdia', ['mdhd', 'hdlr', 'minf']],
    ['moov/trak/mdia/minf', ['vmhd', 'dinf', 'stbl']],
    ['moov/trak/mdia/minf/stbl', ['stsd', 'stts', 'stsc', 'stsz', 'stco']],
    ['moov/mvex', ['trex']],
    ['moof', ['mfhd', 'traf']],
    ['moof/traf', ['tfhd', 'tfdt', 'trun']],
  ])('%s holds %j', (path, expected) => {
    expect(types(path ? find(boxes, path).children : boxes)).toEqual(expected);
  });

  it('sizes the whole file and the init part exactly', () => {
    const total = boxes.reduce((n, b) => n + b.size, 0);
    expect(total).toBe(seg.bytes.length);
    expect(seg.initBytes).toBe(find(boxes, 'ftyp').size + find(boxes, 'moov').size);
    expect(seg.initBytes).toBe(initSegment(TRACK).length);
    expect(seg.frames).toBe(3);
    expect(seg.durationTicks).toBe(3 * 3600);
  });

  it('writes the track: 90 kHz, 640x360, avc1 with the avcC of the SPS/PPS', () => {
    const b = seg.bytes;
    const mdhd = find(boxes, 'moov/trak/mdia/mdhd');
    expect(b.readUInt32BE(mdhd.start + 20)).toBe(90_000);
    const tkhd = find(boxes, 'moov/trak/tkhd');
    expect([b.readUInt32BE(tkhd.start + 84) / 65536, b.readUInt32BE(tkhd.start + 88) / 65536]).toEqual([
      640, 360,
    ]);
    const stsd = find(boxes, 'moov/trak/mdia/minf/stbl/stsd');
    const avc1 = readBoxes(b, stsd.start + 16, stsd.start + stsd.size);
    expect(types(avc1)).toEqual(['avc1']);
    const entry = avc1[0] as Mp4Box;
    expect([b.readUInt16BE(entry.start + 32), b.readUInt16BE(entry.start + 34)]).toEqual([640, 360]);
    const inner = readBoxes(b, entry.start + 86, entry.start + entry.size);
    expect(types(inner)).toEqual(['avcC']);
    const record = b.subarray(
      (inner[0] as Mp4Box).start + 8,
      (inner[0] as Mp4Box).start + (inner[0] as Mp4Box).size,
    );
    expect(record).toEqual(avcC(TRACK).subarray(8));
    expect([...record.subarray(0, 8)]).toEqual([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, SPS.length]);
    expect(record.subarray(8, 8 + SPS.length)).toEqual(SPS);
    expect([...record.subarray(8 + SPS.length, 11 + SPS.length)]).toEqual([1, 0, PPS.length]);
  });

  it('runs every sample: durations, sizes, sync flags, composition offsets 0, data offset into mdat', () => {
    const b = seg.bytes;
    const moof = find(boxes, 'moof');
    const trun = find(boxes, 'moof/traf/trun');
    expect(b.readUInt32BE(trun.start + 8) & 0xffffff).toBe(0x000f01);
    expect(b.readUInt32BE(trun.start + 12)).toBe(3);
    const dataOffset = b.readUInt32BE(trun.start + 16);
    const mdat = find(boxes, 'mdat');
    expect(moof.start + dataOffset).toBe(mdat.start + 8);
    const rows = [0, 1, 2].map((i) => {
      const o = trun.start + 20 + i * 16;
      return [b.readUInt32BE(o), b.readUInt32BE(o + 4), b.readUInt32BE(o + 8), b.readUInt32BE(o + 12)];
    });
    const sizes = units.map((u) => toSample(u.nals).length);
    expect(rows).toEqual([
      [3600, sizes[0], SYNC_SAMPLE_FLAGS, 0],
      [3600, sizes[1], NON_SYNC_SAMPLE_FLAGS, 0],
      [3600, sizes[2], NON_SYNC_SAMPLE_FLAGS, 0],
    ]);
    expect(mdat.size).toBe(8 + sizes.reduce((n, s) => n + (s ?? 0), 0));
    // The first sample: length-prefixed SPS, PPS, IDR; the delimiter dropped.
    const first = b.subarray(mdat.start + 8, mdat.start + 8 + (sizes[0] ?? 0));
    expect(first.readUInt32BE(0)).toBe(SPS.length);
    expect(first[4 + SPS.length + 4]).toBe(0x68);
    const tfdt = find(boxes, 'moof/traf/tfdt');
    expect(b[tfdt.start + 8]).toBe(1); // version 1: 64-bit
    expect(b.readBigUInt64BE(tfdt.start + 12)).toBe(0n);
  });

  it.each([
    ['last duration from the next segment', { endTimestamp: 9000 }, [3600, 3600, 800]],
    ['last duration as the one before', {}, [3600, 3600, 3600]],
    ['explicit last duration', { lastDuration: 1800 }, [3600, 3600, 1800]],
  ])('%s', (_name, options, durations) => {
    const s = muxSegment(TRACK, units, options);
    const trun = find(readBoxes(s.bytes), 'moof/traf/trun');
    expect([0, 1, 2].map((i) => s.bytes.readUInt32BE(trun.start + 20 + i * 16))).toEqual(durations);
  });

  it('splits into several moof+mdat with running decode times', () => {
    const s = muxSegment(TRACK, units, { fragmentFrames: 2, endTimestamp: 11_800 });
    const top = readBoxes(s.bytes);
    expect(types(top)).toEqual(['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat']);
    const second = top[4] as Mp4Box;
    const tfdt = find(second.children ?? [], 'traf/tfdt');
    expect(s.bytes.readBigUInt64BE(tfdt.start + 12)).toBe(7200n);
    const mfhd = find(second.children ?? [], 'mfhd');
    expect(s.bytes.readUInt32BE(mfhd.start + 12)).toBe(2);
  });

  it('refuses an empty segment', () => {
    expect(() => muxSegment(TRACK, [])).toThrow(RangeError);
  });
});

// ——— a real stream: x264 → RTP → assembler → segmenter → muxer → ffprobe / ffmpeg ———

function encodeClip(seconds: number, gop: number): Buffer {
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25',
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-pix_fmt',
      'yuv420p',
      '-preset',
      'ultrafast',
      '-g',
      String(gop),
      '-keyint_min',
      String(gop),
      '-sc_threshold',
      '0',
      '-x264-params',
      'aud=1:repeat-headers=1',
      '-f',
      'h264',
      'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg: ${String(r.stderr)}`);
  return r.stdout;
}

/** Annex-B with delimiters → access units (NAL lists), 25 fps. */
function accessUnitsOf(annexB: Buffer): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (const nal of splitNalUnits(annexB)) {
    if (((nal[0] as number) & 0x1f) === 9 || out.length === 0) out.push([]);
    out[out.length - 1]?.push(nal);
  }
  return out;
}

function probe(file: string): Record<string, string> {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames:format=duration,format_name',
      '-of',
      'default=noprint_wrappers=1',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffprobe: ${r.stderr}`);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
}

describe('fMP4 muxer: a real stream through RTP, segmented and muxed, read by ffprobe and decoded by ffmpeg', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmp4-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts at key frames after 2 s and every file probes and decodes whole', () => {
    const annexB = encodeClip(7, 25);
    const aus = accessUnitsOf(annexB);
    expect(aus).toHaveLength(175);
    const packetizer = new H264Packetizer({ ssrc: 1234, payloadType: 96, timestampOffset: 2 ** 32 - 90_000 });
    const units: ReceivedAccessUnit[] = [];
    const assembler = new AccessUnitAssembler((u) => units.push(u));
    aus.forEach((nals, i) => {
      const data = Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
      for (const p of packetizer.packetize({ data, pts: i * 3600 }).packets) assembler.push(p, i * 40);
    });
    assembler.flush();
    expect(units).toHaveLength(175);
    expect(assembler.lostPackets).toBe(0);
    // The timestamps crossed the 32-bit wrap (offset 2^32 − 1 s) and stay monotonic.
    expect(
      units.every((u, i) => i === 0 || u.timestamp - (units[i - 1] as ReceivedAccessUnit).timestamp === 3600),
    ).toBe(true);
    expect(units.filter((u) => u.keyframe)).toHaveLength(7);

    const segmenter = new Segmenter({ segmentTicks: 2 * 90_000 });
    const cuts: CutSegment[] = [];
    for (const u of units) {
      const cut = segmenter.push(u);
      if (cut) cuts.push(cut);
    }
    const last = segmenter.flush();
    if (last) cuts.push(last);
    expect(cuts.map((c) => c.units.length)).toEqual([50, 50, 50, 25]);
    expect(cuts.every((c) => c.units[0]?.keyframe)).toBe(true);

    cuts.forEach((cut, i) => {
      const seg = muxSegment(
        cut.track,
        cut.units,
        cut.endTimestamp !== undefined ? { endTimestamp: cut.endTimestamp } : {},
      );
      const file = join(dir, `seg${i}.mp4`);
      writeFileSync(file, seg.bytes);
      const p = probe(file);
      expect(p).toMatchObject({
        codec_name: 'h264',
        width: '640',
        height: '360',
        nb_read_frames: String(cut.units.length),
      });
      expect(Number(p.duration)).toBeCloseTo(cut.units.length / 25, 2);
      expect(p.format_name).toContain('mp4');
      const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], {
        encoding: 'utf8',
      });
      expect(decode.status).toBe(0);
      expect(decode.stderr).toBe('');
    });
  });
});
