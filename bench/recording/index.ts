// Recording on a media node: how many 2 Mbit/s cameras one core records (target 100), and the
// fMP4 muxer's throughput; for the ADR, one `ffmpeg -c copy -f segment` process per camera measured
// on the same clip.
//
// Method. A 1280x720 25 fps H.264 clip at 2 Mbit/s (GOP 50, x264 baseline, made once with ffmpeg)
// is packetized into RTP (RFC 6184, the GB path's packetizer, MTU 1200) once. For N cameras, N real
// `CameraRecorder`s (the node's class: RTP → access units → 4 s key-frame segments → fMP4 →
// FsStorage with temp+fsync+rename on this disk → SHA-256 → XADD to a Redis stream of its own) are
// fed in this process at real time: every 10 ms tick hands each camera the packets that are due
// (cameras start at spread phases), each packet copied into a fresh buffer with its sequence number
// and timestamp advanced (what a socket read costs in allocation). The relay itself is not in the
// loop: live pays for it already; this measures what recording adds. For each N, ~12 s: process CPU
// (user+system) / wall time, peak RSS growth per camera, frames fed vs frames written (the open segment
// is written at stop), and how late the feeding loop ran. The largest N with no lost frames, CPU
// below one core and the loop never more than 1 s late is the figure; the same replay with recorders
// that only count packets is measured at that N, to show the feeding's own share.
//
// The ffmpeg comparison: `ffmpeg -re -i clip.h264 -c copy -f segment -segment_time 4` (the clip three
// times over) with fragmented-MP4 options, for 15 s after 2 s of start-up; its CPU from /proc (utime+stime) and VmRSS. Its input is the
// file at real time rather than RTP, which, if anything, flatters it (no RTP depacketizing).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { splitNalUnits } from '../../media-server/src/ingest/gb/annexb.ts';
import { H264Packetizer } from '../../media-server/src/ingest/gb/h264-packetizer.ts';
import { createLogger } from '../../media-server/src/lib/logger.ts';
import {
  type AccessUnit,
  CameraRecorder,
  FsStorage,
  muxSegment,
  type RecordableIngest,
  type RecorderHost,
  RecordingEventLog,
  Segmenter,
} from '../../media-server/src/recording/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'recording.json');
const TARGET = 100;
const CLIP = { width: 1280, height: 720, fps: 25, gop: 50, seconds: 10, kbps: 2000 } as const;
const SEGMENT_MS = 4000;
const WINDOW_S = Number(process.env.REC_BENCH_SECONDS ?? 12);
const print = (s: string) => process.stdout.write(`${s}\n`);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

function ensureClip(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'wall', 'bench-recording');
  const path = join(dir, `clip-${CLIP.width}x${CLIP.height}-${CLIP.kbps}k-gop${CLIP.gop}.h264`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${CLIP.width}x${CLIP.height}:rate=${CLIP.fps}`, '-t', String(CLIP.seconds)],
      ...['-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-preset', 'veryfast'],
      ...['-b:v', `${CLIP.kbps}k`, '-maxrate', `${CLIP.kbps}k`, '-bufsize', `${CLIP.kbps}k`],
      ...['-g', String(CLIP.gop), '-keyint_min', String(CLIP.gop), '-sc_threshold', '0'],
      ...['-x264-params', 'aud=1:repeat-headers=1', '-f', 'h264', tmp],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make the clip: ${String(r.stderr).slice(0, 400)}`);
  renameSync(tmp, path);
  return path;
}

/** Access units of an Annex-B clip with delimiters. */
function accessUnits(annexB: Buffer): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (const nal of splitNalUnits(annexB)) {
    if (((nal[0] as number) & 0x1f) === 9 || out.length === 0) out.push([]);
    out[out.length - 1]?.push(nal);
  }
  return out;
}

/** One loop of the clip as RTP: packets per frame (timestamps from 0, sequence from 0). */
function packetize(aus: Uint8Array[][]): Buffer[][] {
  const p = new H264Packetizer({ ssrc: 7, payloadType: 96, timestampOffset: 0, initialSequence: 0 });
  return aus.map((nals, i) => {
    const data = Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
    return p.packetize({ data, pts: i * 3600 }).packets;
  });
}

/** A camera fed in process: the `RecordableIngest` a recorder taps. */
class FedIngest implements RecordableIngest {
  readonly closed = false;
  readonly state = 'live' as const;
  #tap: ((p: Buffer, codec: 'h264') => void) | undefined;
  frames = 0;
  tap(listener: (p: Buffer, codec: 'h264') => void) {
    this.#tap = listener;
    return () => {
      this.#tap = undefined;
    };
  }
  status() {
    return { transcoded: false };
  }
  once() {
    return this;
  }
  off() {
    return this;
  }
  deliver(p: Buffer) {
    this.#tap?.(p, 'h264');
  }
}

interface RunResult {
  cameras: number;
  cpuCores: number;
  rssMbPerCamera: number;
  framesFed: number;
  framesWritten: number;
  lostFrames: number;
  segments: number;
  maxLateMs: number;
  mbitPerS: number;
}

async function run(
  n: number,
  loop: Buffer[][],
  mode: 'record' | 'feed-only',
  redis: Redis,
  stream: string,
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rec-bench-'));
  const ingests = Array.from({ length: n }, () => new FedIngest());
  const recorders: CameraRecorder[] = [];
  let counted = 0;
  if (mode === 'record') {
    let next = 0;
    const host: RecorderHost = {
      nodeId: 'bench',
      segmentMs: SEGMENT_MS,
      ingests: {
        ensure: async () => ingests[next++] as FedIngest,
        hold: () => undefined,
        unhold: () => undefined,
      },
      storage: new FsStorage(dir),
      events: new RecordingEventLog(redis, stream),
      logger: createLogger('warn', 'bench-recording'),
      admit: async () => true,
      now: Date.now,
    };
    for (let i = 0; i < n; i++) {
      const r = new CameraRecorder(
        {
          cameraId: `cam-${i}`,
          profile: 'main',
          priority: 50,
          source: { kind: 'rtsp', url: 'rtsp://bench/x', transport: 'tcp' },
        },
        host,
      );
      r.start();
      recorders.push(r);
    }
    await new Promise((r) => setTimeout(r, 50)); // ensure() resolves on the next turns
  } else {
    for (const i of ingests) i.tap(() => counted++);
  }
  const frameMs = 1000 / CLIP.fps;
  const clipFrames = loop.length;
  const clipTicks = clipFrames * 3600;
  const packetsPerLoop = loop.reduce((k, f) => k + f.length, 0);
  // Each camera starts at a key frame (the clip's start), at phases spread over a segment's length:
  // real cameras do not cut their segments in the same millisecond.
  const phase = ingests.map((_, i) => (i * SEGMENT_MS) / n);
  const sent = ingests.map(() => 0);
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let maxLate = 0;
  let maxRss = rss0;
  let bytes = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now() - t0;
      maxRss = Math.max(maxRss, process.memoryUsage.rss());
      if (now >= WINDOW_S * 1000) return resolve();
      for (let c = 0; c < n; c++) {
        const ingest = ingests[c] as FedIngest;
        for (;;) {
          const f = sent[c] as number;
          const due = (phase[c] as number) + f * frameMs;
          if (due > now) break;
          maxLate = Math.max(maxLate, now - due);
          const loopIndex = Math.floor(f / clipFrames);
          const packets = loop[f % clipFrames] as Buffer[];
          for (const src of packets) {
            const p = Buffer.allocUnsafe(src.length);
            src.copy(p);
            p.writeUInt16BE((src.readUInt16BE(2) + loopIndex * packetsPerLoop) & 0xffff, 2);
            p.writeUInt32BE((src.readUInt32BE(4) + loopIndex * clipTicks) >>> 0, 4);
            bytes += p.length;
            ingest.deliver(p);
          }
          sent[c] = f + 1;
        }
      }
      setTimeout(tick, 10);
    };
    tick();
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  let written = 0;
  let segments = 0;
  for (const r of recorders) await r.stop();
  for (const r of recorders) {
    written += r.status().frames;
    segments += r.status().segments;
  }
  rmSync(dir, { recursive: true, force: true });
  const fed = sent.reduce((a, b) => a + b, 0);
  return {
    cameras: n,
    cpuCores: round((cpu.user + cpu.system) / 1e6 / wall, 3),
    rssMbPerCamera: round((maxRss - rss0) / 1024 / 1024 / n, 2),
    framesFed: fed,
    framesWritten: mode === 'record' ? written : fed,
    lostFrames: mode === 'record' ? fed - written : 0,
    segments,
    maxLateMs: Math.round(maxLate),
    mbitPerS: round((bytes * 8) / wall / 1e6 / Math.max(1, n), 2),
  };
}

function muxThroughput(aus: Uint8Array[][]): { mbPerS: number; segmentsPerS: number } {
  const units: AccessUnit[] = aus.map((nals, i) => ({
    nals,
    timestamp: i * 3600,
    keyframe: nals.some((n) => ((n[0] as number) & 0x1f) === 5),
  }));
  const seg = new Segmenter({ segmentTicks: (SEGMENT_MS * 90_000) / 1000 });
  const cuts = [];
  for (const u of units) {
    const c = seg.push({ ...u, arrivedAt: 0, damaged: false });
    if (c) cuts.push(c);
  }
  let bytes = 0;
  let count = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    for (const c of cuts) {
      bytes += muxSegment(
        c.track,
        c.units,
        c.endTimestamp !== undefined ? { endTimestamp: c.endTimestamp } : {},
      ).bytes.length;
      count++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { mbPerS: round(bytes / s / 1e6, 1), segmentsPerS: Math.round(count / s) };
}

function procStat(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuS: (Number(rest[11]) + Number(rest[12])) / 100, rssMb: round(rssKb / 1024, 1) };
}

async function ffmpegPerCamera(clip: string): Promise<{ cpuCores: number; rssMb: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rec-ffmpeg-'));
  // Raw H.264 cannot be looped by seeking (`-stream_loop` stops at the end): three copies back to back.
  const input = join(dir, 'input.h264');
  const once = readFileSync(clip);
  writeFileSync(input, Buffer.concat([once, once, once]));
  const child = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-re', '-framerate', '25', '-f', 'h264'],
      ...['-i', input, '-c', 'copy', '-f', 'segment', '-segment_time', '4', '-segment_format', 'mp4'],
      ...['-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof'],
      ...['-reset_timestamps', '1', join(dir, 'seg%05d.mp4')],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += String(d);
  });
  const exited = new Promise((r) => child.once('exit', r));
  const pid = child.pid as number;
  const alive = async (ms: number) => {
    for (const end = performance.now() + ms; performance.now() < end; ) {
      await new Promise((r) => setTimeout(r, 250));
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `ffmpeg ended early (${child.exitCode ?? child.signalCode}): ${stderr.slice(0, 400)}`,
        );
      }
    }
  };
  await alive(2000); // past start-up
  const a = procStat(pid);
  const t0 = performance.now();
  await alive(15_000);
  const b = procStat(pid);
  const seconds = (performance.now() - t0) / 1000;
  child.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
  return { cpuCores: round((b.cpuS - a.cpuS) / seconds, 4), rssMb: b.rssMb, seconds: round(seconds, 1) };
}

const clipPath = ensureClip();
const aus = accessUnits(readFileSync(clipPath));
const loop = packetize(aus);
const clipBytes = readFileSync(clipPath).length;
print(
  `recording: clip ${CLIP.width}x${CLIP.height} ${CLIP.fps} fps, ${aus.length} frames, ` +
    `${round((clipBytes * 8) / CLIP.seconds / 1e6, 2)} Mbit/s; segments of ${SEGMENT_MS / 1000} s; ${WINDOW_S} s per step`,
);

const mux = muxThroughput(aus);
print(`muxer: ${mux.mbPerS} MB/s (${mux.segmentsPerS} segments of 4 s per second) on one core`);

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const stream = `bench:recording-events:${process.pid}`;
const steps: RunResult[] = [];
let best: RunResult | undefined;
const STEPS = (process.env.REC_BENCH_STEPS ?? '50,100,200,300,400,500,600,800').split(',').map(Number);
for (const n of STEPS) {
  const r = await run(n, loop, 'record', redis, stream);
  steps.push(r);
  const ok = r.lostFrames === 0 && r.cpuCores < 1 && r.maxLateMs < 1000;
  print(
    `  N=${n}: CPU ${r.cpuCores} cores, RSS +${r.rssMbPerCamera} MB/camera, frames ${r.framesWritten}/${r.framesFed} ` +
      `(lost ${r.lostFrames}), ${r.segments} segments, loop late ≤ ${r.maxLateMs} ms, ${r.mbitPerS} Mbit/s each ${ok ? 'ok' : '✗'}`,
  );
  if (!ok) break;
  best = r;
}
const feedOnly = best ? await run(best.cameras, loop, 'feed-only', redis, stream) : undefined;
if (feedOnly) print(`  feeding alone at N=${feedOnly.cameras}: ${feedOnly.cpuCores} cores`);
await redis.del(stream);
redis.disconnect();

const perCore = best ? Math.floor(best.cameras / Math.max(best.cpuCores, 0.01)) : 0;
print(
  `→ ${best?.cameras ?? 0} cameras recorded in real time below one core (${best?.cpuCores ?? 0} cores); ` +
    `≈ ${perCore} per core extrapolated; ratio to the target ${TARGET}: ${round((best?.cameras ?? 0) / TARGET, 2)}`,
);
const inProcessPerCamera = best
  ? { cpuCores: round(best.cpuCores / best.cameras, 4), rssMb: best.rssMbPerCamera }
  : undefined;
print(`in process, per camera: ${inProcessPerCamera?.cpuCores} cores, ${inProcessPerCamera?.rssMb} MB`);
const ffmpeg = await ffmpegPerCamera(clipPath);
print(`ffmpeg -c copy -f segment, one camera: ${ffmpeg.cpuCores} cores, ${ffmpeg.rssMb} MB RSS`);

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(
  RESULTS,
  `${JSON.stringify(
    {
      name: 'recording',
      at: new Date().toISOString(),
      machine: { cores: cpus().length, node: process.version, cpu: cpus()[0]?.model },
      clip: { ...CLIP, frames: aus.length, measuredMbitPerS: round((clipBytes * 8) / CLIP.seconds / 1e6, 2) },
      segmentMs: SEGMENT_MS,
      windowS: WINDOW_S,
      muxer: mux,
      steps,
      camerasBelowOneCore: best?.cameras ?? 0,
      cpuCoresAtThatN: best?.cpuCores ?? 0,
      camerasPerCoreExtrapolated: perCore,
      target: TARGET,
      ratioToTarget: round((best?.cameras ?? 0) / TARGET, 2),
      feedOnlyCpuCores: feedOnly?.cpuCores,
      perCamera: { inProcess: inProcessPerCamera, ffmpegSegment: ffmpeg },
    },
    null,
    2,
  )}\n`,
);
print(`→ ${RESULTS}`);
process.exit(0);
