import {
  bindRequests,
  type ConsumeResult,
  consumeRequestSchema,
  consumerRefSchema,
  MAX_CONSUMERS_PER_TRANSPORT,
  type RevocationReason,
  type StreamProfile,
  type StreamRevocation,
  type StreamTokenClaims,
  streamRefreshSchema,
  type TransportInfo,
  transportConnectSchema,
  type ViewerClientToServerEvents,
  type ViewerServerToClientEvents,
} from '@wall/protocol';
import type { types } from 'mediasoup';
import type { Socket } from 'socket.io';
import type { Ingest, IngestManager } from '../ingest/index.ts';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import { viewerRtpCapabilities } from '../workers/codecs.ts';
import type { PoolSlot } from '../workers/pool.ts';

export type ViewerSocket = Socket<ViewerClientToServerEvents, ViewerServerToClientEvents>;

/** A consumer as the signalling's events describe it. */
export interface ConsumerInfo {
  consumerId: string;
  cameraId: string;
  profile: StreamProfile;
  /** The viewer's socket. */
  socketId: string;
  /** The user of the token it was opened with (`sub`). */
  userId: string;
}

/**
 * Why a consumer ended: the page closed it (`closed`) or went away (`disconnected`), the node is
 * stopping (`node_closed`), its stream broke (`transport_closed`, `stream_stopped`,
 * `source_restarted`), or its right ended (a revocation's reason, or `token_expired`).
 */
export type ConsumerCloseReason =
  | 'closed'
  | 'disconnected'
  | 'node_closed'
  | 'transport_closed'
  | 'stream_stopped'
  | 'source_restarted'
  | RevocationReason;

/** What a viewer needs of the signalling that owns it (shared by every viewer of the node). */
export interface ViewerHost {
  readonly ingests: IngestManager;
  readonly verifyToken: (token: string | undefined) => StreamTokenClaims;
  readonly log: Logger;
  /** The slot for a new transport (fewest transports), or this viewer's. */
  pickSlot(): PoolSlot;
  transportOpened(slot: PoolSlot): void;
  transportClosed(slot: PoolSlot): void;
  /** Makes `producer` (on router `from`) consumable on router `to`: piped once per producer and router. */
  pipe(producer: types.Producer, from: types.Router, to: types.Router): Promise<void>;
  consumerCreated(info: ConsumerInfo): void;
  consumerClosed(info: ConsumerInfo, reason: ConsumerCloseReason): void;
  streamRevoked(info: ConsumerInfo, reason: RevocationReason): void;
  /** The viewer closed (its page went away, or the node is stopping). */
  viewerClosed(viewer: Viewer): void;
}

interface ConsumerEntry {
  consumer: types.Consumer;
  ingest: Ingest;
  info: ConsumerInfo;
  released: boolean;
  /** Whose stream, by which grant: what revocations match. */
  claims: Pick<StreamTokenClaims, 'sub' | 'sid' | 'inc' | 'cam' | 'prof'>;
  /** When the last token presented for it expires (ms since the epoch). */
  expiresAtMs: number;
}

function matches(r: StreamRevocation, e: ConsumerEntry): boolean {
  switch (r.scope) {
    case 'session':
      return e.claims.sid === r.id;
    case 'user':
      return e.claims.sub === r.id;
    case 'camera':
      return e.ingest.cameraId === r.id;
    case 'incident':
      return e.claims.inc === r.id;
  }
}

/**
 * One viewer page: its socket, its receive transport (one per page, on a worker's WebRtcServer) and
 * the consumers on it, created paused and resumed on the client's ack. Owned by the signalling;
 * `close()` closes the consumers, then the transport, then the socket.
 */
export class Viewer {
  readonly socket: ViewerSocket;
  readonly #host: ViewerHost;
  readonly #entries = new Map<string, ConsumerEntry>();
  #transport: types.WebRtcTransport | undefined;
  #slot: PoolSlot | undefined;
  #closed = false;

  constructor(socket: ViewerSocket, host: ViewerHost) {
    this.socket = socket;
    this.#host = host;
    this.#bind();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes every consumer the revocation matches, telling the page why; answers how many. */
  revoke(r: StreamRevocation): number {
    let n = 0;
    for (const [id, entry] of [...this.#entries]) {
      if (!matches(r, entry)) continue;
      this.#revoke(id, entry, r.reason);
      n++;
    }
    return n;
  }

  /** Closes the consumers whose token expired before `deadlineMs` without a fresh one. */
  expire(deadlineMs: number): void {
    for (const [id, entry] of [...this.#entries]) {
      if (entry.expiresAtMs < deadlineMs) this.#revoke(id, entry, 'token_expired');
    }
  }

  /** Closes the consumers (with `reason`), the transport and the socket. Idempotent. */
  close(reason: ConsumerCloseReason = 'node_closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries.values()) {
      entry.consumer.close();
      this.#release(entry, reason);
    }
    this.#entries.clear();
    this.#transport?.close();
    this.#dropTransport();
    this.socket.disconnect(true);
    this.#host.viewerClosed(this);
  }

  #release(entry: ConsumerEntry, reason: ConsumerCloseReason): void {
    if (entry.released) return;
    entry.released = true;
    this.#host.ingests.release(entry.ingest);
    this.#host.consumerClosed(entry.info, reason);
  }

  #interrupt(
    id: string,
    entry: ConsumerEntry,
    reason: 'transport_closed' | 'stream_stopped' | 'source_restarted',
  ) {
    this.#release(entry, reason);
    this.#entries.delete(id);
    this.socket.emit('stream:interrupted', {
      consumerId: id,
      cameraId: entry.ingest.cameraId,
      profile: entry.ingest.profile,
      reason,
    });
  }

  #revoke(id: string, entry: ConsumerEntry, reason: RevocationReason): void {
    if (this.#entries.get(id) !== entry) return;
    this.#entries.delete(id);
    entry.consumer.close();
    this.#release(entry, reason);
    this.#host.log.info({ cameraId: entry.ingest.cameraId, consumerId: id, reason }, 'stream revoked');
    this.socket.emit('stream:revoked', {
      consumerId: id,
      cameraId: entry.ingest.cameraId,
      profile: entry.ingest.profile,
      reason,
    });
    this.#host.streamRevoked(entry.info, reason);
  }

  #dropTransport(): void {
    if (this.#transport && this.#slot) this.#host.transportClosed(this.#slot);
    this.#transport = undefined;
    this.#slot = undefined;
  }

  #entry(consumerId: string): ConsumerEntry {
    const entry = this.#entries.get(consumerId);
    if (!entry) throw new AppError('not_found:consumer', 'no such consumer');
    return entry;
  }

  #bind(): void {
    const host = this.#host;
    const on = bindRequests<ViewerClientToServerEvents>(this.socket, {
      onInternalError: (err, event) => host.log.error({ err, event }, 'signalling request failed'),
    });

    on('router:capabilities', undefined, async () => {
      const s = this.#slot ?? host.pickSlot();
      return { rtpCapabilities: viewerRtpCapabilities(s.router.rtpCapabilities) };
    });

    on('transport:create', undefined, async (): Promise<TransportInfo> => {
      if (!this.#transport) {
        const s = host.pickSlot();
        if (!s.webRtcServer) throw new AppError('internal', 'no WebRTC server on this worker');
        const t = await s.router.createWebRtcTransport({
          webRtcServer: s.webRtcServer,
          enableUdp: true,
          enableTcp: true,
          preferUdp: true,
        });
        this.#transport = t;
        this.#slot = s;
        host.transportOpened(s);
        t.on('routerclose', () => {
          // The worker died: every consumer on this page is gone; the page makes a new transport.
          for (const [id, entry] of [...this.#entries]) this.#interrupt(id, entry, 'transport_closed');
          if (this.#transport === t) this.#dropTransport();
        });
      }
      const transport = this.#transport;
      return {
        id: transport.id,
        iceParameters: transport.iceParameters,
        iceCandidates: transport.iceCandidates,
        dtlsParameters: transport.dtlsParameters,
      };
    });

    on('transport:connect', transportConnectSchema, async (req) => {
      if (!this.#transport) throw new AppError('transport:missing', 'create the transport first');
      await this.#transport.connect({
        dtlsParameters: req.dtlsParameters as unknown as types.DtlsParameters,
      });
      return null;
    });

    on('stream:consume', consumeRequestSchema, async (req): Promise<ConsumeResult> => {
      const claims = host.verifyToken(req.token);
      const transport = this.#transport;
      const slot = this.#slot;
      if (!transport || !slot) throw new AppError('transport:missing', 'create the transport first');
      if (this.#entries.size >= MAX_CONSUMERS_PER_TRANSPORT) {
        throw new AppError('transport:limit', `at most ${MAX_CONSUMERS_PER_TRANSPORT} streams per page`);
      }
      const ingest = host.ingests.get(claims.cam, claims.prof);
      if (!ingest?.producer || !ingest.slot) {
        throw new AppError('stream:not_ingested', 'the camera is not being ingested on this node');
      }
      if (ingest.state === 'offline') throw new AppError('stream:offline', 'the camera is offline');
      const producer = ingest.producer;
      const router = slot.router;
      if (ingest.slot.router !== router) await host.pipe(producer, ingest.slot.router, router);
      const caps = viewerRtpCapabilities(req.rtpCapabilities as unknown as types.RtpCapabilities);
      if (!router.canConsume({ producerId: producer.id, rtpCapabilities: caps })) {
        throw new AppError('stream:unsupported_codec', 'the browser cannot decode this stream');
      }
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities: caps,
        paused: true,
      });
      const entry: ConsumerEntry = {
        consumer,
        ingest,
        info: {
          consumerId: consumer.id,
          cameraId: ingest.cameraId,
          profile: ingest.profile,
          socketId: this.socket.id,
          userId: claims.sub,
        },
        released: false,
        claims: { sub: claims.sub, sid: claims.sid, inc: claims.inc, cam: claims.cam, prof: claims.prof },
        expiresAtMs: claims.exp * 1000,
      };
      this.#entries.set(consumer.id, entry);
      host.ingests.acquire(ingest);
      host.consumerCreated(entry.info);
      await consumer.enableTraceEvent(['keyframe']);
      consumer.on('trace', (t) => {
        if (t.type === 'keyframe') ingest.markConsumerFrame();
      });
      consumer.on('producerclose', () => {
        if (this.#entries.get(consumer.id) === entry)
          this.#interrupt(consumer.id, entry, ingest.closed ? 'stream_stopped' : 'source_restarted');
      });
      consumer.on('transportclose', () => this.#release(entry, 'transport_closed'));
      return {
        consumerId: consumer.id,
        producerId: producer.id,
        cameraId: claims.cam,
        profile: claims.prof,
        kind: 'video',
        rtpParameters: consumer.rtpParameters,
      };
    });

    on('stream:resume', consumerRefSchema, async (req) => {
      const entry = this.#entry(req.consumerId);
      await entry.consumer.resume();
      await entry.consumer.requestKeyFrame();
      return null;
    });

    on('stream:refresh', streamRefreshSchema, async (req) => {
      const entry = this.#entry(req.consumerId);
      const claims = host.verifyToken(req.token);
      const was = entry.claims;
      if (claims.cam !== was.cam)
        throw new AppError('token:camera', 'the stream token is for another camera');
      if (claims.prof !== was.prof)
        throw new AppError('token:profile', 'the stream token is for another profile');
      if (claims.sub !== was.sub || claims.sid !== was.sid) {
        throw new AppError('token:camera', 'the stream token is for another viewer');
      }
      entry.claims = { ...was, inc: claims.inc };
      entry.expiresAtMs = Math.max(entry.expiresAtMs, claims.exp * 1000);
      return { expiresAt: Math.floor(entry.expiresAtMs / 1000) };
    });

    on('stream:close', consumerRefSchema, async (req) => {
      const entry = this.#entry(req.consumerId);
      this.#entries.delete(req.consumerId);
      entry.consumer.close();
      this.#release(entry, 'closed');
      return null;
    });

    this.socket.on('disconnect', () => this.close('disconnected'));
  }
}
