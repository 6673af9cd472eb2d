import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { MediaConfig } from './config.ts';
import { registerHealthRoutes } from './health/index.ts';
import type { Logger } from './lib/logger.ts';
import type { WorkerPool } from './workers/pool.ts';

export interface MediaDeps {
  config: MediaConfig;
  pool: WorkerPool;
  redis: Redis;
  logger: Logger;
}

/** Builds the media node's HTTP server without starting it. */
export async function buildApp(deps: MediaDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 65_536 });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ code: 'not_found:route', message: 'no such route' }),
  );
  app.setErrorHandler((err, req, reply) => {
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'internal', message: 'internal error' });
  });
  registerHealthRoutes(app, { pool: deps.pool, redis: deps.redis });
  return app;
}
