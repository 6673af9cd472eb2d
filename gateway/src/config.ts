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
  /** Stream-token signing key (Ed25519 JWK `x` and `d`, base64url); without them no live video. */
  STREAM_TOKEN_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'expected 43 base64url characters')
    .optional(),
  STREAM_TOKEN_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'expected 43 base64url characters')
    .optional(),
  /** Bearer secret of the media nodes' control API. */
  MEDIA_CONTROL_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** A session unused this long ends (seconds). */
  SESSION_IDLE_TIMEOUT_S: envVar.int(1800, 1, 86_400),
  /** A session ends this long after sign-in, used or not (seconds). */
  SESSION_ABSOLUTE_TIMEOUT_S: envVar.int(43_200, 60, 604_800),
  /** Mark the session cookie Secure (set it whenever the gateway is served over HTTPS). */
  COOKIE_SECURE: envVar.bool(false),
  /** Failed sign-ins allowed per user, and per address, in LOGIN_WINDOW_S. */
  LOGIN_MAX_PER_USER: envVar.int(5, 1, 1000),
  LOGIN_MAX_PER_ADDRESS: envVar.int(30, 1, 10_000),
  LOGIN_WINDOW_S: envVar.int(900, 1, 86_400),
  /** How long camera facts, open incidents and access decisions are reused (invalidated on change). */
  POLICY_CACHE_TTL_MS: envVar.int(5000, 0, 60_000),
  /** Most cached access decisions per gateway process. */
  POLICY_CACHE_MAX: envVar.int(100_000, 100, 10_000_000),
  /** Load the Changzhou demo data set on start (once; kept afterwards). */
  DEMO_SEED: envVar.bool(false),
  /** Where the demo's simulated RTSP cameras are served. */
  DEMO_RTSP_URL: envVar.url(['rtsp']).default('rtsp://127.0.0.1:8554'),
  /** How many simulated cameras carry live video in the demo. */
  DEMO_SIM_CAMERAS: envVar.int(8, 0, 64),
  /** Password of the demo users; when absent a random one is made and kept in DEMO_CREDENTIALS_FILE (the launcher passes its own environment through). */
  WALL_DEMO_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  DEMO_CREDENTIALS_FILE: z.string().min(1).default('.data/demo-credentials.json'),
});

export type GatewayConfig = z.infer<typeof gatewayEnvSchema>;

export function loadConfig(env: Record<string, string | undefined>) {
  return parseEnv(gatewayEnvSchema, env);
}
