import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x265Units } from '../../test/hevc-clip.ts';
import { decodeErrors, firstFrame, probeVideo } from '../../test/probe.ts';
import { parseHevcSps } from '../ingest/index.ts';
import { createLogger } from '../lib/logger.ts';
import { type AccessUnit, muxSegment, readBoxes } from '../recording/index.ts';
import {
  createSegmentTranscoder,
  FfmpegSegmentTranscoder,
  type FfmpegTranscoderOptions,
  splitFragmented,
  transcodeArgs,
} from './transcode-ffmpeg.ts';

const logger = createLogger('silent', 'test');

/** A stored H.265 segment as the recorder writes it (hvc1 fMP4), from a real libx265 clip. */
function hevcSegment(units: AccessUnit[]): Buffer {
  const first = units[0] as AccessUnit;
  const ps = (t: number) => first.nals.find((n) => (((n[0] as number) >> 1) & 0x3f) === t) as Uint8Array;
  const info = parseHevcSps(ps(33));
  if (!info) throw new Error('clip SPS');
  const track = {
    codec: 'h265' as const,
    vps: ps(32),
    sps: ps(33),
    pps: ps(34),
    info,
    width: info.width,
    height: info.height,
  };
  return muxSegment(track, units).bytes;
}

describe('transcodeArgs', () => {
  const args = transcodeArgs();
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  it.each([
    ['-i', 'pipe:0'],
    ['-c:v', 'libx264'],
    ['-preset', 'veryfast'],
    ['-pix_fmt', 'yuv420p'],
    ['-bf', '0'],
    ['-fps_mode', 'passthrough'],
    ['-force_key_frames', 'source'],
    ['-video_track_timescale', '90000'],
    ['-movflags', '+frag_keyframe+empty_moov+default_base_moof'],
    ['-f', 'mp4'],
  ])('%s %s', (flag, value) => {
    expect(after(flag)).toBe(value);
  });
  it('keeps x264 look-ahead (no zerolatency tune), reads no audio, writes to stdout', () => {
    expect(args).not.toContain('-tune');
    expect(args).toContain('-an');
    expect(args.at(-1)).toBe('pipe:1');
    expect(transcodeArgs('ultrafast')[transcodeArgs('ultrafast').indexOf('-preset') + 1]).toBe('ultrafast');
  });
});

describe('FfmpegSegmentTranscoder (real ffmpeg, real libx265 segments)', () => {
  let dir: string;
  let seg360: Buffer;
  let seg720: Buffer;
  let seg10bit: Buffer;
  const open: FfmpegSegmentTranscoder[] = [];
  const make = (o: Partial<FfmpegTranscoderOptions> = {}) => {
    const t = new FfmpegSegmentTranscoder({
      logger,
      concurrency: 1,
      queueLimit: 4,
      timeoutMs: 30_000,
      cacheBytes: 32 * 1024 * 1024,
      ...o,
    });
    open.push(t);
    return t;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'transcode-'));
    seg360 = hevcSegment(x265Units({ width: 640, height: 360, frames: 100, gop: 50 }));
    seg720 = hevcSegment(x265Units({ width: 1280, height: 720, frames: 100, gop: 50 }));
    seg10bit = hevcSegment(x265Units({ width: 640, height: 360, frames: 25, pixFmt: 'yuv420p10le' }));
  }, 120_000);
  afterAll(() => {
    for (const t of open) t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splitFragmented: init up to the first moof, media from it; refuses truncated or fragment-less output', () => {
    const split = splitFragmented(seg360);
    expect(split && readBoxes(split.init).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(split?.media.toString('latin1', 4, 8)).toBe('moof');
    expect(splitFragmented(seg360.subarray(0, seg360.length - 1))).toBeUndefined();
    expect(splitFragmented(split?.init ?? Buffer.alloc(0))).toBeUndefined();
    expect(splitFragmented(Buffer.from('not an mp4 at all'))).toBeUndefined();
  });

  it.each([
    ['640x360', () => seg360, 640, 360, 100],
    ['1280x720', () => seg720, 1280, 720, 100],
    ['640x360 Main 10 (to 8-bit 4:2:0)', () => seg10bit, 640, 360, 25],
  ])(
    '%s: H.264 with the same frames and duration, a key frame first, init + media decode',
    async (name, seg, w, h, frames) => {
      const t = make();
      const out = await t.transcode(seg(), `cam/${name}`);
      expect(readBoxes(out.init).map((b) => b.type)).toEqual(['ftyp', 'moov']);
      expect(out.media.toString('latin1', 4, 8)).toBe('moof');
      const file = join(dir, `${w}x${h}-${frames}.mp4`);
      writeFileSync(file, Buffer.concat([out.init, out.media]));
      const p = probeVideo(file);
      expect(p).toMatchObject({ codec_name: 'h264', width: w, height: h, pix_fmt: 'yuv420p' });
      expect(Math.abs(Number(p.nb_read_frames) - frames)).toBeLessThanOrEqual(1);
      expect(Math.abs(Number(p.duration) - frames * 0.04)).toBeLessThanOrEqual(0.04);
      expect(firstFrame(file)).toMatch(/^1,I/);
      expect(decodeErrors(file)).toBe('');
    },
  );

  it('caches by key: the same bytes again without a second ffmpeg; concurrent asks for one key share a run', async () => {
    const t = make();
    const [a, b] = await Promise.all([t.transcode(seg360, 'k'), t.transcode(seg360, 'k')]);
    expect(a).toBe(b);
    const c = await t.transcode(seg360, 'k');
    expect(c.init.equals(a.init) && c.media.equals(a.media)).toBe(true);
    expect(t.stats()).toMatchObject({ runs: 1, cachedSegments: 1 });
    expect(t.stats().cachedBytes).toBe(a.init.length + a.media.length);
  });

  it('keeps the cache within its bytes: the least recently used goes first', async () => {
    const probeSize = await make().transcode(seg360, 'size');
    const one = probeSize.init.length + probeSize.media.length;
    const t = make({ cacheBytes: Math.floor(one * 1.5) });
    await t.transcode(seg360, 'a');
    await t.transcode(seg360, 'b'); // a is dropped
    expect(t.stats()).toMatchObject({ cachedSegments: 1, runs: 2 });
    await t.transcode(seg360, 'b');
    expect(t.stats().runs).toBe(2);
    await t.transcode(seg360, 'a');
    expect(t.stats().runs).toBe(3);
    expect(t.stats().cachedBytes).toBeLessThanOrEqual(Math.floor(one * 1.5));
  });

  it('runs at most `concurrency` ffmpegs, queues up to `queueLimit`, refuses more at once', async () => {
    const t = make({ concurrency: 1, queueLimit: 1 });
    const first = t.transcode(seg360, 'q1');
    const second = t.transcode(seg360, 'q2');
    expect(t.stats()).toMatchObject({ running: 1, queued: 1 });
    await expect(t.transcode(seg360, 'q3')).rejects.toMatchObject({
      code: 'recording:transcode_busy',
      status: 503,
    });
    await Promise.all([first, second]);
    expect(t.stats()).toMatchObject({ running: 0, queued: 0, runs: 2 });
  });

  it('kills a run that takes longer than the timeout', async () => {
    const t = make({ timeoutMs: 100 });
    const started = Date.now();
    await expect(t.transcode(seg720, 'slow')).rejects.toMatchObject({
      code: 'recording:transcode_failed',
      message: 'the transcode took too long',
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(t.stats()).toMatchObject({ running: 0, cachedSegments: 0 });
  });

  it('kills the ffmpeg when its caller aborts, and a queued caller that aborts gives up its place', async () => {
    const t = make({ concurrency: 1, queueLimit: 2 });
    const running = new AbortController();
    const queued = new AbortController();
    const a = t.transcode(seg720, 'abort-a', running.signal);
    const b = t.transcode(seg720, 'abort-b', queued.signal);
    expect(t.stats()).toMatchObject({ running: 1, queued: 1 });
    queued.abort();
    await expect(b).rejects.toMatchObject({
      code: 'recording:transcode_failed',
      message: 'transcode aborted',
    });
    expect(t.stats().queued).toBe(0);
    running.abort();
    await expect(a).rejects.toMatchObject({ code: 'recording:transcode_failed' });
    for (let i = 0; i < 50 && t.stats().running > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.stats()).toMatchObject({ running: 0, runs: 1, cachedSegments: 0 });
  });

  it('answers recording:transcode_failed for a file ffmpeg cannot read', async () => {
    const t = make();
    await expect(t.transcode(Buffer.from('garbage, not a segment'), 'bad')).rejects.toMatchObject({
      code: 'recording:transcode_failed',
      status: 502,
    });
    expect(t.stats()).toMatchObject({ running: 0, cachedSegments: 0 });
  });

  it('createSegmentTranscoder takes the node settings', async () => {
    const t = createSegmentTranscoder(
      {
        PLAYBACK_TRANSCODE_CONCURRENCY: 1,
        PLAYBACK_TRANSCODE_QUEUE: 0,
        PLAYBACK_TRANSCODE_TIMEOUT_MS: 20_000,
        PLAYBACK_TRANSCODE_CACHE_MB: 1,
        PLAYBACK_TRANSCODE_PRESET: 'ultrafast',
      },
      logger,
    );
    open.push(t);
    const first = t.transcode(seg360, 'x');
    await expect(t.transcode(seg360, 'y')).rejects.toMatchObject({ code: 'recording:transcode_busy' });
    await first;
  });
});
