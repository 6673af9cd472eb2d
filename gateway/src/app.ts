import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from './config.ts';
import type { Db } from './db/index.ts';
import { registerHealthRoutes } from './health/index.ts';
import { AppError } from './lib/app-error.ts';
import type { Logger } from './lib/logger.ts';

export interface GatewayDeps {
  config: GatewayConfig;
  db: Db;
  redis: Redis;
  logger: Logger;
}

/** Builds the gateway's HTTP server without starting it; tests inject requests into it. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    disableRequestLogging: false,
    bodyLimit: 1_048_576,
  });

  await app.register(cors, {
    origin: [...deps.config.WEB_ORIGINS],
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.status).send({ code: err.code, message: err.message });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ code: 'invalid:request', message: err instanceof Error ? err.message : 'bad request' });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ code: 'not_found:route', message: 'no such route' }),
  );

  registerHealthRoutes(app, { db: deps.db, redis: deps.redis });
  return app;
}
