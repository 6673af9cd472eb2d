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
});
