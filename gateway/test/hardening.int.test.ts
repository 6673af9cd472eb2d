import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { injectAs, openReferenceDatabase, signInTo, TEST_REDIS_URL, type TestSession } from './services.ts';

const PASSWORD = 'demo-password-hardening';
const ORIGIN = 'http://127.0.0.1:3000';
const MISSING = '00000000-0000-4000-8000-00000000f00d';

// Hardening of the gateway's boundary on real PostgreSQL and Redis: control characters refused
// before they reach the database, and cameras outside the caller's tier answered like missing ones.
describe('gateway boundary: control characters, hidden cameras (real PostgreSQL and Redis)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  const prefix = `h${Date.now().toString(36)}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: prefix });
  const sessions = new Map<string, TestSession>();
  const as = async (username: string) => {
    let s = sessions.get(username);
    if (!s) {
      s = await signInTo(app, ORIGIN, username, PASSWORD);
      sessions.set(username, s);
    }
    return s;
  };
  /** Cameras of the demo: one in 武进区 (outside 天宁区 staff's tier), one above their clearance in 天宁区. */
  const cams = { otherDistrict: '', aboveClearance: '' };

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 8, password: PASSWORD });
    await redis.connect();
    app = await buildApp({
      config: gatewayEnvSchema.parse({}),
      db,
      redis,
      logger: createLogger('silent', 'gateway'),
    });
    const one = async (where: string) =>
      (
        (
          await db.query<{ id: string }>(
            `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
              WHERE s.funding = 'government' AND c.state IN ('accepted', 'in_service') AND ${where}
              ORDER BY c.id LIMIT 1`,
          )
        ).rows[0] as { id: string }
      ).id;
    cams.otherDistrict = await one(`c.district_code = '320412' AND c.grade = 1`);
    cams.aboveClearance = await one(`c.district_code = '320402' AND c.grade > 2`);
  });

  afterAll(async () => {
    await app?.close();
    redis.disconnect();
    // This file's keys only (KEYS patterns are not prefixed by the client).
    const plain = new Redis(TEST_REDIS_URL);
    const keys = await plain.keys(`${prefix}*`);
    if (keys.length) await plain.del(...keys);
    plain.disconnect();
    await db?.close();
    await drop?.();
  });

  describe('control characters in what clients send', () => {
    it.each([
      ['GET /api/cameras?q=%00', 'eoc.operator', '/api/cameras?q=%00', 'q'],
      ['GET /api/cameras?q=a%0Db', 'eoc.operator', '/api/cameras?q=a%0Db', 'q'],
      ['GET /api/cameras?cursor=%00', 'eoc.operator', '/api/cameras?cursor=%00', 'cursor'],
      ['GET /api/cameras/geojson?q=%00', 'eoc.operator', '/api/cameras/geojson?q=%00', 'q'],
      [
        'GET /api/cameras/geojson?format=compact&q=x%00',
        'eoc.operator',
        '/api/cameras/geojson?format=compact&q=x%00',
        'q',
      ],
      ['GET /api/audit?action=%00', 'auditor', '/api/audit?action=%00', 'action'],
      ['GET /api/audit?actor=%00', 'auditor', '/api/audit?actor=%00', 'actor'],
      ['GET /api/audit?targetId=%1B', 'auditor', '/api/audit?targetId=%1B', 'targetId'],
    ])('%s → 400 invalid:control_char', async (_name, user, url, field) => {
      const res = await injectAs(app, ORIGIN, await as(user), 'GET', url);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        code: 'invalid:control_char',
        message: `${field}: control characters are not allowed`,
      });
    });

    it('refuses control characters in bodies: a wall name, an incident title (400 invalid:control_char, nothing stored)', async () => {
      const walls = (await db.query<{ n: string }>('SELECT count(*) AS n FROM walls')).rows[0]?.n;
      const wall = await injectAs(app, ORIGIN, await as('eoc.operator'), 'POST', '/api/walls', {
        name: 'wall\u0000',
        layout: '4',
      });
      expect([wall.statusCode, wall.json().code]).toEqual([400, 'invalid:control_char']);
      expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM walls')).rows[0]?.n).toBe(walls);
      const incident = await injectAs(app, ORIGIN, await as('eoc.operator'), 'POST', '/api/incidents', {
        title: 'fire\u0000',
        level: 1,
        lon: 119.95,
        lat: 31.78,
        radiusM: 500,
      });
      expect([incident.statusCode, incident.json().code]).toEqual([400, 'invalid:control_char']);
    });

    it('still answers ordinary text (CJK, spaces) as before', async () => {
      const res = await injectAs(
        app,
        ORIGIN,
        await as('eoc.operator'),
        'GET',
        `/api/cameras?q=${encodeURIComponent('模拟 路口')}`,
      );
      expect(res.statusCode).toBe(200);
    });
  });

  describe('a camera outside the caller’s tier is answered like a missing one', () => {
    const decisions = async (cameraId: string, action: string) =>
      (
        await db.query<{ actor_name: string; result: string; reason: string }>(
          `SELECT actor_name, result, reason FROM audit_log WHERE action = $1 AND target_id = $2 ORDER BY seq`,
          [action, cameraId],
        )
      ).rows;

    it.each([
      ['read', 'GET', '', undefined],
      ['live', 'POST', '/live', { profile: 'sub' }],
      ['PTZ', 'POST', '/ptz', { command: 'left' }],
    ] as const)(
      '%s: 404 not_found:camera, the same body as a missing camera',
      async (_name, method, tail, body) => {
        const s = await as('tianning.staff');
        const hidden = await injectAs(
          app,
          ORIGIN,
          s,
          method,
          `/api/cameras/${cams.otherDistrict}${tail}`,
          body,
        );
        const missing = await injectAs(app, ORIGIN, s, method, `/api/cameras/${MISSING}${tail}`, body);
        expect([hidden.statusCode, hidden.json()]).toEqual([
          404,
          { code: 'not_found:camera', message: 'no such camera' },
        ]);
        expect([missing.statusCode, missing.json()]).toEqual([hidden.statusCode, hidden.json()]);
      },
    );

    it('audits the real reason (forbidden:tier) of each hidden refusal', async () => {
      expect(await decisions(cams.otherDistrict, 'camera.live')).toEqual([
        { actor_name: 'tianning.staff', result: 'deny', reason: 'forbidden:tier' },
      ]);
      expect(await decisions(cams.otherDistrict, 'camera.ptz')).toEqual([
        { actor_name: 'tianning.staff', result: 'deny', reason: 'forbidden:tier' },
      ]);
    });

    it('keeps the codes of other refusals for a camera the user can find in the catalogue', async () => {
      const s = await as('tianning.staff');
      // In the district, above the clearance: read is 403, and so are live and PTZ.
      const read = await injectAs(app, ORIGIN, s, 'GET', `/api/cameras/${cams.aboveClearance}`);
      expect([read.statusCode, read.json().code]).toEqual([403, 'forbidden:grade']);
      const live = await injectAs(app, ORIGIN, s, 'POST', `/api/cameras/${cams.aboveClearance}/live`, {
        profile: 'sub',
      });
      expect([live.statusCode, live.json().code]).toEqual([403, 'forbidden:grade']);
      const ptz = await injectAs(app, ORIGIN, s, 'POST', `/api/cameras/${cams.aboveClearance}/ptz`, {
        command: 'left',
      });
      expect([ptz.statusCode, ptz.json().code]).toEqual([403, 'forbidden:grade']);
      // A city-wide user sees the 武进区 camera: refusals there keep their code (police.chief has no
      // operator role: no PTZ; urban.admin's department needs a viewer role for live video).
      const chief = await as('police.chief');
      const ptzCity = await injectAs(app, ORIGIN, chief, 'POST', `/api/cameras/${cams.otherDistrict}/ptz`, {
        command: 'left',
      });
      expect([ptzCity.statusCode, ptzCity.json().code]).toEqual([403, 'forbidden:role']);
      const urban = await as('urban.admin');
      const liveCity = await injectAs(app, ORIGIN, urban, 'POST', `/api/cameras/${cams.otherDistrict}/live`, {
        profile: 'sub',
      });
      expect([liveCity.statusCode, liveCity.json().code]).toEqual([403, 'forbidden:role']);
    });
  });

  describe('HTTP answers', () => {
    const SECURITY_HEADERS = {
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    };

    it('carry the security headers on every kind of answer: 200, 401, 403, 404 and the CORS preflight', async () => {
      const s = await as('eoc.operator');
      const answers = [
        ['GET /healthz', await app.inject({ method: 'GET', url: '/healthz' }), 200],
        ['GET /api/openapi.json', await app.inject({ method: 'GET', url: '/api/openapi.json' }), 200],
        ['GET /api/cameras', await injectAs(app, ORIGIN, s, 'GET', '/api/cameras?limit=1'), 200],
        ['GET /api/me, no session', await app.inject({ method: 'GET', url: '/api/me' }), 401],
        [
          'POST /api/auth/logout, foreign origin',
          await app.inject({
            method: 'POST',
            url: '/api/auth/logout',
            headers: { origin: 'http://evil.example' },
          }),
          403,
        ],
        ['GET /nope', await app.inject({ method: 'GET', url: '/nope' }), 404],
        [
          'OPTIONS preflight',
          await app.inject({
            method: 'OPTIONS',
            url: '/api/cameras',
            headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
          }),
          204,
        ],
      ] as const;
      for (const [name, res, status] of answers) {
        expect(res.statusCode, name).toBe(status);
        expect(res.headers, name).toMatchObject(SECURITY_HEADERS);
      }
    });

    it('answers a path segment over the router’s limit with 414 in the platform’s shape, without the path', async () => {
      const long = `zz${'x'.repeat(300)}qq`;
      const res = await app.inject({ method: 'GET', url: `/api/cameras/${long}` });
      expect(res.statusCode).toBe(414);
      expect(res.json()).toEqual({ code: 'invalid:url_too_long', message: 'the URL is too long' });
      expect(res.body).not.toContain('zzxxx');
      expect(res.headers).toMatchObject({
        ...SECURITY_HEADERS,
        'content-type': expect.stringMatching(/^application\/json/),
      });
      const bad = await app.inject({ method: 'GET', url: '/api/cameras/%zzsecret' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({ code: 'invalid:request', message: 'malformed URL' });
      expect(bad.headers).toMatchObject(SECURITY_HEADERS);
    });
  });
});
