import { type ChildProcess, spawn } from 'node:child_process';
import type { IngestSource, RtspSource } from '@wall/protocol';
import { AppError } from '../../lib/app-error.ts';
import {
  checkSourceUrl,
  failureReason,
  ffmpegIngestArgs,
  redactCredentials,
  videoCodecOf,
} from '../ffmpeg-args.ts';
import type { FeedContext, FeedStatus, SourceAdapter, SourceFeed } from '../source.ts';

const MAX_BACKOFF_MS = 30_000;

/** RTSP cameras and NVRs: ffmpeg pulls the source and sends its video as RTP to the relay. */
export function rtspSource(): SourceAdapter<RtspSource> {
  return {
    check(source) {
      if (checkSourceUrl(source.url) !== 'ok') {
        throw new AppError('invalid:source_url', 'the source URL is not a valid rtsp:// URL');
      }
    },
    create: (source, ctx) => new RtspFeed(source, ctx),
  };
}

/**
 * ffmpeg (`-c copy`, or a transcode when the source is not H.264) → the relay's UDP socket. A failed
 * ffmpeg is classified (`rtsp:401`, `unreachable`, …), reported offline and restarted with backoff.
 */
class RtspFeed implements SourceFeed {
  readonly relayFirstPacket = 'first_rtp' as const;
  readonly #source: RtspSource;
  readonly #ctx: FeedContext;
  #codec: string | undefined;
  #transcode = false;
  /** Where the camera's own H.265 goes beside the transcode (for the recorder); null: not available. */
  #sourceCopy: { host: string; port: number } | null | undefined;
  #failures = 0;
  #ffmpeg: ChildProcess | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(source: RtspSource, ctx: FeedContext) {
    this.#source = source;
    this.#ctx = ctx;
  }

  async start(): Promise<void> {
    this.#spawn();
  }

  adopt(source: IngestSource): boolean {
    return source.kind === 'rtsp' && source.url === this.#source.url;
  }

  status(): FeedStatus {
    return { ...(this.#codec ? { codec: this.#codec } : {}), transcoded: this.#transcode };
  }

  viewerJoined(): void {
    // ffmpeg copies the camera's stream: there is nobody to ask for a key frame.
  }

  steps(): void {
    throw new AppError('invalid:request', 'signalling steps exist for GB/T 28181 ingests only');
  }

  live(): void {
    this.#failures = 0;
  }

  #spawn(): void {
    if (this.#closed) return;
    const ctx = this.#ctx;
    if (this.#transcode && this.#codec === 'hevc' && this.#sourceCopy === undefined) {
      // The recorder keeps the camera's H.265: the same ffmpeg copies it to the ingest's source socket.
      ctx.openSourceRtp('h265').then(
        (address) => {
          this.#sourceCopy = address;
          this.#spawn();
        },
        (err: Error) => {
          ctx.log.warn({ err: err.message }, 'source RTP socket not bound: H.265 not recordable');
          this.#sourceCopy = null;
          this.#spawn();
        },
      );
      return;
    }
    const relay = ctx.relayAddress();
    const args = ffmpegIngestArgs({
      source: this.#source,
      relayHost: relay.host,
      relayPort: relay.port,
      ssrc: ctx.ssrc,
      payloadType: ctx.payloadType,
      transcode: this.#transcode,
      ...(this.#sourceCopy ? { sourceCopy: this.#sourceCopy } : {}),
    });
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#ffmpeg = child;
    ctx.mark('ingest_spawned');
    let tail = '';
    let codecChecked = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-8192);
      if (!codecChecked) {
        const codec = videoCodecOf(tail);
        if (codec) {
          codecChecked = true;
          this.#codec = codec;
          if (codec !== 'h264' && !this.#transcode) {
            // The wall plays H.264: restart with a transcode (reported in the status).
            ctx.log.warn({ codec }, 'source is not H.264: transcoding');
            this.#transcode = true;
            child.kill('SIGKILL');
          }
        }
      }
    });
    child.on('error', (err) => ctx.log.error({ err: err.message }, 'ffmpeg could not start'));
    child.on('exit', (code, signal) => {
      if (this.#ffmpeg !== child) return;
      this.#ffmpeg = undefined;
      if (this.#closed) return;
      if (this.#transcode && signal === 'SIGKILL' && this.#codec !== 'h264' && this.#failures === 0) {
        this.#spawn();
        return;
      }
      this.#failures++;
      const reason = failureReason(tail, code);
      ctx.setState('offline', reason);
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.#failures - 1, 5));
      ctx.log.warn(
        { reason, code, signal, retryInMs: delay, stderr: redactCredentials(tail.slice(-400)) },
        'source failed',
      );
      this.#retry = setTimeout(() => {
        ctx.restarted();
        this.#spawn();
      }, delay);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#ffmpeg?.kill('SIGKILL');
    this.#ffmpeg = undefined;
  }
}
