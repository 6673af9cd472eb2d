import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger.ts';
import { AudSplitter } from './annexb.ts';

/**
 * ffmpeg's arguments to transcode raw H.265 (Annex B on stdin) to H.264 (Annex B on stdout) with as
 * little delay as it can: no probing beyond the first frame, no B-frames, zero-latency x264, one
 * output frame per input frame, key frames where the source has them, and an access unit delimiter
 * before each output frame so the reader knows where frames start.
 */
export function hevcTranscodeArgs(): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-flags',
    'low_delay',
    '-f',
    'hevc',
    '-i',
    'pipe:0',
    '-map',
    '0:v:0',
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-bf',
    '0',
    '-force_key_frames',
    'source',
    '-x264-params',
    'aud=1:repeat-headers=1',
    '-fps_mode',
    'passthrough',
    '-flush_packets',
    '1',
    '-f',
    'h264',
    'pipe:1',
  ];
}

export interface TranscodedUnit {
  /** Annex B H.264. */
  data: Buffer;
  /** The PTS of the input unit it came from (frames go through one for one, in order). */
  pts: number;
}

export interface HevcTranscoderEvents {
  unit: [unit: TranscodedUnit];
  /** ffmpeg ended on its own (not by close()). */
  failed: [reason: string];
}

/** Most input PTS kept waiting for their output frame (beyond: ffmpeg dropped some; drift is cut). */
const MAX_PENDING_PTS = 250;

/** One ffmpeg child turning a GB device's H.265 into H.264 for the wall. `close()` is idempotent. */
export class HevcTranscoder extends EventEmitter<HevcTranscoderEvents> {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #log: Logger;
  readonly #splitter = new AudSplitter();
  readonly #pts: number[] = [];
  #lastPts = 0;
  #stderr = '';
  #closed = false;
  /** ffmpeg fell behind: units are dropped until the next key frame. */
  #skipping = false;
  #dropped = 0;

  constructor(log: Logger) {
    super();
    this.#log = log;
    const child = spawn('ffmpeg', hevcTranscodeArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => {
      for (const data of this.#splitter.push(chunk)) {
        const pts = this.#pts.shift() ?? this.#lastPts + 3600;
        this.#lastPts = pts;
        this.emit('unit', { data, pts });
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-2000);
    });
    child.stdin.on('error', () => undefined); // EPIPE when ffmpeg ends: reported by 'exit'
    child.on('error', (err) => this.#log.error({ err: err.message }, 'ffmpeg (transcode) could not start'));
    child.on('exit', (code, signal) => {
      if (this.#closed) return;
      this.#closed = true;
      this.#log.warn({ code, signal, stderr: this.#stderr.slice(-400) }, 'H.265 transcoder ended');
      this.emit('failed', `exited:${code ?? signal ?? 'unknown'}`);
    });
  }

  /**
   * One H.265 access unit (Annex B). When ffmpeg does not keep up (its stdin is full), units are
   * dropped until a key frame finds it drained, so the output never falls further behind.
   */
  push(data: Uint8Array, pts: number, keyframe: boolean): void {
    if (this.#closed) return;
    if (this.#skipping) {
      if (!keyframe || this.#child.stdin.writableNeedDrain) {
        this.#dropped++;
        return;
      }
      this.#skipping = false;
    }
    this.#pts.push(pts);
    if (this.#pts.length > MAX_PENDING_PTS) this.#pts.splice(0, this.#pts.length - MAX_PENDING_PTS);
    if (!this.#child.stdin.write(data)) this.#skipping = true;
  }

  /** Units dropped because ffmpeg fell behind. */
  get dropped(): number {
    return this.#dropped;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.stdin.destroy();
    this.#child.kill('SIGKILL');
  }
}
