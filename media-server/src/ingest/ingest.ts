import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { RtspSource, StreamProfile, StreamState, StreamStatus } from '@wall/protocol';
import type { types } from 'mediasoup';
import type { Logger } from '../lib/logger.ts';
import type { PoolSlot, WorkerPool } from '../workers/pool.ts';
import { depacketizeH264 } from './depacketize.ts';
import { failureReason, ffmpegIngestArgs, redactCredentials, videoCodecOf } from './ffmpeg-args.ts';
import { RtpRelay } from './relay.ts';
import { parseRtp } from './rtp.ts';

export const PAYLOAD_TYPE = 96;
const STALL_AFTER_MS = 3000;
const MAX_BACKOFF_MS = 30_000;

export interface IngestOptions {
  cameraId: string;
  profile: StreamProfile;
  source: RtspSource;
  nodeId: string;
  pool: WorkerPool;
  logger: Logger;
  relayHost: string;
  /** The weight used to pick a worker (streams already on it). */
  workerWeight: (slot: PoolSlot) => number;
}

export interface IngestEvents {
  /** A new producer replaced the previous one (worker death): consumers must be recreated. */
  'producer:replaced': [previous: string | undefined];
  status: [status: StreamStatus];
  closed: [];
}

/**
 * One camera profile being pulled: ffmpeg → the node's RTP relay (which keeps the current GOP and
 * measures the stream) → a mediasoup PlainTransport → a producer. The ffmpeg process is restarted
 * with backoff when the source fails; the producer moves to another worker when its worker dies.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  readonly cameraId: string;
  readonly profile: StreamProfile;
  readonly key: string;
  readonly #o: IngestOptions;
  readonly #log: Logger;
  readonly #ssrc = randomInt(1, 2 ** 31);
  readonly #startedAt = Date.now();
  readonly #timeline: StreamStatus['timeline'] = {};
  #source: RtspSource;
  #state: StreamState = 'starting';
  #reason: string | undefined;
  #codec: string | undefined;
  #transcode = false;
  #restarts = 0;
  #failures = 0;
  #slot: PoolSlot | undefined;
  #transport: types.PlainTransport | undefined;
  #producer: types.Producer | undefined;
  #relay: RtpRelay | undefined;
  #ffmpeg: ChildProcess | undefined;
  #retry: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  #lastPackets = 0;
  #lastPacketAt = 0;
  #closed = false;
  #snapshot: { at: number; jpeg: Buffer } | undefined;
  viewers = 0;

  constructor(options: IngestOptions) {
    super();
    this.#o = options;
    this.cameraId = options.cameraId;
    this.profile = options.profile;
    this.key = `${options.cameraId}:${options.profile}`;
    this.#source = options.source;
    this.#log = options.logger.child({ cameraId: options.cameraId, profile: options.profile });
  }

  get producer(): types.Producer | undefined {
    return this.#producer;
  }

  get slot(): PoolSlot | undefined {
    return this.#slot;
  }

  get state(): StreamState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get sourceUrl(): string {
    return this.#source.url;
  }

  /** Creates the relay and producer on a worker, then starts pulling the source. */
  async start(): Promise<void> {
    this.#relay = await RtpRelay.create({
      bindHost: this.#o.relayHost,
      forwardTo: { host: '127.0.0.1', port: 9 },
    });
    this.#relay.on('packet:first', () => this.#mark('first_rtp'));
    this.#relay.on('keyframe', () => {
      this.#mark('first_keyframe');
      if (this.#state !== 'live') this.#setState('live');
    });
    await this.#attachToWorker();
    this.#tick = setInterval(() => this.#onTick(), 1000);
    this.#spawn();
  }

  /** Puts the producer on a live worker (at start, and again after its worker died). */
  async #attachToWorker(): Promise<void> {
    const previous = this.#producer?.id;
    const slot = this.#o.pool.pick(this.#o.workerWeight);
    const transport = await slot.router.createPlainTransport({
      listenIp: '127.0.0.1',
      rtcpMux: true,
      comedia: true,
    });
    const producer = await transport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: PAYLOAD_TYPE,
            clockRate: 90000,
            parameters: {
              'packetization-mode': 1,
              'profile-level-id': '42e01f',
              'level-asymmetry-allowed': 1,
            },
            rtcpFeedback: [
              { type: 'nack' },
              { type: 'nack', parameter: 'pli' },
              { type: 'ccm', parameter: 'fir' },
            ],
          },
        ],
        encodings: [{ ssrc: this.#ssrc }],
      },
      appData: { cameraId: this.cameraId, profile: this.profile },
    });
    if (this.#closed) {
      transport.close();
      return;
    }
    this.#slot = slot;
    this.#transport = transport;
    this.#producer = producer;
    this.#relay?.setForwardTo({ host: '127.0.0.1', port: transport.tuple.localPort });
    this.#log.info({ worker: slot.index, producerId: producer.id }, 'producer ready');
    if (previous) this.emit('producer:replaced', previous);
  }

  /** Called by the manager when this ingest's worker died: move to another one, keep ffmpeg. */
  async recover(): Promise<void> {
    if (this.#closed) return;
    this.#transport = undefined;
    this.#producer = undefined;
    this.#restarts++;
    await this.#attachToWorker();
    this.#publish();
  }

  #spawn(): void {
    if (this.#closed || !this.#relay) return;
    const args = ffmpegIngestArgs({
      source: this.#source,
      relayHost: this.#o.relayHost,
      relayPort: this.#relay.port,
      ssrc: this.#ssrc,
      payloadType: PAYLOAD_TYPE,
      transcode: this.#transcode,
    });
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#ffmpeg = child;
    this.#mark('ingest_spawned');
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
            this.#log.warn({ codec }, 'source is not H.264: transcoding');
            this.#transcode = true;
            child.kill('SIGKILL');
          }
        }
      }
    });
    child.on('error', (err) => this.#log.error({ err: err.message }, 'ffmpeg could not start'));
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
      this.#reason = reason;
      this.#setState('offline');
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.#failures - 1, 5));
      this.#log.warn(
        { reason, code, signal, retryInMs: delay, stderr: redactCredentials(tail.slice(-400)) },
        'source failed',
      );
      this.#retry = setTimeout(() => {
        this.#restarts++;
        this.#spawn();
      }, delay);
    });
  }

  #onTick(): void {
    if (!this.#relay) return;
    const { packets } = this.#relay.stats();
    const now = Date.now();
    if (packets !== this.#lastPackets) {
      this.#lastPackets = packets;
      this.#lastPacketAt = now;
      if (this.#state === 'stalled' || (this.#state === 'offline' && this.#timeline.first_keyframe)) {
        this.#reason = undefined;
        this.#failures = 0;
        this.#setState('live');
      }
    } else if (this.#state === 'live' && now - this.#lastPacketAt > STALL_AFTER_MS) {
      this.#reason = 'no_media';
      this.#setState('stalled');
    }
    this.#publish();
  }

  #mark(step: keyof StreamStatus['timeline']): void {
    if (this.#timeline[step] === undefined) {
      this.#timeline[step] = Date.now();
      this.#publish();
    }
  }

  /** The first frame reached a viewer (first consumer key frame). */
  markConsumerFrame(): void {
    this.#mark('first_consumer_frame');
  }

  #setState(state: StreamState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#log.info({ state, reason: this.#reason }, 'stream state');
    this.#publish();
  }

  #publish(): void {
    if (!this.#closed) this.emit('status', this.status());
  }

  status(): StreamStatus {
    const s = this.#relay?.stats();
    return {
      cameraId: this.cameraId,
      profile: this.profile,
      node: this.#o.nodeId,
      state: this.#state,
      ...(this.#reason ? { reason: this.#reason } : {}),
      ...(this.#codec ? { codec: this.#codec } : {}),
      transcoded: this.#transcode,
      bitrateKbps: Math.round(s?.bitrateKbps ?? 0),
      fps: Math.round((s?.fps ?? 0) * 10) / 10,
      ...(s?.width ? { width: s.width, height: s.height } : {}),
      ...(s?.lastKeyFrameAt !== undefined
        ? { lastKeyFrameAt: Math.round(performance.timeOrigin + s.lastKeyFrameAt) }
        : {}),
      viewers: this.viewers,
      startedAt: this.#startedAt,
      timeline: { ...this.#timeline },
      restarts: this.#restarts,
    };
  }

  /** A JPEG of the current GOP's key frame (decoded by ffmpeg), cached until the next key frame. */
  async snapshot(): Promise<Buffer | undefined> {
    const relay = this.#relay;
    if (!relay) return undefined;
    const keyAt = relay.stats().lastKeyFrameAt ?? 0;
    if (this.#snapshot && this.#snapshot.at === keyAt) return this.#snapshot.jpeg;
    const gop = relay.gop();
    const payloads: Buffer[] = [];
    for (const pkt of gop) {
      const rtp = parseRtp(pkt);
      if (!rtp) continue;
      payloads.push(rtp.payload);
      if (rtp.marker) break; // the key frame's access unit is complete
    }
    if (payloads.length === 0) return undefined;
    const jpeg = await decodeToJpeg(depacketizeH264(payloads));
    if (jpeg) this.#snapshot = { at: keyAt, jpeg };
    return jpeg;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#tick);
    this.#ffmpeg?.kill('SIGKILL');
    this.#ffmpeg = undefined;
    this.#transport?.close();
    this.#relay?.close();
    this.#log.info('ingest stopped');
    this.emit('closed');
  }
}

function decodeToJpeg(annexB: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'h264',
        '-i',
        'pipe:0',
        '-frames:v',
        '1',
        '-q:v',
        '4',
        '-f',
        'mjpeg',
        'pipe:1',
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(chunks);
      resolve(code === 0 && jpeg.length > 0 ? jpeg : undefined);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(annexB);
  });
}
