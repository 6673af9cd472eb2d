import { type DependencyState, type Health, PROTOCOL_VERSION, probe } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { WorkerPool } from '../workers/pool.ts';

export interface HealthDeps {
  pool: WorkerPool;
  redis: Redis;
}

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const [redis, workers] = await Promise.all([probe(() => deps.redis.ping()), deps.pool.probe()]);
  const checks: Record<string, DependencyState> = { redis };
  for (const w of workers) {
    checks[`worker:${w.index}`] = w.ok
      ? { ok: true, detail: `pid ${w.pid}` }
      : { ok: false, detail: 'not running' };
  }
  const allUp = redis.ok && workers.length > 0 && workers.every((w) => w.ok);
  return {
    service: 'media-server',
    status: allUp ? 'ok' : 'degraded',
    protocolVersion: PROTOCOL_VERSION,
    uptimeS: Math.round(process.uptime()),
    checks,
  };
}

/** GET /healthz: 200 only when Redis and every mediasoup worker answer, else 503. */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async (_req, reply) => {
    const health = await checkHealth(deps);
    return reply.code(health.status === 'ok' ? 200 : 503).send(health);
  });
}
