import { envVar, parseEnv } from '@wall/protocol';
import { z } from 'zod';

export const gatewayEnvSchema = z.object({
  GATEWAY_HOST: envVar.host('127.0.0.1'),
  GATEWAY_PORT: envVar.port(4000),
  /** PostgreSQL; when absent the gateway uses embedded PGlite under PGLITE_DIR. */
  DATABASE_URL: envVar.url(['postgres', 'postgresql']).optional(),
  PGLITE_DIR: z.string().min(1).default('.data/pglite'),
  REDIS_URL: envVar.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  /** Browser origins allowed by CORS; never a wildcard. */
  WEB_ORIGINS: envVar.origins('http://127.0.0.1:3000,http://localhost:3000'),
  LOG_LEVEL: envVar.logLevel(),
  /** Load the Changzhou demo data set on start (once; kept afterwards). */
  DEMO_SEED: envVar.bool(false),
  /** Where the demo's simulated RTSP cameras are served. */
  DEMO_RTSP_URL: envVar.url(['rtsp']).default('rtsp://127.0.0.1:8554'),
  /** How many simulated cameras carry live video in the demo. */
  DEMO_SIM_CAMERAS: envVar.int(8, 0, 64),
  /** Password of the demo users; when absent a random one is made and kept in DEMO_CREDENTIALS_FILE. */
  DEMO_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  DEMO_CREDENTIALS_FILE: z.string().min(1).default('.data/demo-credentials.json'),
});

export type GatewayConfig = z.infer<typeof gatewayEnvSchema>;

export function loadConfig(env: Record<string, string | undefined>) {
  return parseEnv(gatewayEnvSchema, env);
}
