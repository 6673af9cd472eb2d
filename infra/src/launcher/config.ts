import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { envVar, parseEnv } from '@wall/protocol';
import { z } from 'zod';

export const ROOT = resolve(import.meta.dirname, '../../..');

export const launcherEnvSchema = z.object({
  /** Where the demo keeps its data (PGlite, Redis, demo credentials). */
  WALL_DATA_DIR: z.string().min(1).default(resolve(ROOT, '.data')),
  WALL_HOST: envVar.host('127.0.0.1'),
  WEB_PORT: envVar.port(3000),
  GATEWAY_PORT: envVar.port(4000),
  MEDIA_PORT: envVar.port(4100),
  RTSP_PORT: envVar.port(8554),
  /** Port of the launcher's own redis-server, used when REDIS_URL is not set. */
  WALL_REDIS_PORT: envVar.port(6390),
  REDIS_URL: envVar.url(['redis', 'rediss']).optional(),
  DATABASE_URL: envVar.url(['postgres', 'postgresql']).optional(),
  SIM_CAMERAS: envVar.int(8, 1, 64),
  /** Key-frame interval of the simulated cameras, in frames (25 fps). */
  SIM_GOP: envVar.int(50, 1, 600),
  MEDIASOUP_WORKERS: envVar.int(cpus().length, 1, 64),
  MEDIASOUP_WORKER_BIN: z.string().min(1, 'required: run through `npm start`, which builds the worker'),
  LOG_LEVEL: envVar.logLevel(),
});

export type LauncherConfig = z.infer<typeof launcherEnvSchema>;

export function loadConfig(env: Record<string, string | undefined>) {
  return parseEnv(launcherEnvSchema, env);
}
