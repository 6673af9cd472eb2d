import { cpus } from 'node:os';
import { envVar, parseEnv } from '@wall/protocol';
import { z } from 'zod';

export const mediaEnvSchema = z
  .object({
    MEDIA_HOST: envVar.host('127.0.0.1'),
    MEDIA_PORT: envVar.port(4100),
    REDIS_URL: envVar.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    /** mediasoup workers in the pool; default one per core. */
    MEDIASOUP_WORKERS: envVar.int(cpus().length, 1, 64),
    /** The worker binary built offline by the bootstrap (mediasoup reads the same variable). */
    MEDIASOUP_WORKER_BIN: z.string().min(1, 'required: path of the mediasoup-worker binary'),
    RTC_MIN_PORT: envVar.port(40000),
    RTC_MAX_PORT: envVar.port(40999),
    LOG_LEVEL: envVar.logLevel(),
  })
  .refine((c) => c.RTC_MIN_PORT < c.RTC_MAX_PORT, {
    path: ['RTC_MAX_PORT'],
    message: 'must be greater than RTC_MIN_PORT',
  });

export type MediaConfig = z.infer<typeof mediaEnvSchema>;

export function loadConfig(env: Record<string, string | undefined>) {
  return parseEnv(mediaEnvSchema, env);
}
