// Playback of H.265 recordings: how long the node's transcoder (the real ffmpeg, libx264) takes to
// turn one recorded 4 s H.265 segment into H.264 fMP4 for the browser, at 1280x720 and 640x360.
//
// Method. A 4 s 25 fps clip (`testsrc2`, libx265 Main, GOP 50, no B-frames) per size, muxed by the
// recorder's own muxer into the hvc1 segment the node stores. Each segment is transcoded
// `PB_BENCH_RUNS` times (default 5) under a fresh key (no cache) with `FfmpegSegmentTranscoder`,
// one at a time, for the `veryfast` and `ultrafast` presets; then `concurrency` 2 with 4 segments in
// flight (the throughput on this machine's cores). Figures: wall time per segment (median, min,
// max) from the call to the split init/media, and the real-time factor (4 s / time). The cache hit
// is timed too.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseHevcSps } from '../../media-server/src/ingest/index.ts';
import { createLogger } from '../../media-server/src/lib/logger.ts';
import {
  FfmpegSegmentTranscoder,
  type TranscodePreset,
} from '../../media-server/src/playback/transcode-ffmpeg.ts';
import { type AccessUnit, muxSegment } from '../../media-server/src/recording/index.ts';
import { x265Units } from '../../media-server/test/support.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'playback-transcode.json');
const RUNS = Number(process.env.PB_BENCH_RUNS ?? 5);
const SEGMENT_S = 4;
const print = (s: string) => process.stdout.write(`${s}\n`);
const logger = createLogger('warn', 'bench');

function segment(width: number, height: number): Buffer {
  const units = x265Units({ width, height, frames: SEGMENT_S * 25, gop: 50 });
  const first = units[0] as AccessUnit;
  const ps = (t: number) => first.nals.find((n) => (((n[0] as number) >> 1) & 0x3f) === t) as Uint8Array;
  const info = parseHevcSps(ps(33));
  if (!info) throw new Error('clip SPS');
  return muxSegment({ codec: 'h265', vps: ps(32), sps: ps(33), pps: ps(34), info, width, height }, units)
    .bytes;
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)] as number;
  return {
    medianMs: Math.round(median),
    minMs: Math.round(s[0] as number),
    maxMs: Math.round(s.at(-1) as number),
    realtimeFactor: Math.round(((SEGMENT_S * 1000) / median) * 10) / 10,
  };
};

const results: Record<string, unknown> = { cpus: cpus().length, cpuModel: cpus()[0]?.model, runs: RUNS };
for (const [name, w, h] of [
  ['720p', 1280, 720],
  ['360p', 640, 360],
] as const) {
  const seg = segment(w, h);
  for (const preset of ['veryfast', 'ultrafast'] as TranscodePreset[]) {
    const t = new FfmpegSegmentTranscoder({
      logger,
      concurrency: 1,
      queueLimit: 8,
      timeoutMs: 60_000,
      cacheBytes: 64 * 1024 * 1024,
      preset,
    });
    const times: number[] = [];
    let outBytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const out = await t.transcode(seg, `${name}-${preset}-${i}`);
      times.push(performance.now() - started);
      outBytes = out.init.length + out.media.length;
    }
    const hitStart = performance.now();
    await t.transcode(seg, `${name}-${preset}-0`);
    const cacheHitMs = Math.round((performance.now() - hitStart) * 1000) / 1000;
    t.close();
    const r = { ...stats(times), inputBytes: seg.length, outputBytes: outBytes, cacheHitMs };
    results[`${name}-${preset}`] = r;
    print(`${name} ${preset}: ${JSON.stringify(r)}`);
  }
  // Two ffmpegs at once, four segments: segments per second on this machine.
  const t = new FfmpegSegmentTranscoder({
    logger,
    concurrency: 2,
    queueLimit: 8,
    timeoutMs: 60_000,
    cacheBytes: 0,
  });
  const started = performance.now();
  await Promise.all([0, 1, 2, 3].map((i) => t.transcode(seg, `${name}-par-${i}`)));
  const ms = performance.now() - started;
  t.close();
  const par = { segments: 4, wallMs: Math.round(ms), perSegmentMs: Math.round(ms / 4) };
  results[`${name}-veryfast-concurrency2`] = par;
  print(`${name} veryfast, concurrency 2: ${JSON.stringify(par)}`);
}
writeFileSync(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`);
print(`written ${RESULTS}`);
