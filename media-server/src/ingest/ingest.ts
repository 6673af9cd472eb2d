import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { IngestSource, StreamProfile, StreamState, StreamStatus } from '@wall/protocol';
import type { types } from 'mediasoup';
import type { Logger } from '../lib/logger.ts';
import type { PoolSlot, WorkerPool } from '../workers/pool.ts';
import { depacketizeH264 } from './depacketize.ts';
import { RtpRelay } from './relay.ts';
import { isRtcp, parseRtp } from './rtp.ts';
import type { FeedContext, IngestSteps, SourceFeed, StartupStep } from './source.ts';

export const PAYLOAD_TYPE = 96;

/** The codec of the RTP packets an ingest's taps receive. */
export type TapCodec = 'h264' | 'h265';
export type IngestTap = (packet: Buffer, codec: TapCodec) => void;
const STALL_AFTER_MS = 3000;

export interface IngestOptions {
  cameraId: string;
  profile: StreamProfile;
  /** Makes the source's feed (the manager binds the source to its kind's adapter). */
  createFeed: (ctx: FeedContext) => SourceFeed;
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
  /** The source should send a key frame now (a viewer joined); the gateway asks the device. */
  'keyframe:request': [];
  closed: [];
}

/**
 * One camera profile being ingested: a source feed (ffmpeg for RTSP, the PS-over-RTP receiver for
 * GB/T 28181) → the node's RTP relay (which keeps the current GOP and measures the stream) → a
 * mediasoup PlainTransport → a producer. The producer moves to another worker when its worker dies;
 * the feed keeps running.
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
  readonly #feed: SourceFeed;
  #state: StreamState = 'starting';
  #reason: string | undefined;
  #restarts = 0;
  #slot: PoolSlot | undefined;
  #transport: types.PlainTransport | undefined;
  #producer: types.Producer | undefined;
  #relay: RtpRelay | undefined;
  #tick: NodeJS.Timeout | undefined;
  #lastPackets = 0;
  #lastPacketAt = 0;
  #closed = false;
  #snapshot: { at: number; jpeg: Buffer } | undefined;
  readonly #taps = new Set<IngestTap>();
  /** The camera's own RTP, when the relay carries a transcode of it (see `openSourceRtp`). */
  #sourceRtp:
    | { socket: Socket; codec: TapCodec; address: Promise<{ host: string; port: number }> }
    | undefined;
  /** Set while the taps receive the camera's own stream rather than the relay's transcode. */
  #sourceCodec: TapCodec | undefined;
  viewers = 0;
  /** Holders other than viewers (recorders): they keep the ingest from idling out, and are not viewers. */
  holders = 0;

  constructor(options: IngestOptions) {
    super();
    this.#o = options;
    this.cameraId = options.cameraId;
    this.profile = options.profile;
    this.key = `${options.cameraId}:${options.profile}`;
    this.#log = options.logger.child({ cameraId: options.cameraId, profile: options.profile });
    this.#feed = options.createFeed(this.#context());
  }

  #context(): FeedContext {
    return {
      cameraId: this.cameraId,
      profile: this.profile,
      log: this.#log,
      ssrc: this.#ssrc,
      payloadType: PAYLOAD_TYPE,
      relayAddress: () => ({ host: this.#o.relayHost, port: this.#relay?.port ?? 0 }),
      ingestRtp: (packet) => this.#relay?.ingest(packet),
      openSourceRtp: (codec) => this.#openSourceRtp(codec),
      ingestSourceRtp: (packet, codec) => this.#tapSource(packet, codec),
      endSourceRtp: () => {
        this.#sourceCodec = undefined;
      },
      mark: (step, at, overwrite) => this.#mark(step, at, overwrite),
      stepAt: (step) => this.#timeline[step],
      state: () => this.#state,
      setState: (state, reason) => this.#setState(state, reason),
      restarted: () => {
        this.#restarts++;
      },
      changed: () => this.#publish(),
      requestKeyFrame: () => {
        if (!this.#closed) this.emit('keyframe:request');
      },
    };
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

  /** Whether this ingest serves `source` too (same camera source): else the manager starts over. */
  adopt(source: IngestSource): boolean {
    return this.#feed.adopt(source);
  }

  /** Creates the relay and producer on a worker, then starts the source's feed. */
  async start(): Promise<void> {
    this.#relay = await RtpRelay.create({
      bindHost: this.#o.relayHost,
      forwardTo: { host: '127.0.0.1', port: 9 },
    });
    this.#relay.tap((packet) => {
      if (this.#sourceCodec) return; // the taps get the camera's own stream instead of the transcode
      for (const tap of this.#taps) tap(packet, 'h264');
    });
    this.#relay.on('packet:first', () => this.#mark(this.#feed.relayFirstPacket));
    this.#relay.on('keyframe', () => {
      this.#mark('first_keyframe');
      this.#goLive();
    });
    await this.#attachToWorker();
    this.#tick = setInterval(() => this.#onTick(), 1000);
    await this.#feed.start();
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

  /** Called by the manager when this ingest's worker died: move to another one, keep the feed. */
  async recover(): Promise<void> {
    if (this.#closed) return;
    this.#transport = undefined;
    this.#producer = undefined;
    this.#restarts++;
    await this.#attachToWorker();
    this.#publish();
  }

  /**
   * Binds the socket for the camera's own RTP (once; later calls answer the same address). From
   * then on the taps receive its packets, and no longer the relay's (a transcode): recorders keep
   * the camera's bitstream while viewers get the H.264 the relay carries — one source connection.
   */
  #openSourceRtp(codec: TapCodec): Promise<{ host: string; port: number }> {
    if (this.#sourceRtp) return this.#sourceRtp.address;
    const socket = createSocket('udp4');
    const address = new Promise<{ host: string; port: number }>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.#o.relayHost, () => {
        socket.off('error', reject);
        resolve({ host: this.#o.relayHost, port: socket.address().port });
      });
    });
    socket.on('error', (err) => this.#log.warn({ err: err.message }, 'source RTP socket error'));
    socket.on('message', (packet) => {
      if (!isRtcp(packet)) this.#tapSource(packet, codec);
    });
    this.#sourceRtp = { socket, codec, address };
    this.#sourceCodec = codec;
    this.#log.info({ codec }, 'taps receive the source stream');
    return address;
  }

  #tapSource(packet: Buffer, codec: TapCodec): void {
    if (this.#closed) return;
    this.#sourceCodec = codec;
    for (const tap of this.#taps) tap(packet, codec);
  }

  /**
   * Calls `listener` with every RTP packet of the stream as the camera sends it (never to be changed
   * or kept beyond its use): the relay's H.264, or the source's own stream when the relay carries a
   * transcode (H.265 RTSP cameras). Returns the function that removes it; closing removes all.
   */
  tap(listener: IngestTap): () => void {
    if (this.#closed) return () => undefined;
    this.#taps.add(listener);
    return () => this.#taps.delete(listener);
  }

  /** A viewer started consuming (the manager counts it). */
  viewerJoined(): void {
    if (!this.#closed) this.#feed.viewerJoined();
  }

  /** Signalling steps reported by the gateway (GB/T 28181); throws for sources without any. */
  recordSteps(steps: IngestSteps): void {
    this.#feed.steps(steps);
  }

  #onTick(): void {
    if (!this.#relay) return;
    const { packets } = this.#relay.stats();
    const now = Date.now();
    if (packets !== this.#lastPackets) {
      this.#lastPackets = packets;
      this.#lastPacketAt = now;
      if (this.#state === 'stalled' || (this.#state === 'offline' && this.#timeline.first_keyframe)) {
        this.#goLive();
      }
    } else if (this.#state === 'live' && now - this.#lastPacketAt > STALL_AFTER_MS) {
      this.#setState('stalled', 'no_media');
    }
    this.#publish();
  }

  #goLive(): void {
    if (this.#state === 'live') return;
    this.#feed.live();
    this.#setState('live');
  }

  #mark(step: StartupStep, at = Date.now(), overwrite = false): void {
    if (this.#timeline[step] === undefined || (overwrite && this.#timeline[step] !== at)) {
      this.#timeline[step] = at;
      this.#publish();
    }
  }

  /** The first frame reached a viewer (first consumer key frame). */
  markConsumerFrame(): void {
    this.#mark('first_consumer_frame');
  }

  #setState(state: StreamState, reason?: string): void {
    if (this.#state === state && this.#reason === reason) return;
    this.#state = state;
    this.#reason = reason;
    this.#log.info({ state, reason }, 'stream state');
    this.#publish();
  }

  #publish(): void {
    if (!this.#closed) this.emit('status', this.status());
  }

  /** The stream's status; once closed: offline, reason `stopped`. */
  status(): StreamStatus {
    const s = this.#relay?.stats();
    const f = this.#feed.status();
    return {
      cameraId: this.cameraId,
      profile: this.profile,
      node: this.#o.nodeId,
      state: this.#state,
      ...(this.#reason ? { reason: this.#reason } : {}),
      ...(f.codec ? { codec: f.codec } : {}),
      transcoded: f.transcoded,
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
      ...(f.gbMedia ? { gbMedia: f.gbMedia } : {}),
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
    this.#taps.clear();
    clearInterval(this.#tick);
    this.#feed.close();
    this.#transport?.close();
    this.#relay?.close();
    this.#sourceRtp?.socket.close();
    this.#state = 'offline';
    this.#reason = 'stopped';
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
