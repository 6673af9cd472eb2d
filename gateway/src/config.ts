import { envVar, parseEnv, RETENTION_FLOOR_DAYS } from '@wall/protocol';
import { z } from 'zod';
import { parseRadiusLimits } from './policy/incidents.ts';

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
  /**
   * Key sealing source systems' credentials at rest (AES-256-GCM, 32 bytes as 43 base64url
   * characters). Required when NODE_ENV=production; without it no credentials can be stored or used.
   */
  SOURCE_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'expected 32 bytes as 43 base64url characters')
    .optional(),
  /** Earlier SOURCE_SECRET_KEYs (comma-separated): they still open what they sealed, never seal. */
  SOURCE_SECRET_KEYS_RETIRED: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.string().regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'expected keys of 43 base64url characters'),
      ),
    )
    .optional(),
  /** A session unused this long ends (seconds). */
  SESSION_IDLE_TIMEOUT_S: envVar.int(1800, 1, 86_400),
  /** A session ends this long after sign-in, used or not (seconds). */
  SESSION_ABSOLUTE_TIMEOUT_S: envVar.int(43_200, 60, 604_800),
  /** Mark the session cookie Secure (set it whenever the gateway is served over HTTPS). */
  COOKIE_SECURE: envVar.bool(false),
  /**
   * Failed sign-ins allowed in LOGIN_WINDOW_S: per user from one address (the lockout an operator
   * meets after mistyping, which an attacker elsewhere cannot cause), per address (all users), and
   * per user from all addresses together (the slower bound on a guessing attack spread over many
   * addresses).
   */
  LOGIN_MAX_PER_USER: envVar.int(5, 1, 1000),
  LOGIN_MAX_PER_ADDRESS: envVar.int(30, 1, 10_000),
  LOGIN_MAX_PER_USER_GLOBAL: envVar.int(100, 1, 100_000),
  LOGIN_WINDOW_S: envVar.int(900, 1, 86_400),
  /**
   * Worker threads of `GET /api/audit/verify` on PostgreSQL (each walks a range of the chain on its
   * own connection, off the request thread); 0 = the cores, at most 4. PGlite verifies in-thread.
   */
  AUDIT_VERIFY_WORKERS: envVar.int(0, 0, 16),
  /** How long camera facts, open incidents and access decisions are reused (invalidated on change). */
  POLICY_CACHE_TTL_MS: envVar.int(5000, 0, 60_000),
  /**
   * Hours after an incident's opening at which its emergency grant (R-ACC-4) ends even if the
   * incident is still open; 0: only closing the incident ends it. A command centre that needs
   * longer declares the incident again (audited).
   */
  EMERGENCY_GRANT_MAX_H: envVar.int(72, 0, 8760),
  /**
   * Seconds a level Ⅰ/Ⅱ incident's emergency grant waits for a second command user's (or a
   * superior's) confirmation; unconfirmed by then, the grant lapses and every stream it allowed ends.
   */
  INCIDENT_CONFIRM_S: envVar.int(900, 5, 86_400),
  /** Largest incident radius per level, metres: `1:…,2:…,3:…,4:…` (Ⅰ … Ⅳ). */
  INCIDENT_MAX_RADIUS_M: z
    .string()
    .default('1:30000,2:15000,3:5000,4:2000')
    .transform((text, ctx) => {
      try {
        return parseRadiusLimits(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Most cached access decisions per gateway process. */
  POLICY_CACHE_MAX: envVar.int(100_000, 100, 10_000_000),
  /** Load the Changzhou demo data set on start (once; kept afterwards). */
  DEMO_SEED: envVar.bool(false),
  /** Where the demo's simulated RTSP cameras are served. */
  DEMO_RTSP_URL: envVar.url(['rtsp']).default('rtsp://127.0.0.1:8554'),
  /** How many simulated cameras carry live video in the demo. */
  DEMO_SIM_CAMERAS: envVar.int(8, 0, 64),
  /** Where the demo's time-strip cameras are served (`rtsp-sim.py --time-strip`; the launcher's SIM_STRIP_CAMERAS). */
  DEMO_STRIP_RTSP_URL: envVar.url(['rtsp']).default('rtsp://127.0.0.1:8555'),
  /** How many time-strip cameras the demo files (their own source; 0: none). */
  DEMO_STRIP_CAMERAS: envVar.int(0, 0, 16),
  /**
   * The demo's simulated GB/T 28181 platform (its 20-digit device ID; the launcher sets it):
   * `RECORDING_PLAN=simulated` records its channels too, accepted or in service.
   */
  DEMO_GB_DEVICE_ID: z
    .string()
    .regex(/^\d{20}$/, 'expected a 20-digit GB/T 28181 device ID')
    .optional(),
  /** Password of the demo users; when absent a random one is made and kept in DEMO_CREDENTIALS_FILE (the launcher passes its own environment through). */
  WALL_DEMO_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  DEMO_CREDENTIALS_FILE: z.string().min(1).default('.data/demo-credentials.json'),
  /** Run the GB/T 28181 SIP server (UDP and TCP on GB_SIP_HOST:GB_SIP_PORT). */
  GB_SIP_ENABLED: envVar.bool(false),
  GB_SIP_HOST: envVar.host('127.0.0.1'),
  GB_SIP_PORT: envVar.port(5060),
  /** The IPv4 address devices reach us at (Via, Contact, SDP); default GB_SIP_HOST. */
  GB_SIP_PUBLIC_IP: z
    .string()
    .regex(/^(?:\d{1,3}\.){3}\d{1,3}$/, 'expected an IPv4 address')
    .optional(),
  /** Our SIP domain (realm): 10 digits, the first 10 of GB_ID. */
  GB_DOMAIN: z
    .string()
    .regex(/^\d{10}$/, 'expected 10 digits')
    .default('3204000000'),
  /** Our platform's 20-digit GB/T 28181 ID (type 200: central signalling server). */
  GB_ID: z
    .string()
    .regex(/^\d{10}200\d{7}$/, 'expected a 20-digit ID of type 200 (digits 11–13)')
    .default('32040000002000000001'),
  /** A device whose last keepalive is older than this goes offline with its cameras (seconds). */
  GB_KEEPALIVE_TIMEOUT_S: envVar.int(180, 1, 86_400),
  /** How devices send media unless their source says otherwise. */
  GB_MEDIA_TRANSPORT: z.enum(['tcp-passive', 'udp']).default('tcp-passive'),
  /**
   * SIP requests refused (forged or replayed: a request from outside a device's registration flow,
   * wrong credentials, a replayed nonce) from one address in GB_SIP_REFUSALS_WINDOW_S after which
   * that address is ignored — no answers — for GB_SIP_BACKOFF_S, except on flows of registered
   * devices (ADR 0009).
   */
  GB_SIP_REFUSALS_MAX: envVar.int(20, 1, 100_000),
  GB_SIP_REFUSALS_WINDOW_S: envVar.int(60, 1, 86_400),
  GB_SIP_BACKOFF_S: envVar.int(60, 1, 86_400),
  /**
   * Days recordings are kept unless a camera sets its own (`PUT /api/cameras/:id/retention`); never
   * below the 30-day floor (R-REC-1, Art. 18(7)).
   */
  RECORDING_RETENTION_DAYS: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of days')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(
          RETENTION_FLOOR_DAYS,
          `recordings are kept at least ${RETENTION_FLOOR_DAYS} days (R-REC-1); a lower retention is refused`,
        )
        .max(36_500, 'expected at most 36500 days'),
    )
    .default(RETENTION_FLOOR_DAYS),
  /** How often the retention sweeper runs (seconds); 0: never (another gateway or a job sweeps). */
  RECORDING_SWEEP_INTERVAL_S: envVar.int(3600, 0, 86_400),
  /** Segments deleted per sweeper transaction (short locks: a million go in many small batches). */
  RECORDING_SWEEP_BATCH: envVar.int(5000, 1, 100_000),
  /** Where segment files are, as the media node writes them: `<RECORDING_DIR>/<storageKey>`. */
  RECORDING_DIR: z.string().min(1).default('.data/recordings'),
  /**
   * The verifier reports files under RECORDING_DIR that no index row names once they are this old
   * (seconds): a segment is written before its event is indexed.
   */
  RECORDING_ORPHAN_GRACE_S: envVar.int(120, 0, 86_400),
  /** Index the media nodes' recording events (a Redis consumer group shared by every gateway). */
  RECORDING_INDEX_ENABLED: envVar.bool(true),
  /** This gateway's consumer name in the group (stable across restarts: it takes up its own pending events). */
  RECORDING_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected 1–64 letters, digits, . _ : -')
    .optional(),
  /**
   * What the media nodes are told to record continuously (main.ts starts the planner): every
   * in-service camera a node can ingest on its own (`in_service`), only those of simulated sources
   * (`simulated`: the demo), only the time-strip cameras (`time_strip`: the browser tests), or
   * nothing (`none`).
   */
  RECORDING_PLAN: z.enum(['none', 'simulated', 'time_strip', 'in_service']).default('in_service'),
  /** The profile recorded by plan (the main stream is the evidence; the demo records sub). */
  RECORDING_PLAN_PROFILE: z.enum(['main', 'sub']).default('main'),
  /** Seconds between plan passes (a registry change also starts one). */
  RECORDING_PLAN_INTERVAL_S: envVar.int(60, 5, 3600),
  /**
   * Seconds between capacity checks (R-REC-3: each media node's recording volume against what its
   * cameras' retention needs; stops for lack of space); 0: none on this gateway.
   */
  RECORDING_CAPACITY_CHECK_S: envVar.int(30, 0, 3600),
  /** Percent of a volume's usable space needed above which the forecast says warning (shortfall: over 100). */
  RECORDING_CAPACITY_WARN_PERCENT: envVar.int(85, 1, 100),
  /**
   * Seconds the capacity forecast reuses the index's per-camera figures (an aggregate over every
   * segment of the nodes); the nodes' free space and stops are read at every check. 0: every time.
   */
  RECORDING_CAPACITY_USAGE_MAX_AGE_S: envVar.int(300, 0, 86_400),
  /** Footage opened to police and emergency users from this long before a major incident opened (R-RET-3). */
  PLAYBACK_INCIDENT_LOOKBACK_MIN: envVar.int(60, 0, 10_080),
  /** Largest approval document (PDF, PNG, JPEG) accepted with a retrieval approval, in bytes. */
  RETRIEVAL_DOCUMENT_MAX_BYTES: envVar.int(10 * 1024 * 1024, 1024, 50 * 1024 * 1024),
  /** An approved retrieval request not executed within this many hours expires (Art. 21/22). */
  RETRIEVAL_APPROVAL_TTL_H: envVar.int(72, 1, 720),
});

export type GatewayConfig = z.infer<typeof gatewayEnvSchema>;

export function loadConfig(env: Record<string, string | undefined>) {
  const parsed = parseEnv(gatewayEnvSchema, env);
  // Secrets at rest need a key in production; elsewhere (tests, tools) their absence only disables them.
  if (env.NODE_ENV === 'production' && !env.SOURCE_SECRET_KEY) {
    const missing = 'SOURCE_SECRET_KEY: required when NODE_ENV=production';
    return { ok: false as const, problems: [...(parsed.ok ? [] : parsed.problems), missing] };
  }
  return parsed;
}
