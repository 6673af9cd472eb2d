import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { migrate, openDb } from './db/index.ts';
import { loadReferenceData } from './db/reference.ts';
import { resolveDemoPassword, seedDemo, writeDemoCredentials } from './demo/index.ts';
import { createLogger, redactUrl } from './lib/logger.ts';
import { Realtime } from './realtime/index.ts';

const parsed = loadConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(
    `gateway: invalid configuration\n${parsed.problems.map((p) => `  - ${p}\n`).join('')}`,
  );
  process.exit(1);
}
const config = parsed.value;
const logger = createLogger(config.LOG_LEVEL, 'gateway');

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

const db = await openDb(
  config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : { pgliteDir: config.PGLITE_DIR },
);
logger.info(
  { kind: db.kind, url: config.DATABASE_URL ? redactUrl(config.DATABASE_URL) : config.PGLITE_DIR },
  'database opened',
);
const applied = await migrate(db);
logger.info({ applied }, 'migrations applied');
await loadReferenceData(db);

if (config.DEMO_SEED) {
  const password = resolveDemoPassword(config.WALL_DEMO_PASSWORD, config.DEMO_CREDENTIALS_FILE);
  const seeded = await seedDemo(db, {
    rtspUrl: config.DEMO_RTSP_URL,
    simulatedCameras: config.DEMO_SIM_CAMERAS,
    password,
    timeStrip: { rtspUrl: config.DEMO_STRIP_RTSP_URL, cameras: config.DEMO_STRIP_CAMERAS },
  });
  writeDemoCredentials(config.DEMO_CREDENTIALS_FILE, password, seeded.demoUsers, {
    created: seeded.created,
    cameras: seeded.cameras,
  });
  logger.info(
    {
      created: seeded.created,
      orgs: seeded.orgs,
      users: seeded.users,
      sources: seeded.sources,
      cameras: seeded.cameras,
    },
    'demo data ready',
  );
}

const redis = new Redis(config.REDIS_URL, {
  maxRetriesPerRequest: 2,
  enableOfflineQueue: false,
  lazyConnect: true,
});
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable yet'));

const app = await buildApp({ config, db, redis, logger });
await app.listen({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT });
// GB/T 28181 SIP server (UDP and TCP on GB_SIP_PORT) when GB_SIP_ENABLED; app.close() stops it.
await app.gb.start();
// What the media nodes record continuously (RECORDING_PLAN), kept in step from now on.
app.recordingPlanner?.start();
// The recording capacity forecast and storage alarms (R-REC-3), every RECORDING_CAPACITY_CHECK_S.
app.recordingCapacity.start(config.RECORDING_CAPACITY_CHECK_S * 1000);
// socket.io on the same server (/socket.io, namespace /realtime), Redis adapter.
const realtime = new Realtime(app.server, {
  config,
  db,
  redis,
  logger,
  walls: app.walls,
  decisions: app.decisions,
});
realtime.ready.then(
  () => logger.info('realtime ready'),
  () => undefined,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await realtime.close().catch((err: unknown) => logger.error({ err }, 'close realtime'));
  await app.gb.close().catch((err: unknown) => logger.error({ err }, 'close gb28181'));
  await app.close().catch((err: unknown) => logger.error({ err }, 'close http'));
  redis.disconnect();
  await db.close().catch((err: unknown) => logger.error({ err }, 'close db'));
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
