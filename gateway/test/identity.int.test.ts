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

  describe('sign-in limits under concurrency, per address, and per user over every address', () => {
    // Its own gateway with the default per-user limit (5) and a small bound over every address.
    let limited: FastifyInstance;
    const limitedPrefix = `${prefix}l:`;
    const limitedRedis = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: limitedPrefix });

    beforeAll(async () => {
      await limitedRedis.connect();
      const config = gatewayEnvSchema.parse({ LOGIN_MAX_PER_USER_GLOBAL: '12' });
      expect([config.LOGIN_MAX_PER_USER, config.LOGIN_MAX_PER_ADDRESS]).toEqual([5, 30]);
      limited = await buildApp({
        config,
        db,
        redis: limitedRedis,
        logger: createLogger('silent', 'gateway'),
      });
    });

    afterAll(async () => {
      await limited?.close();
      limitedRedis.disconnect();
    });

    const attempt = (username: string, password: string, remoteAddress: string) =>
      limited.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { origin: ORIGIN },
        remoteAddress,
        payload: { username, password },
      });
    const statuses = (res: { statusCode: number }[]) => res.map((r) => r.statusCode).sort();
    const logins = async (username: string, address: string) =>
      (
        await db.query<{ result: string; reason: string; detail: Record<string, unknown> }>(
          `SELECT result, reason, detail FROM audit_log WHERE action = 'auth.login' AND actor_name = $1
             AND address = $2 ORDER BY seq`,
          [username, address],
        )
      ).rows;

    it('counts each attempt before the password hash: of 10 concurrent wrong ones exactly 5 get 401, 5 get 429', async () => {
      const res = await Promise.all(
        Array.from({ length: 10 }, (_, i) => attempt('wujin.eoc', `wrong-${i}`, '10.9.0.1')),
      );
      expect(statuses(res)).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
      for (const r of res.filter((x) => x.statusCode === 429)) {
        expect(r.json()).toEqual({
          code: 'rate_limited',
          message: 'too many sign-in attempts: wait and try again',
        });
        const wait = Number(r.headers['retry-after']);
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(900);
      }
      // Every attempt is in the log: five wrong passwords, five refused by the per-address lockout.
      const rows = await logins('wujin.eoc', '10.9.0.1');
      expect(rows.filter((r) => r.reason === 'wrong_password')).toHaveLength(5);
      expect(rows.filter((r) => r.reason === 'rate_limited').map((r) => r.detail)).toEqual(
        Array.from({ length: 5 }, () => ({ limits: ['user_address'] })),
      );
      expect(rows.every((r) => r.result === 'deny')).toBe(true);
      // Locked at that address, even with the right password.
      expect((await attempt('wujin.eoc', PASSWORD, '10.9.0.1')).statusCode).toBe(429);
    });

    it('does not let failures at one address lock the user out at another; the bound over every address still holds', async () => {
      const user = 'transport.regulator';
      // An attacker at X who knows the name: locked out there after 5.
      const atX = await Promise.all(
        Array.from({ length: 10 }, (_, i) => attempt(user, `guess-${i}`, '10.9.1.66')),
      );
      expect(statuses(atX)).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
      // The operator at Y signs in at once; another user at X is not locked out either.
      expect((await attempt(user, PASSWORD, '10.9.1.77')).statusCode).toBe(200);
      expect((await attempt('urban.admin', PASSWORD, '10.9.1.66')).statusCode).toBe(200);
      // The attack spreads over two more addresses: the user's count over every address reaches its
      // bound (12 = 5 at X + 7 here), and every further attempt is refused, wherever it comes from.
      const spread = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => attempt(user, `guess-a${i}`, '10.9.1.1')),
        ...Array.from({ length: 5 }, (_, i) => attempt(user, `guess-b${i}`, '10.9.1.2')),
      ]);
      expect(statuses(spread)).toEqual([401, 401, 401, 401, 401, 401, 401, 429, 429, 429]);
      const atY = await attempt(user, PASSWORD, '10.9.1.77');
      expect(atY.statusCode).toBe(429);
      expect(atY.json().code).toBe('rate_limited');
      expect((await logins(user, '10.9.1.77')).map((r) => [r.result, r.reason, r.detail])).toEqual([
        ['ok', 'password', {}],
        ['deny', 'rate_limited', { limits: ['user'] }],
      ]);
      // Other users are not touched by it.
      expect((await attempt('hotel.owner', PASSWORD, '10.9.1.77')).statusCode).toBe(200);
    });

    it('refuses a name with a NUL with 400 invalid:control_char, audited and counted like a failed sign-in', async () => {
      const name = 'eoc.operator\u0000';
      const res = await Promise.all(Array.from({ length: 7 }, () => attempt(name, PASSWORD, '10.9.2.1')));
      expect(statuses(res)).toEqual([400, 400, 400, 400, 400, 429, 429]);
      expect(res.find((r) => r.statusCode === 400)?.json()).toEqual({
        code: 'invalid:control_char',
        message: 'the username and password may not contain control characters',
      });
      // The log keeps the name with the NUL made storable (U+FFFD).
      const rows = await logins('eoc.operator\uFFFD', '10.9.2.1');
      expect(rows.map((r) => `${r.result} ${r.reason}`).sort()).toEqual([
        ...Array.from({ length: 5 }, () => 'deny invalid:control_char'),
        ...Array.from({ length: 2 }, () => 'deny rate_limited'),
      ]);
      // A NUL in the password of a real user counts against that user at that address too.
      const pw = await attempt('eoc.operator', 'x\u0000', '10.9.2.2');
      expect(pw.statusCode).toBe(400);
      expect(pw.json().code).toBe('invalid:control_char');
      expect((await logins('eoc.operator', '10.9.2.2')).map((r) => r.reason)).toEqual([
        'invalid:control_char',
      ]);
    });
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
