import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './lib/logger.ts';
import { WorkerPool } from './workers/pool.ts';

const parsed = loadConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(
    `media-server: invalid configuration\n${parsed.problems.map((p) => `  - ${p}\n`).join('')}`,
  );
  process.exit(1);
}
const config = parsed.value;
const logger = createLogger(config.LOG_LEVEL, 'media-server');

// A failure during start-up (database unreachable, a migration refused, a port taken) is logged
// with its reason and ends the process with exit code 1; nothing half-started keeps running.
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'fatal error');
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  logger.fatal({ err }, 'fatal error');
  process.exit(1);
});

const pool = await WorkerPool.create({
  size: config.MEDIASOUP_WORKERS,
  rtcMinPort: config.RTC_MIN_PORT,
  rtcMaxPort: config.RTC_MAX_PORT,
  logger: logger.child({ feature: 'workers' }),
});

const redis = new Redis(config.REDIS_URL, {
  maxRetriesPerRequest: 2,
  enableOfflineQueue: false,
  lazyConnect: true,
});
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable yet'));

const app = await buildApp({ config, pool, redis, logger });
await app.listen({ host: config.MEDIA_HOST, port: config.MEDIA_PORT });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await app.close().catch((err: unknown) => logger.error({ err }, 'close http'));
  pool.close();
  redis.disconnect();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
