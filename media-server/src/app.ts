import {
  answerRouterError,
  type MediaNodeInfo,
  type StreamTokenClaims,
  securityHeadersHook,
} from '@wall/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { MediaConfig } from './config.ts';
import { registerControlRoutes } from './control/index.ts';
import { registerSnapshotRoute } from './control/snapshot.ts';
import { registerHealthRoutes } from './health/index.ts';
import type { IngestManager } from './ingest/index.ts';
import { AppError } from './lib/app-error.ts';
import type { Logger } from './lib/logger.ts';
import { type PlaybackRouteDeps, registerPlaybackRoutes } from './playback/index.ts';
import type { Recordings } from './recording/index.ts';
import type { WorkerPool } from './workers/pool.ts';

export interface MediaDeps {
  config: MediaConfig;
  pool: WorkerPool;
  redis: Redis;
  logger: Logger;
  ingests: IngestManager;
  verifyToken: (token: string | undefined) => StreamTokenClaims;
  nodeInfo: () => MediaNodeInfo;
  recordings: Recordings;
  /** Recorded segments for HLS playback (storage, playback-token check, optional transcoder). */
  playback: Omit<PlaybackRouteDeps, 'origins'>;
}

/** Builds the media node's HTTP server without starting it (signalling attaches to its server). */
export async function buildApp(deps: MediaDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 65_536,
    // The router's own refusals in the platform's shape, without echoing the URL.
    frameworkErrors: (err, req, reply) => answerRouterError(err, req, reply as FastifyReply),
  });
  // First, so that every answer carries them (snapshots, control API, errors, 404s).
  app.addHook('onRequest', securityHeadersHook);
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ code: 'not_found:route', message: 'no such route' }),
  );
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof AppError) return reply.code(err.status).send({ code: err.code, message: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ code: 'invalid:request', message: 'bad request' });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'internal', message: 'internal error' });
  });
  registerHealthRoutes(app, { pool: deps.pool, redis: deps.redis });
  registerSnapshotRoute(app, { ingests: deps.ingests, verifyToken: deps.verifyToken });
  registerPlaybackRoutes(app, { ...deps.playback, origins: deps.config.MEDIA_WEB_ORIGINS });
  await registerControlRoutes(app, {
    ingests: deps.ingests,
    secret: deps.config.MEDIA_CONTROL_SECRET,
    nodeInfo: deps.nodeInfo,
    recordings: deps.recordings,
  });
  return app;
}
