import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import type { StreamProfile } from '@wall/protocol';
import { Redis } from 'ioredis';
import { mediaEnvSchema } from '../src/config.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createMediaNode, type MediaNode } from '../src/node.ts';
import type { RecordingStorage } from '../src/recording/index.ts';
import { freePort } from './rtsp-sim.ts';
import { signStreamToken } from './support/sign-token.ts';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestNode {
  node: MediaNode;
  url: string;
  secret: string;
  nodeId: string;
  privateKey: KeyObject;
  redis: Redis;
  token(
    cam: string,
    prof?: StreamProfile,
    extra?: Partial<{
      aud: string;
      iat: number;
      exp: number;
      sub: string;
      sid: string;
      inc: string;
      emg: boolean;
      rng: [number, number];
    }>,
  ): string;
  control(method: string, path: string, body?: unknown, secret?: string): Promise<Response>;
  close(): Promise<void>;
}

/**
 * WebRtcServer ports of the tests: fixed (worker i on port + i), distinct per file, and below the
 * kernel's ephemeral range (32768–60999), where any outgoing connection (PostgreSQL, Redis, HTTP)
 * may hold the same port for a while and make the listen fail with EADDRINUSE. Taken: 21444
 * launcher test, 21544 Playwright, 21600–21601 live-node, 21660/21680 gb-ingest, 21700 live-node
 * idle, 21740 http, 21780 revocation, 21840 gateway recording plan, 21920 gateway playback, 21820 recording, 21860 gateway gb live, 21890 gateway live, 21940 gateway recording capacity, 21980 gateway gb recording,
 * 21960 bench gb28181.
 */
/** A real media node (workers, ingest, signalling) on free ports, with a fresh token key pair. */
export async function startTestNode(
  options: {
    workers?: number;
    idleTimeoutMs?: number;
    webRtcPort?: number;
    redisUrl?: string;
    /** Recording: the node id (a restart keeps it), where segments go, their length, the free-space floor. */
    nodeId?: string;
    recordingDir?: string;
    recordingStorage?: RecordingStorage;
    segmentS?: number;
    minFreeBytes?: number;
  } = {},
): Promise<TestNode> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x ?? '';
  const secret = randomBytes(32).toString('base64url');
  const nodeId = options.nodeId ?? `test-${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const config = mediaEnvSchema.parse({
    MEDIA_PORT: String(port),
    MEDIA_NODE_ID: nodeId,
    MEDIA_PUBLIC_URL: `http://127.0.0.1:${port}`,
    MEDIA_TOKEN_PUBLIC_KEY: x,
    MEDIA_CONTROL_SECRET: secret,
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    MEDIASOUP_WORKERS: String(options.workers ?? 1),
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
    RTC_MIN_PORT: '47000',
    RTC_MAX_PORT: '47499',
    WEBRTC_PORT: String(options.webRtcPort ?? 21600),
    INGEST_IDLE_TIMEOUT_MS: String(options.idleTimeoutMs ?? 30_000),
    RECORDING_DIR: options.recordingDir,
    RECORDING_SEGMENT_S: options.segmentS === undefined ? undefined : String(options.segmentS),
    RECORDING_MIN_FREE_BYTES: options.minFreeBytes === undefined ? undefined : String(options.minFreeBytes),
  });
  const redis = new Redis(options.redisUrl ?? TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  const node = await createMediaNode(config, redis, createLogger('silent', 'media-test'), {
    ...(options.recordingStorage ? { recordingStorage: options.recordingStorage } : {}),
  });
  await node.app.listen({ host: '127.0.0.1', port });
  node.registry.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    node,
    url,
    secret,
    nodeId,
    privateKey,
    redis,
    token: (cam, prof = 'sub', extra = {}) =>
      signStreamToken({ sub: 'tester', cam, prof, aud: nodeId, ...extra }, privateKey),
    control: (method, path, body, s = secret) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${s}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    async close() {
      await node.close();
      redis.disconnect();
    },
  };
}

/** Polls until the check returns a value (not undefined/false), or fails after the deadline. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
