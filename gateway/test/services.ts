import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { io as connectViewer, type Socket } from 'socket.io-client';
import { expect } from 'vitest';
import { type Db, migrate, openDb } from '../src/db/index.ts';
import { loadReferenceData } from '../src/db/reference.ts';

/** The real services of the test run (`npm test` makes sure they are up and sets these). */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Creates a fresh database on the test server for one test file; `drop()` removes it. */
export async function createTempDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `wall_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * The test Redis on a database of its own: for tests whose keys are global by design (the media
 * nodes' registry `media:nodes`), so a node started by another test file running at the same time
 * is never placed on, and for tests that must not hear other files' announcements (the services
 * scope their pub/sub channels to the database, see `channelsOf`). One database a file:
 * {@link REDIS_DB}.
 */
export const REDIS_DB = {
  live: 7,
  gbLive: 8,
  decisions: 9,
  recordings: 12,
  recordingPlan: 13,
  playback: 14,
  recordingCapacity: 10,
  gbRecording: 5,
  recordingOrphans: 6,
} as const;
export function isolatedRedisUrl(db: (typeof REDIS_DB)[keyof typeof REDIS_DB]): string {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * A new database on the test server with the migrations and the Changzhou reference data (districts,
 * site categories); `drop()` removes it (close `db` first).
 */
export async function openReferenceDatabase(): Promise<{ db: Db; url: string; drop: () => Promise<void> }> {
  const temp = await createTempDatabase();
  const db = await openDb({ databaseUrl: temp.url });
  await migrate(db);
  await loadReferenceData(db);
  return { db, url: temp.url, drop: temp.drop };
}

/** A signed-in session as tests hold it: the session cookie and its CSRF token. */
export type TestSession = { sid: string; csrf: string };

/** Signs in through the gateway's own login route (injected request) and expects 200. */
export async function signInTo(
  app: FastifyInstance,
  origin: string,
  username: string,
  password: string,
): Promise<TestSession> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    headers: { origin },
    payload: { username, password },
  });
  expect(res.statusCode).toBe(200);
  return { sid: res.cookies.find((c) => c.name === 'wall_sid')?.value ?? '', csrf: res.json().csrfToken };
}

/** An injected request as a signed-in user: session cookie, web origin and CSRF token. */
export function injectAs(
  app: FastifyInstance,
  origin: string,
  session: TestSession,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  return app.inject({
    method,
    url,
    cookies: { wall_sid: session.sid },
    headers: { origin, 'x-csrf-token': session.csrf },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

/** Polls `f` every 100 ms until it gives something truthy; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Points inside 天宁区 and 溧阳市, for cameras whose district the tests assert. */
export const TIANNING = { lon: 120.060044, lat: 31.801986 };
export const LIYANG = { lon: 119.376273, lat: 31.419784 };

/**
 * Writers of the rows a test file builds its own world from (orgs, users with `passwordHash`, RTSP
 * sources, in-service road cameras); each resolves with the new row's id.
 */
export function rowWriters(db: Db, passwordHash: string) {
  const one = async (sql: string, params: unknown[]) =>
    ((await db.query<{ id: string }>(`${sql} RETURNING id`, params)).rows[0] as { id: string }).id;
  return {
    org: (name: string, tier: string, district: string | null, kind: string) =>
      one('INSERT INTO organisations (name, tier, district_code, department_kind) VALUES ($1, $2, $3, $4)', [
        name,
        tier,
        district,
        kind,
      ]),
    user: (orgId: string, username: string, clearance: number, roles: string[]) =>
      one(
        `INSERT INTO users (org_id, username, display_name, password_hash, roles, clearance, work_id)
         VALUES ($1, $2, $2, $3, $4, $5, $2)`,
        [orgId, username, passwordHash, roles, clearance],
      ),
    source: (ownerOrgId: string, funding: string) =>
      one(
        `INSERT INTO source_systems (name, kind, owner_org_id, funding, connection) VALUES ($1, 'rtsp', $2, $3, '{}')`,
        [`src-${funding}-${ownerOrgId}`, ownerOrgId, funding],
      ),
    camera: (
      sourceId: string,
      ext: string,
      district: string,
      grade: number,
      at: { lon: number; lat: number },
    ) =>
      one(
        `INSERT INTO cameras (source_id, external_id, name, lon, lat, district_code, site_category, location_kind, grade, state)
         VALUES ($1, $2, $2, $3, $4, $5, 'transport', 'road', $6, 'in_service')`,
        [sourceId, ext, at.lon, at.lat, district, grade],
      ),
  };
}

const MEDIA_DIR = fileURLToPath(new URL('../../media-server', import.meta.url));

/** A real media node in its own process, as the gateway tests run it. */
export interface TestMediaNode {
  /** Its control and public URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** Stops the process (SIGTERM, SIGKILL after 10 s) and takes the node out of `media:nodes`. */
  stop(): Promise<void>;
}

/**
 * Starts the media node on `port`, announced in the Redis of `redis` (whose URL is `redisUrl`),
 * with the gateway's token public key and control secret and any further `env`; resolves once its
 * heartbeat is in Redis (or after `readyTimeoutMs`, leaving the test to fail on what it needs).
 */
export async function startMediaNode(opts: {
  redis: Redis;
  redisUrl: string;
  nodeId: string;
  port: number;
  tokenPublicKey: string;
  controlSecret: string;
  env: Record<string, string>;
  readyTimeoutMs?: number;
}): Promise<TestMediaNode> {
  const url = `http://127.0.0.1:${opts.port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: MEDIA_DIR,
    env: {
      ...process.env,
      MEDIA_PORT: String(opts.port),
      MEDIA_NODE_ID: opts.nodeId,
      MEDIA_PUBLIC_URL: url,
      MEDIA_TOKEN_PUBLIC_KEY: opts.tokenPublicKey,
      MEDIA_CONTROL_SECRET: opts.controlSecret,
      REDIS_URL: opts.redisUrl,
      MEDIASOUP_WORKERS: '1',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: 'ignore',
  });
  const end = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  while (Date.now() < end && !(await opts.redis.get(`media:node:${opts.nodeId}`)))
    await new Promise((r) => setTimeout(r, 100));
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await opts.redis.srem('media:nodes', opts.nodeId);
    },
  };
}

/**
 * A viewer on a media node's /viewer namespace that consumes (server side) with a gateway's live
 * answer, and expects H.264; disconnect the socket to leave.
 */
export async function consumeLive(answer: { token: string; nodeUrl: string }): Promise<Socket> {
  const s = connectViewer(`${answer.nodeUrl}/viewer`, {
    auth: { token: answer.token },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  const caps = await s.emitWithAck('router:capabilities');
  if (!caps.ok) throw new Error(caps.error.code);
  expect((await s.emitWithAck('transport:create')).ok).toBe(true);
  const c = await s.emitWithAck('stream:consume', {
    token: answer.token,
    rtpCapabilities: caps.data.rtpCapabilities,
  });
  if (!c.ok) throw new Error(c.error.code);
  expect((c.data.rtpParameters as { codecs: { mimeType: string }[] }).codecs[0]?.mimeType).toBe('video/H264');
  await s.emitWithAck('stream:resume', { consumerId: c.data.consumerId });
  return s;
}

/** Runs the recordings verifier's CLI against a database and a recording directory. */
export function verifyCli(databaseUrl: string, recordingDir: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/recordings/verify-cli.ts', ...args], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, RECORDING_DIR: recordingDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
}
