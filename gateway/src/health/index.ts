import { type Health, healthSchema, PROTOCOL_VERSION, probe } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Db } from '../db/index.ts';
import { defineRoute, registerRoutes } from '../openapi/index.ts';

export interface HealthDeps {
  db: Db;
  redis: Redis;
}

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const [database, redis] = await Promise.all([
    probe(() => deps.db.query('SELECT 1')),
    probe(() => deps.redis.ping()),
  ]);
  const checks = { database: { ...database, detail: database.detail ?? deps.db.kind }, redis };
  return {
    service: 'gateway',
    status: database.ok && redis.ok ? 'ok' : 'degraded',
    protocolVersion: PROTOCOL_VERSION,
    uptimeS: Math.round(process.uptime()),
    checks,
  };
}

/** GET /healthz: 200 only when every dependency answers, else 503 with the same body. */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  registerRoutes(app, [
    defineRoute({
      method: 'get',
      url: '/healthz',
      summary: 'Health of the gateway and its dependencies (200 only when all are up)',
      tag: 'health',
      access: 'public',
      responses: {
        200: { description: 'up', schema: healthSchema },
        503: { description: 'a dependency is down', schema: healthSchema },
      },
      handler: async ({ reply }) => {
        const health = await checkHealth(deps);
        return reply.code(health.status === 'ok' ? 200 : 503).send(health);
      },
    }),
  ]);
}
