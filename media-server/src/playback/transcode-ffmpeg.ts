import { spawn } from 'node:child_process';
import { redactCredentials } from '../ingest/index.ts';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import { readBoxes } from '../recording/index.ts';
import type { SegmentTranscoder } from './transcoder.ts';

export type TranscodePreset = 'ultrafast' | 'superfast' | 'veryfast';

export interface FfmpegTranscoderOptions {
  logger: Logger;
  /** ffmpeg processes at once (the node has few cores; each x264 uses them all). */
  concurrency: number;
  /** Transcodes waiting for a process; one more is refused with `recording:transcode_busy`. */
  queueLimit: number;
  /** A transcode (its ffmpeg run) taking longer is killed: `recording:transcode_failed`. */
  timeoutMs: number;
  /** Bytes of transcoded segments kept (least recently used dropped first). */
  cacheBytes: number;
  /** x264 preset (default `veryfast`). */
  preset?: TranscodePreset;
  /** The ffmpeg executable (default `ffmpeg` on PATH). */
  ffmpegPath?: string;
}

export interface TranscodedSegment {
  /** `ftyp` + `moov` (one `avc1` track). */
  init: Buffer;
  /** `moof` + `mdat` pairs, decode time from 0. */
  media: Buffer;
}

export interface TranscoderStats {
  running: number;
  queued: number;
  cachedSegments: number;
  cachedBytes: number;
  /** ffmpeg processes started since the transcoder was made. */
  runs: number;
}

/**
 * ffmpeg's arguments (an array: never a shell string) to turn one recorded segment, read from stdin,
 * into fragmented-MP4 H.264 on stdout: every frame once with its own timing (`fps_mode
 * passthrough`, 90 kHz like the recordings), key frames where the recording has them (it starts with
 * one), no B-frames (decode order = presentation order, no edit list), 4:2:0 8-bit (what browsers
 * decode), no audio or metadata.
 */
export function transcodeArgs(preset: TranscodePreset = 'veryfast'): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    'mp4',
    '-i',
    'pipe:0',
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-pix_fmt',
    'yuv420p',
    '-bf',
    '0',
    '-force_key_frames',
    'source',
    '-fps_mode',
    'passthrough',
    '-video_track_timescale',
    '90000',
    '-movflags',
    '+frag_keyframe+empty_moov+default_base_moof',
    '-f',
    'mp4',
    'pipe:1',
  ];
}

/** Splits a fragmented MP4 at its first `moof`: the init part before it, the media part from it. */
export function splitFragmented(bytes: Buffer): TranscodedSegment | undefined {
  const boxes = readBoxes(bytes);
  const moof = boxes.find((b) => b.type === 'moof');
  const end = boxes.reduce((n, b) => n + b.size, 0);
  if (!moof || boxes[0]?.type !== 'ftyp' || !boxes.some((b) => b.type === 'moov' && b.start < moof.start)) {
    return undefined;
  }
  if (end !== bytes.length) return undefined; // a truncated box: ffmpeg did not finish its output
  return { init: bytes.subarray(0, moof.start), media: bytes.subarray(moof.start) };
}

interface InFlight {
  promise: Promise<TranscodedSegment>;
  /** Aborts the run: when every caller that can abort did, and no other waits. */
  controller: AbortController;
  waiters: number;
}

const aborted = () => new AppError('recording:transcode_failed', 'transcode aborted');

interface Waiting {
  start(): void;
  reject(err: Error): void;
}

/**
 * The playback transcoder for H.265 recordings, with the real ffmpeg: at most `concurrency` processes,
 * `queueLimit` transcodes waiting (more are refused at once), each run bounded by `timeoutMs` and
 * killed when its caller aborts, results kept in an LRU cache of `cacheBytes` by storage key (a key's
 * file never changes: segments are immutable). Concurrent requests for one key share one run.
 * ffmpeg's messages are logged redacted and cut short (its input is a pipe: no URL to leak anyway).
 */
export class FfmpegSegmentTranscoder implements SegmentTranscoder {
  readonly #o: Required<FfmpegTranscoderOptions>;
  readonly #log: Logger;
  readonly #cache = new Map<string, TranscodedSegment>();
  readonly #inflight = new Map<string, InFlight>();
  readonly #queue: Waiting[] = [];
  readonly #children = new Set<ReturnType<typeof spawn>>();
  #cachedBytes = 0;
  #running = 0;
  #runs = 0;
  #closed = false;

  constructor(options: FfmpegTranscoderOptions) {
    this.#o = { preset: 'veryfast', ffmpegPath: 'ffmpeg', ...options };
    this.#log = options.logger.child({ feature: 'playback-transcode' });
  }

  stats(): TranscoderStats {
    return {
      running: this.#running,
      queued: this.#queue.length,
      cachedSegments: this.#cache.size,
      cachedBytes: this.#cachedBytes,
      runs: this.#runs,
    };
  }

  /**
   * The H.264 copy of a stored segment. `signal`: the caller gave up (the viewer left); it gets
   * `recording:transcode_failed` at once, and a run that nobody else waits for is killed (or its
   * place in the queue given up).
   */
  transcode(file: Buffer, key: string, signal?: AbortSignal): Promise<TranscodedSegment> {
    if (this.#closed) return Promise.reject(new AppError('recording:transcode_failed', 'transcoder closed'));
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key); // most recently used last
      this.#cache.set(key, cached);
      return Promise.resolve(cached);
    }
    let entry = this.#inflight.get(key);
    if (!entry) {
      const controller = new AbortController();
      const promise = this.#slot(controller.signal)
        .then((release) => this.#run(file, key, controller.signal).finally(release))
        .then((result) => {
          this.#remember(key, result);
          return result;
        })
        .finally(() => this.#inflight.delete(key));
      entry = { promise, controller, waiters: 0 };
      this.#inflight.set(key, entry);
    }
    const shared = entry;
    shared.waiters++;
    if (!signal) return shared.promise;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (--shared.waiters === 0) shared.controller.abort();
        reject(aborted());
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Waits for a free process slot; resolves with its release. */
  #slot(signal?: AbortSignal): Promise<() => void> {
    const release = () => {
      this.#running--;
      this.#queue.shift()?.start();
    };
    if (this.#running < this.#o.concurrency) {
      this.#running++;
      return Promise.resolve(release);
    }
    if (this.#queue.length >= this.#o.queueLimit) {
      return Promise.reject(
        new AppError(
          'recording:transcode_busy',
          'too many recordings are being transcoded: try again shortly',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#running++;
          resolve(release);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(waiting);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(aborted());
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiting);
    });
  }

  #run(file: Buffer, key: string, signal?: AbortSignal): Promise<TranscodedSegment> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(aborted());
        return;
      }
      const startedAt = performance.now();
      this.#runs++;
      const child = spawn(this.#o.ffmpegPath, transcodeArgs(this.#o.preset), {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.#children.add(child);
      const out: Buffer[] = [];
      let stderr = '';
      let failure: string | undefined;
      const kill = (why: string) => {
        failure ??= why;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => kill('timeout'), this.#o.timeoutMs);
      const onAbort = () => kill('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (c: string) => {
        stderr = (stderr + c).slice(-2048);
      });
      child.stdin.on('error', () => undefined); // ffmpeg exited before reading all: its exit says why
      child.on('error', (err) => {
        failure ??= `spawn: ${err.message}`;
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#children.delete(child);
        const ms = Math.round(performance.now() - startedAt);
        const result = failure === undefined && code === 0 ? splitFragmented(Buffer.concat(out)) : undefined;
        if (result) {
          this.#log.debug({ key, ms, bytes: result.init.length + result.media.length }, 'segment transcoded');
          resolve(result);
          return;
        }
        const reason = failure ?? (code === 0 ? 'no fragmented output' : `exited:${code ?? 'signal'}`);
        if (reason !== 'aborted') {
          this.#log.warn(
            { key, reason, ms, stderr: redactCredentials(stderr.trim().slice(-400)) },
            'segment transcode failed',
          );
        }
        reject(
          new AppError(
            'recording:transcode_failed',
            reason === 'timeout' ? 'the transcode took too long' : 'the segment could not be transcoded',
          ),
        );
      });
      child.stdin.end(file);
    });
  }

  #remember(key: string, result: TranscodedSegment): void {
    const size = result.init.length + result.media.length;
    if (size > this.#o.cacheBytes) return;
    this.#cache.set(key, result);
    this.#cachedBytes += size;
    for (const [k, v] of this.#cache) {
      if (this.#cachedBytes <= this.#o.cacheBytes) break;
      this.#cache.delete(k);
      this.#cachedBytes -= v.init.length + v.media.length;
    }
  }

  /** Kills running processes, refuses the waiting transcodes, empties the cache. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#queue.splice(0))
      w.reject(new AppError('recording:transcode_failed', 'transcoder closed'));
    for (const child of this.#children) child.kill('SIGKILL');
    this.#cache.clear();
    this.#cachedBytes = 0;
  }
}

/** The node's playback transcoder from its settings (`PLAYBACK_TRANSCODE_*`). */
export function createSegmentTranscoder(
  config: {
    PLAYBACK_TRANSCODE_CONCURRENCY: number;
    PLAYBACK_TRANSCODE_QUEUE: number;
    PLAYBACK_TRANSCODE_TIMEOUT_MS: number;
    PLAYBACK_TRANSCODE_CACHE_MB: number;
    PLAYBACK_TRANSCODE_PRESET: TranscodePreset;
  },
  logger: Logger,
): FfmpegSegmentTranscoder {
  return new FfmpegSegmentTranscoder({
    logger,
    concurrency: config.PLAYBACK_TRANSCODE_CONCURRENCY,
    queueLimit: config.PLAYBACK_TRANSCODE_QUEUE,
    timeoutMs: config.PLAYBACK_TRANSCODE_TIMEOUT_MS,
    cacheBytes: config.PLAYBACK_TRANSCODE_CACHE_MB * 1024 * 1024,
    preset: config.PLAYBACK_TRANSCODE_PRESET,
  });
}
