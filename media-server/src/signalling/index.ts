import type { Server as HttpServer } from 'node:http';
import {
  type Ack,
  type ConsumeResult,
  channelsOf,
  consumeRequestSchema,
  consumerRefSchema,
  type ErrorCode,
  MAX_CONSUMERS_PER_TRANSPORT,
  type RevocationReason,
  type StreamRevocation,
  type StreamTokenClaims,
  streamRefreshSchema,
  streamRevocationSchema,
  type TransportInfo,
  transportConnectSchema,
  VIEWER_NAMESPACE,
  type ViewerClientToServerEvents,
  type ViewerServerToClientEvents,
} from '@wall/protocol';
import type { Redis } from 'ioredis';
import type { types } from 'mediasoup';
import { Server, type Socket } from 'socket.io';
import type { z } from 'zod';
import type { Ingest, IngestManager } from '../ingest/index.ts';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import { viewerRtpCapabilities } from '../workers/codecs.ts';
import type { PoolSlot, WorkerPool } from '../workers/pool.ts';

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

interface ConsumerEntry {
  consumer: types.Consumer;
  ingest: Ingest;
  released: boolean;
  /** Whose stream, by which grant: what revocations match. */
  claims: Pick<StreamTokenClaims, 'sub' | 'sid' | 'inc' | 'cam' | 'prof'>;
  /** When the last token presented for it expires (ms since the epoch). */
  expiresAtMs: number;
}

/** One viewer socket as revocations and the expiry sweep see it. */
interface ViewerContext {
  entries: Map<string, ConsumerEntry>;
  revoke(id: string, entry: ConsumerEntry, reason: RevocationReason): void;
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

type ViewerSocket = Socket<ViewerClientToServerEvents, ViewerServerToClientEvents>;

export interface Signalling {
  consumerCount(): number;
  /** Closes every consumer the revocation matches, telling its page why; answers how many. */
  revoke(r: StreamRevocation): number;
  close(): Promise<void>;
}

function toError(err: unknown, log: Logger): { code: ErrorCode; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  log.error({ err }, 'signalling request failed');
  return { code: 'internal', message: 'internal error' };
}

/**
 * Viewer signalling (socket.io `/viewer`): one receive transport per page on a worker's
 * WebRtcServer, consumers created paused and resumed on the client's ack. Every consume presents a
 * stream token for that camera and profile; the handshake needs one too (any valid for this node).
 */
export function attachSignalling(o: SignallingOptions): Signalling {
  const io = new Server<ViewerClientToServerEvents, ViewerServerToClientEvents>(o.httpServer, {
    cors: { origin: [...o.origins], credentials: false },
    serveClient: false,
    maxHttpBufferSize: 256 * 1024,
  });
  const nsp = io.of(VIEWER_NAMESPACE);
  const log = o.logger.child({ feature: 'signalling' });
  // Only the viewer namespace serves anyone: the root namespace refuses every connection.
  io.of('/').use((_socket, next) => {
    const out = new Error('forbidden:origin') as Error & { data: unknown };
    out.data = { code: 'not_found:route', message: 'connect to the viewer namespace with a stream token' };
    next(out);
  });
  const contexts = new Set<ViewerContext>();
  const graceMs = o.expiryGraceMs ?? 2000;
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const ctx of contexts) {
      for (const [id, entry] of [...ctx.entries]) {
        if (entry.expiresAtMs + graceMs < now) ctx.revoke(id, entry, 'token_expired');
      }
    }
  }, 500);
  sweep.unref();
  /** Producers piped into other routers: `${producerId}>${routerId}`. */
  const piped = new Map<string, Promise<void>>();
  const transportsPerWorker = new Map<number, number>();
  let consumers = 0;

  nsp.use((socket, next) => {
    try {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      o.verifyToken(typeof token === 'string' ? token : undefined);
      next();
    } catch (err) {
      const e = toError(err, log);
      const out = new Error(e.code) as Error & { data: unknown };
      out.data = e;
      next(out);
    }
  });

  nsp.on('connection', (socket: ViewerSocket) => {
    let transport: types.WebRtcTransport | undefined;
    let slot: PoolSlot | undefined;
    const entries = new Map<string, ConsumerEntry>();

    function handle<Req, Res>(
      schema: z.ZodType<Req> | undefined,
      fn: (req: Req) => Promise<Res>,
    ): (...args: unknown[]) => void {
      return (...args: unknown[]) => {
        const ack = args.at(-1);
        if (typeof ack !== 'function') return;
        const reply = ack as (res: Ack<Res>) => void;
        const parsed = schema
          ? schema.safeParse(args[0])
          : { success: true as const, data: undefined as Req };
        if (!parsed.success) {
          reply({
            ok: false,
            error: { code: 'invalid:request', message: 'the request does not match its schema' },
          });
          return;
        }
        fn(parsed.data).then(
          (data) => reply({ ok: true, data }),
          (err: unknown) => reply({ ok: false, error: toError(err, log) }),
        );
      };
    }

    function release(entry: ConsumerEntry): void {
      if (entry.released) return;
      entry.released = true;
      consumers--;
      o.ingests.release(entry.ingest);
    }

    function interrupt(id: string, entry: ConsumerEntry, reason: string): void {
      release(entry);
      entries.delete(id);
      socket.emit('stream:interrupted', {
        consumerId: id,
        cameraId: entry.ingest.cameraId,
        profile: entry.ingest.profile,
        reason,
      });
    }

    function revoke(id: string, entry: ConsumerEntry, reason: RevocationReason): void {
      if (entries.get(id) !== entry) return;
      entries.delete(id);
      entry.consumer.close();
      release(entry);
      log.info({ cameraId: entry.ingest.cameraId, consumerId: id, reason }, 'stream revoked');
      socket.emit('stream:revoked', {
        consumerId: id,
        cameraId: entry.ingest.cameraId,
        profile: entry.ingest.profile,
        reason,
      });
    }
    const context: ViewerContext = { entries, revoke };
    contexts.add(context);

    function dropTransport(): void {
      if (transport && slot)
        transportsPerWorker.set(slot.index, (transportsPerWorker.get(slot.index) ?? 1) - 1);
      transport = undefined;
      slot = undefined;
    }

    socket.on(
      'router:capabilities',
      handle(undefined, async () => {
        const s = slot ?? o.pool.pick((x) => transportsPerWorker.get(x.index) ?? 0);
        return { rtpCapabilities: viewerRtpCapabilities(s.router.rtpCapabilities) };
      }),
    );

    socket.on(
      'transport:create',
      handle(undefined, async (): Promise<TransportInfo> => {
        if (!transport) {
          const s = o.pool.pick((x) => transportsPerWorker.get(x.index) ?? 0);
          if (!s.webRtcServer) throw new AppError('internal', 'no WebRTC server on this worker');
          const t = await s.router.createWebRtcTransport({
            webRtcServer: s.webRtcServer,
            enableUdp: true,
            enableTcp: true,
            preferUdp: true,
          });
          transport = t;
          slot = s;
          transportsPerWorker.set(s.index, (transportsPerWorker.get(s.index) ?? 0) + 1);
          t.on('routerclose', () => {
            // The worker died: every consumer on this page is gone; the page makes a new transport.
            for (const [id, entry] of [...entries]) interrupt(id, entry, 'transport_closed');
            if (transport === t) dropTransport();
          });
        }
        return {
          id: transport.id,
          iceParameters: transport.iceParameters,
          iceCandidates: transport.iceCandidates,
          dtlsParameters: transport.dtlsParameters,
        };
      }),
    );

    socket.on(
      'transport:connect',
      handle(transportConnectSchema, async (req) => {
        if (!transport) throw new AppError('transport:missing', 'create the transport first');
        await transport.connect({ dtlsParameters: req.dtlsParameters as unknown as types.DtlsParameters });
        return null;
      }),
    );

    socket.on(
      'stream:consume',
      handle(consumeRequestSchema, async (req): Promise<ConsumeResult> => {
        const claims = o.verifyToken(req.token);
        if (!transport || !slot) throw new AppError('transport:missing', 'create the transport first');
        if (entries.size >= MAX_CONSUMERS_PER_TRANSPORT) {
          throw new AppError('transport:limit', `at most ${MAX_CONSUMERS_PER_TRANSPORT} streams per page`);
        }
        const ingest = o.ingests.get(claims.cam, claims.prof);
        if (!ingest?.producer || !ingest.slot) {
          throw new AppError('stream:not_ingested', 'the camera is not being ingested on this node');
        }
        if (ingest.state === 'offline') throw new AppError('stream:offline', 'the camera is offline');
        const producer = ingest.producer;
        const router = slot.router;
        if (ingest.slot.router !== router) {
          const key = `${producer.id}>${router.id}`;
          let p = piped.get(key);
          if (!p) {
            p = ingest.slot.router.pipeToRouter({ producerId: producer.id, router }).then(() => undefined);
            piped.set(key, p);
            producer.observer.once('close', () => piped.delete(key));
            p.catch(() => piped.delete(key));
          }
          await p.catch(() => {
            // The producer closed between the lookup and the pipe (it is moving to another worker).
            throw new AppError('unavailable:dependency', 'the stream is moving to another worker: try again');
          });
        }
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
          released: false,
          claims: { sub: claims.sub, sid: claims.sid, inc: claims.inc, cam: claims.cam, prof: claims.prof },
          expiresAtMs: claims.exp * 1000,
        };
        entries.set(consumer.id, entry);
        consumers++;
        o.ingests.acquire(ingest);
        await consumer.enableTraceEvent(['keyframe']);
        consumer.on('trace', (t) => {
          if (t.type === 'keyframe') ingest.markConsumerFrame();
        });
        consumer.on('producerclose', () => {
          if (entries.get(consumer.id) === entry)
            interrupt(consumer.id, entry, ingest.closed ? 'stream_stopped' : 'source_restarted');
        });
        consumer.on('transportclose', () => release(entry));
        return {
          consumerId: consumer.id,
          producerId: producer.id,
          cameraId: claims.cam,
          profile: claims.prof,
          kind: 'video',
          rtpParameters: consumer.rtpParameters,
        };
      }),
    );

    socket.on(
      'stream:resume',
      handle(consumerRefSchema, async (req) => {
        const entry = entries.get(req.consumerId);
        if (!entry) throw new AppError('not_found:consumer', 'no such consumer');
        await entry.consumer.resume();
        await entry.consumer.requestKeyFrame();
        return null;
      }),
    );

    socket.on(
      'stream:refresh',
      handle(streamRefreshSchema, async (req) => {
        const entry = entries.get(req.consumerId);
        if (!entry) throw new AppError('not_found:consumer', 'no such consumer');
        const claims = o.verifyToken(req.token);
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
      }),
    );

    socket.on(
      'stream:close',
      handle(consumerRefSchema, async (req) => {
        const entry = entries.get(req.consumerId);
        if (!entry) throw new AppError('not_found:consumer', 'no such consumer');
        entries.delete(req.consumerId);
        entry.consumer.close();
        release(entry);
        return null;
      }),
    );

    socket.on('disconnect', () => {
      contexts.delete(context);
      for (const entry of entries.values()) {
        entry.consumer.close();
        release(entry);
      }
      entries.clear();
      transport?.close();
      dropTransport();
    });
  });

  return {
    consumerCount: () => consumers,
    revoke(r) {
      let n = 0;
      for (const ctx of contexts) {
        for (const [id, entry] of [...ctx.entries]) {
          if (!matches(r, entry)) continue;
          ctx.revoke(id, entry, r.reason);
          n++;
        }
      }
      return n;
    },
    async close() {
      clearInterval(sweep);
      nsp.disconnectSockets(true);
      await new Promise<void>((r) => io.close(() => r()));
    },
  };
}

/**
 * Listens for the gateways' revocations (`CHANNELS.streamRevoke`) on a connection of its own and
 * closes the consumers they match. A malformed message is logged and dropped. `close()` stops it.
 */
export function listenForRevocations(redis: Redis, signalling: Signalling, log: Logger): { close(): void } {
  // Its own connection (a subscriber can do nothing else); queued until Redis answers, re-subscribed
  // after a reconnection — Redis being away at start is logged, never fatal.
  const sub = redis.duplicate({ enableOfflineQueue: true });
  const channel = channelsOf(redis).streamRevoke;
  sub.on('error', (err) => log.warn({ err }, 'revocation listener: Redis error'));
  sub.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    let parsed: ReturnType<typeof streamRevocationSchema.safeParse>;
    try {
      parsed = streamRevocationSchema.safeParse(JSON.parse(message));
    } catch {
      parsed = streamRevocationSchema.safeParse(undefined);
    }
    if (!parsed.success) {
      log.warn('revocation listener: malformed message dropped');
      return;
    }
    const closed = signalling.revoke(parsed.data);
    log.info({ scope: parsed.data.scope, reason: parsed.data.reason, closed }, 'revocation applied');
  });
  sub
    .subscribe(channel)
    .catch((err: unknown) => log.warn({ err }, 'revocation listener: not subscribed yet'));
  return {
    close() {
      sub.disconnect();
    },
  };
}
