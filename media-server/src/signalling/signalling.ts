import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import {
  AppError,
  errorBodyFor,
  type RevocationReason,
  type StreamRevocation,
  type StreamTokenClaims,
  VIEWER_NAMESPACE,
  type ViewerClientToServerEvents,
  type ViewerServerToClientEvents,
} from '@wall/protocol';
import { Server } from 'socket.io';
import type { IngestManager } from '../ingest/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { PoolSlot, WorkerPool } from '../workers/pool.ts';
import {
  type ConsumerCloseReason,
  type ConsumerInfo,
  Viewer,
  type ViewerHost,
  type ViewerSocket,
} from './viewer.ts';

export interface SignallingOptions {
  httpServer: HttpServer;
  pool: WorkerPool;
  ingests: IngestManager;
  verifyToken: (token: string | undefined) => StreamTokenClaims;
  origins: readonly string[];
  logger: Logger;
  /**
   * A consumer whose token expired this long ago without a fresh one (`stream:refresh`) is closed
   * with `token_expired`, so a node that missed a revocation still stops within one token lifetime.
   */
  expiryGraceMs?: number;
}

export interface SignallingEvents {
  /** A viewer consumes a stream (created paused, resumed on the page's ack). */
  'consumer:created': [info: ConsumerInfo];
  /** A consumer ended, for whatever reason (a revocation's too: `stream:revoked` follows it). */
  'consumer:closed': [info: ConsumerInfo, reason: ConsumerCloseReason];
  /** A consumer was closed because the right to its stream ended; its page was told why. */
  'stream:revoked': [info: ConsumerInfo, reason: RevocationReason];
}

/**
 * Viewer signalling (socket.io `/viewer`): one {@link Viewer} per page, with one receive transport on
 * a worker's WebRtcServer and its consumers. Every consume presents a stream token for that camera
 * and profile; the handshake needs one too (any valid for this node). Tokens that expired more than
 * `expiryGraceMs` ago without a fresh one end their consumers (`token_expired`).
 */
export class Signalling extends EventEmitter<SignallingEvents> {
  readonly #io: Server<ViewerClientToServerEvents, ViewerServerToClientEvents>;
  readonly #viewers = new Set<Viewer>();
  readonly #sweep: NodeJS.Timeout;
  /** Producers piped into other routers: `${producerId}>${routerId}`. */
  readonly #piped = new Map<string, Promise<void>>();
  readonly #transportsPerWorker = new Map<number, number>();
  #consumers = 0;
  #closing: Promise<void> | undefined;

  constructor(o: SignallingOptions) {
    super();
    const log = o.logger.child({ feature: 'signalling' });
    this.#io = new Server<ViewerClientToServerEvents, ViewerServerToClientEvents>(o.httpServer, {
      cors: { origin: [...o.origins], credentials: false },
      serveClient: false,
      maxHttpBufferSize: 256 * 1024,
    });
    const nsp = this.#io.of(VIEWER_NAMESPACE);
    // Only the viewer namespace serves anyone: the root namespace refuses every connection.
    this.#io.of('/').use((_socket, next) => {
      const out = new Error('forbidden:origin') as Error & { data: unknown };
      out.data = { code: 'not_found:route', message: 'connect to the viewer namespace with a stream token' };
      next(out);
    });
    const graceMs = o.expiryGraceMs ?? 2000;
    this.#sweep = setInterval(() => {
      const deadline = Date.now() - graceMs;
      for (const viewer of this.#viewers) viewer.expire(deadline);
    }, 500);
    this.#sweep.unref();

    nsp.use((socket, next) => {
      try {
        const token = (socket.handshake.auth as { token?: unknown }).token;
        o.verifyToken(typeof token === 'string' ? token : undefined);
        next();
      } catch (err) {
        if (!(err instanceof AppError)) log.error({ err }, 'signalling handshake failed');
        const e = errorBodyFor(err);
        const out = new Error(e.code) as Error & { data: unknown };
        out.data = e;
        next(out);
      }
    });

    const host = this.#host(o, log);
    nsp.on('connection', (socket: ViewerSocket) => {
      if (this.#closing) return void socket.disconnect(true);
      this.#viewers.add(new Viewer(socket, host));
    });
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  consumerCount(): number {
    return this.#consumers;
  }

  /** Closes every consumer the revocation matches, telling its page why; answers how many. */
  revoke(r: StreamRevocation): number {
    let n = 0;
    for (const viewer of this.#viewers) n += viewer.revoke(r);
    return n;
  }

  /** Closes every viewer (consumers, transport, socket), then the socket.io server. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweep);
      for (const viewer of [...this.#viewers]) viewer.close('node_closed');
      await new Promise<void>((r) => this.#io.close(() => r()));
    })();
    return this.#closing;
  }

  /** What the viewers share: placement by transports per worker, piped producers, the events. */
  #host(o: SignallingOptions, log: Logger): ViewerHost {
    const perWorker = this.#transportsPerWorker;
    const piped = this.#piped;
    return {
      ingests: o.ingests,
      verifyToken: o.verifyToken,
      log,
      pickSlot: (): PoolSlot => o.pool.pick((x) => perWorker.get(x.index) ?? 0),
      transportOpened: (slot) => perWorker.set(slot.index, (perWorker.get(slot.index) ?? 0) + 1),
      transportClosed: (slot) => perWorker.set(slot.index, (perWorker.get(slot.index) ?? 1) - 1),
      pipe: async (producer, from, to) => {
        const key = `${producer.id}>${to.id}`;
        let p = piped.get(key);
        if (!p) {
          p = from.pipeToRouter({ producerId: producer.id, router: to }).then(() => undefined);
          piped.set(key, p);
          producer.observer.once('close', () => piped.delete(key));
          p.catch(() => piped.delete(key));
        }
        await p.catch(() => {
          // The producer closed between the lookup and the pipe (it is moving to another worker).
          throw new AppError('unavailable:dependency', 'the stream is moving to another worker: try again');
        });
      },
      consumerCreated: (info) => {
        this.#consumers++;
        this.emit('consumer:created', info);
      },
      consumerClosed: (info, reason) => {
        this.#consumers--;
        this.emit('consumer:closed', info, reason);
      },
      streamRevoked: (info, reason) => this.emit('stream:revoked', info, reason),
      viewerClosed: (viewer) => this.#viewers.delete(viewer),
    };
  }
}
