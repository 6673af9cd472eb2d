import { createPublicKey, type KeyObject } from 'node:crypto';
import { cpus } from 'node:os';
import { envVar, parseEnv } from '@wall/protocol';
import { z } from 'zod';

/** An Ed25519 public key as base64url of its 32 raw bytes (the JWK `x`). */
const ed25519PublicKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'expected the Ed25519 public key as 43 base64url characters')
  .transform((x, ctx): KeyObject => {
    try {
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid Ed25519 public key' });
      return z.NEVER;
    }
  });

export const mediaEnvSchema = z
  .object({
    MEDIA_HOST: envVar.host('127.0.0.1'),
    MEDIA_PORT: envVar.port(4100),
    /** This node's id: the audience of the stream tokens it accepts, its key in the Redis registry. */
    MEDIA_NODE_ID: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a short lower-case id')
      .default('media-1'),
    /** Where browsers reach this node (signalling, snapshots). */
    MEDIA_PUBLIC_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4100'),
    /** Browser origins allowed to connect (socket.io CORS); never a wildcard. */
    MEDIA_WEB_ORIGINS: envVar.origins('http://127.0.0.1:3000,http://localhost:3000'),
    /** The gateway's stream-token public key. */
    MEDIA_TOKEN_PUBLIC_KEY: ed25519PublicKey,
    /** Shared secret of the control API (gateway → node), at least 32 characters. */
    MEDIA_CONTROL_SECRET: z.string().min(32, 'must be at least 32 characters'),
    REDIS_URL: envVar.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    /** mediasoup workers in the pool; default one per core. */
    MEDIASOUP_WORKERS: envVar.int(cpus().length, 1, 64),
    /** The worker binary built offline by the bootstrap (mediasoup reads the same variable). */
    MEDIASOUP_WORKER_BIN: z.string().min(1, 'required: path of the mediasoup-worker binary'),
    /** Ports of the plain (ingest) transports, split between workers. */
    RTC_MIN_PORT: envVar.port(40000),
    RTC_MAX_PORT: envVar.port(40999),
    /** First WebRtcServer port; worker i listens on WEBRTC_PORT + i (UDP and TCP). */
    WEBRTC_PORT: envVar.port(44444),
    WEBRTC_LISTEN_IP: envVar.host('127.0.0.1'),
    /** The address browsers see in ICE candidates when it differs from the listen address. */
    WEBRTC_ANNOUNCED_IP: z
      .string()
      .regex(/^[A-Za-z0-9.:-]+$/, 'expected a host name or IP address')
      .optional(),
    /** How long an ingest runs after its last viewer left (ms). */
    INGEST_IDLE_TIMEOUT_MS: envVar.int(30_000, 1_000, 3_600_000),
    /** GB/T 28181 media ports (one per GB stream, TCP passive or UDP). */
    MEDIA_GB_PORT_MIN: envVar.port(30000),
    MEDIA_GB_PORT_MAX: envVar.port(30999),
    /** The address GB devices send media to (put in the INVITE's SDP); default MEDIA_HOST. */
    MEDIA_GB_IP: z
      .string()
      .regex(/^[A-Za-z0-9.:-]+$/, 'expected a host name or IP address')
      .optional(),
    /** Where the GB media ports listen; default MEDIA_GB_IP (set 0.0.0.0 behind NAT). */
    MEDIA_GB_LISTEN_IP: z
      .string()
      .regex(/^[A-Za-z0-9.:-]+$/, 'expected an IP address')
      .optional(),
    /** No media this long after the gateway's INVITE succeeded → offline `gb:no_media` (ms). */
    MEDIA_GB_NO_MEDIA_TIMEOUT_MS: envVar.int(10_000, 1_000, 600_000),
    /** Where recorded segments are written (`<cameraId>/<profile>/<YYYY-MM-DD>/<startMs>.mp4`). */
    RECORDING_DIR: z.string().min(1).default('.data/recordings'),
    /** Recorded segments are cut at the first key frame after this many seconds. */
    RECORDING_SEGMENT_S: envVar.int(4, 2, 6),
    /** Below this much free space, recording stops (lowest priority first); resumes above twice it. */
    RECORDING_MIN_FREE_BYTES: envVar.int(1024 ** 3, 0, Number.MAX_SAFE_INTEGER),
    /** ffmpeg processes transcoding H.265 recordings to H.264 for browser playback at once. */
    PLAYBACK_TRANSCODE_CONCURRENCY: envVar.int(1, 1, 8),
    /** Playback transcodes waiting for a process; more are refused (`recording:transcode_busy`). */
    PLAYBACK_TRANSCODE_QUEUE: envVar.int(8, 0, 256),
    /** One segment's transcode is killed after this long (ms): `recording:transcode_failed`. */
    PLAYBACK_TRANSCODE_TIMEOUT_MS: envVar.int(20_000, 1_000, 120_000),
    /** x264 preset of the playback transcode: veryfast (smaller) or ultrafast (≈2× faster at 720p, ≈2.7× the bytes). */
    PLAYBACK_TRANSCODE_PRESET: z.enum(['veryfast', 'superfast', 'ultrafast']).default('veryfast'),
    /** Transcoded segments kept in memory (MB, least recently used dropped first). */
    PLAYBACK_TRANSCODE_CACHE_MB: envVar.int(64, 0, 4096),
    /**
     * Caps the recording volume at this many bytes (total = the cap, free = cap − bytes of the files
     * under RECORDING_DIR): a quota, or a test or demo showing a shortfall without filling a disk.
     * Unset: the volume as statfs reports it. Stops and the reported figures use the same free space.
     */
    RECORDING_CAPACITY_BYTES: envVar.int(0, 0, Number.MAX_SAFE_INTEGER),
    LOG_LEVEL: envVar.logLevel(),
  })
  .refine((c) => c.RTC_MIN_PORT < c.RTC_MAX_PORT, {
    path: ['RTC_MAX_PORT'],
    message: 'must be greater than RTC_MIN_PORT',
  })
  .refine((c) => c.MEDIA_GB_PORT_MIN <= c.MEDIA_GB_PORT_MAX, {
    path: ['MEDIA_GB_PORT_MAX'],
    message: 'must not be less than MEDIA_GB_PORT_MIN',
  })
  .refine((c) => !isWildcard(c.MEDIA_GB_IP ?? c.MEDIA_HOST), {
    path: ['MEDIA_GB_IP'],
    message: 'required when MEDIA_HOST is a wildcard address: the address GB devices reach',
  });

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}

export type MediaConfig = z.infer<typeof mediaEnvSchema>;

/** Where GB/T 28181 devices send media (`ip`, announced in INVITEs) and where the node listens for it. */
export function gbMediaAddress(c: MediaConfig): { ip: string; listenIp: string } {
  const ip = c.MEDIA_GB_IP ?? c.MEDIA_HOST;
  return { ip, listenIp: c.MEDIA_GB_LISTEN_IP ?? ip };
}

export function loadConfig(env: Record<string, string | undefined>) {
  return parseEnv(mediaEnvSchema, env);
}
