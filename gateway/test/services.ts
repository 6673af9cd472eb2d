import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
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
 * is never placed on.
 */
export function isolatedRedisUrl(db: number): string {
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
