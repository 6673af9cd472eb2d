import { type DependencyState, type Health, healthSchema, PROTOCOL_VERSION, probe } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Db } from '../db/index.ts';
import { defineRoute, registerRoutes } from '../openapi/index.ts';

export interface HealthDeps {
  db: Db;
  redis: Redis;
  /**
   * The recording capacity (R-REC-3) as the last check found it: listed as `recording-capacity`
   * (level ok, warn or fail, with the reason); undefined before the first check. It informs: the
   * status and the HTTP code follow the dependencies only (a full disk does not take the gateway
   * out of service).
   */
  recordingCapacity?: () => Promise<DependencyState | undefined>;
}

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const [database, redis, capacity] = await Promise.all([
    probe(() => deps.db.query('SELECT 1')),
    probe(() => deps.redis.ping()),
    deps.recordingCapacity?.().catch(() => undefined), // Redis down: already said by `redis`
  ]);
  const checks: Record<string, DependencyState> = {
    database: { ...database, detail: database.detail ?? deps.db.kind },
    redis,
  };
  if (capacity) checks['recording-capacity'] = capacity;
  return {
    service: 'gateway',
    status: database.ok && redis.ok ? 'ok' : 'degraded',
    protocolVersion: PROTOCOL_VERSION,
    uptimeS: Math.round(process.uptime()),
    checks,
  };
}

/** GET /healthz: 200 only when every dependency answers, else 503 with the same body (recording capacity listed, see HealthDeps). */
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
