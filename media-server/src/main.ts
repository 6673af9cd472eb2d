import { Redis } from 'ioredis';
import { loadConfig } from './config.ts';
import { createLogger } from './lib/logger.ts';
import { createMediaNode } from './node.ts';

const parsed = loadConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(
    `media-server: invalid configuration\n${parsed.problems.map((p) => `  - ${p}\n`).join('')}`,
  );
  process.exit(1);
}
const config = parsed.value;
const logger = createLogger(config.LOG_LEVEL, 'media-server');

// A failure during start-up (a port taken, no worker binary) is logged with its reason and ends
// the process with exit code 1; nothing half-started keeps running.
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'fatal error');
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  logger.fatal({ err }, 'fatal error');
  process.exit(1);
});

const redis = new Redis(config.REDIS_URL, {
  maxRetriesPerRequest: 2,
  enableOfflineQueue: false,
  lazyConnect: true,
});
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable yet'));

const node = await createMediaNode(config, redis, logger);
await node.app.listen({ host: config.MEDIA_HOST, port: config.MEDIA_PORT });
node.registry.start();
logger.info({ nodeId: config.MEDIA_NODE_ID, workers: node.pool.size }, 'media node ready');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await node.close().catch((err: unknown) => logger.error({ err }, 'close'));
  redis.disconnect();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
