import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { openReferenceDatabase, TEST_REDIS_URL } from './services.ts';

const PASSWORD = 'demo-password-identity';
const ORIGIN = 'http://127.0.0.1:3000';

describe('identity: login, sessions, CSRF, rate limits (real PostgreSQL and Redis)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  // The app's keys get a prefix of their own, so parallel runs and reruns do not meet.
  const prefix = `t${Date.now().toString(36)}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const appRedis = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: prefix });

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 8, password: PASSWORD });
    await redis.connect();
    await appRedis.connect();
    const config = gatewayEnvSchema.parse({ SESSION_IDLE_TIMEOUT_S: '2', LOGIN_MAX_PER_USER: '3' });
    app = await buildApp({ config, db, redis: appRedis, logger: createLogger('silent', 'gateway') });
  });

  beforeEach(async () => {
    const keys = await redis.keys(`${prefix}rl:*`);
    if (keys.length) await redis.del(...keys);
  });

  afterAll(async () => {
    await app?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    appRedis.disconnect();
    await db?.close();
    await drop?.();
  });

  const login = (username: string, password: string, origin = ORIGIN) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { origin },
      payload: { username, password },
    });
  const cookieOf = (res: { cookies: { name: string; value: string }[] }) =>
    res.cookies.find((c) => c.name === 'wall_sid')?.value ?? '';

  it('signs in with the right password: HttpOnly SameSite=Strict cookie, user and CSRF token', async () => {
    const res = await login('tianning.staff', PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({
      username: 'tianning.staff',
      tier: 'district',
      districtCode: '320402',
      clearance: 2,
    });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/wall_sid=[A-Za-z0-9_-]{43}/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    const me = await app.inject({ method: 'GET', url: '/api/me', cookies: { wall_sid: cookieOf(res) } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.username).toBe('tianning.staff');
  });

  it('refuses a wrong password and an unknown user alike, without a cookie', async () => {
    for (const [u, p] of [
      ['tianning.staff', 'wrong-password'],
      ['nobody.here', PASSWORD],
    ]) {
      const res = await login(u ?? '', p ?? '');
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 'unauthenticated', message: 'wrong username or password' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect((await app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
  });

  it('rate-limits sign-in attempts per user (429 with Retry-After), even with the right password', async () => {
    for (let i = 0; i < 3; i++) expect((await login('wujin.police', `wrong-${i}`)).statusCode).toBe(401);
    const limited = await login('wujin.police', PASSWORD);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another user from the same address is not locked out by it.
    expect((await login('eoc.operator', PASSWORD)).statusCode).toBe(200);
  });

  it('requires the CSRF token and a web origin for cookie-authenticated writes', async () => {
    const res = await login('eoc.operator', PASSWORD);
    const sid = cookieOf(res);
    const csrf = res.json().csrfToken as string;
    const noToken = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: { wall_sid: sid },
      headers: { origin: ORIGIN },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('forbidden:csrf');
    const evil = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: { wall_sid: sid },
      headers: { origin: 'http://evil.example', 'x-csrf-token': csrf },
    });
    expect(evil.statusCode).toBe(403);
    const evilLogin = await login('eoc.operator', PASSWORD, 'http://evil.example');
    expect(evilLogin.statusCode).toBe(403);
  });

  it('logout revokes the session at once', async () => {
    const res = await login('police.dispatcher', PASSWORD);
    const sid = cookieOf(res);
    const out = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: { wall_sid: sid },
      headers: { origin: ORIGIN, 'x-csrf-token': res.json().csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/me', cookies: { wall_sid: sid } })).statusCode).toBe(
      401,
    );
  });

  it('ends an idle session after the idle timeout, and use keeps it alive', async () => {
    const res = await login('police.chief', PASSWORD);
    const sid = cookieOf(res);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      expect(
        (await app.inject({ method: 'GET', url: '/api/me', cookies: { wall_sid: sid } })).statusCode,
      ).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 2300));
    expect((await app.inject({ method: 'GET', url: '/api/me', cookies: { wall_sid: sid } })).statusCode).toBe(
      401,
    );
  });
});
