import { randomUUID } from 'node:crypto';
import { channelsOf } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { appendAudit } from '../src/audit/index.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { sessionHandle } from '../src/media/tokens.ts';
import {
  injectAs,
  openReferenceDatabase,
  signInTo,
  TEST_REDIS_URL,
  type TestSession,
  until,
} from './services.ts';

const PASSWORD = 'demo-password-incidents-1';
const ORIGIN = 'http://127.0.0.1:3000';
// 武进区's centroid: its district edge is ≈ 9.5 km away.
const WUJIN = { lon: 119.940815, lat: 31.638666 };

// Incident scope (issue: a district user opened the whole city's private cameras), the second
// person's confirmation of a major incident, its lapse, and who is shown which incidents.
describe('incidents: declared in scope, confirmed by a second person, listed to those they concern', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  /** The same platform with a 5 s confirmation window, for the lapse. */
  let lapsing: FastifyInstance;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  /** What the gateways announced to the media nodes (stream revocations). */
  const revocations: { scope: string; id: string; reason: string }[] = [];
  const listener = new Redis(TEST_REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:8554', simulatedCameras: 0, password: PASSWORD });
    await redis.connect();
    await listener.connect();
    listener.on('message', (_c: string, m: string) => revocations.push(JSON.parse(m)));
    await listener.subscribe(channelsOf(listener).streamRevoke);
    const logger = createLogger('silent', 'gateway');
    app = await buildApp({ config: gatewayEnvSchema.parse({ POLICY_CACHE_TTL_MS: '0' }), db, redis, logger });
    lapsing = await buildApp({
      config: gatewayEnvSchema.parse({ POLICY_CACHE_TTL_MS: '0', INCIDENT_CONFIRM_S: '5' }),
      db,
      redis,
      logger,
    });
  });

  afterAll(async () => {
    await app?.close();
    await lapsing?.close();
    redis.disconnect();
    listener.disconnect();
    await db?.close();
    await drop?.();
  });

  const signIn = (username: string, on = app) => signInTo(on, ORIGIN, username, PASSWORD);
  const post = (s: TestSession, url: string, payload?: unknown, on = app) =>
    injectAs(on, ORIGIN, s, 'POST', url, payload);
  const get = (s: TestSession, url: string, on = app) => injectAs(on, ORIGIN, s, 'GET', url);
  const auditOf = async (action: string, actor: string) =>
    (
      await db.query<{ result: string; reason: string; target_id: string | null; detail: unknown }>(
        'SELECT result, reason, target_id, detail FROM audit_log WHERE action = $1 AND actor_name = $2 ORDER BY seq',
        [action, actor],
      )
    ).rows;
  /** Private in-service cameras of the demo, with their district and distance from 武进区's centroid. */
  const privateCameras = async () =>
    (
      await db.query<{ id: string; district_code: string; km: number; lon: number; lat: number }>(
        `SELECT c.id, c.district_code, c.lon, c.lat,
                111.2 * sqrt(power(c.lat - $2, 2) + power((c.lon - $1) * cos(radians($2)), 2)) AS km
           FROM cameras c JOIN source_systems s ON s.id = c.source_id
          WHERE s.funding = 'private' AND c.state = 'in_service' AND c.grade <= 3
          ORDER BY km`,
        [WUJIN.lon, WUJIN.lat],
      )
    ).rows;
  const readable = async (s: TestSession, ids: string[], on = app) => {
    const codes = await Promise.all(
      ids.map(async (id) => (await get(s, `/api/cameras/${id}`, on)).statusCode),
    );
    return ids.filter((_, i) => codes[i] === 200);
  };

  it('refuses the probe’s declaration (a district user, level Ⅰ, 100 km) and one that crosses its district; no private camera opens', async () => {
    const eoc = await signIn('wujin.eoc');
    const police = await signIn('police.dispatcher');
    const cams = await privateCameras();
    const far = cams.filter((c) => c.km > 20).map((c) => c.id);
    expect(far.length).toBeGreaterThan(0);
    expect(await readable(police, far)).toEqual([]);

    const probe = await post(eoc, '/api/incidents', { title: '演练', level: 1, ...WUJIN, radiusM: 100_000 });
    expect([probe.statusCode, probe.json().code]).toEqual([422, 'invalid:incident_radius']);
    const crossing = await post(eoc, '/api/incidents', {
      title: '演练',
      level: 1,
      ...WUJIN,
      radiusM: 20_000,
    });
    expect([crossing.statusCode, crossing.json().code]).toEqual([403, 'forbidden:area']);
    expect(await readable(police, far)).toEqual([]);
    expect((await db.query('SELECT 1 FROM incidents')).rows).toEqual([]);
    expect(await auditOf('incident.open', 'wujin.eoc')).toEqual([
      {
        result: 'deny',
        reason: 'invalid:incident_radius',
        target_id: null,
        detail: { title: '演练', level: 1, ...WUJIN, radiusM: 100_000 },
      },
      {
        result: 'deny',
        reason: 'forbidden:area',
        target_id: null,
        detail: { title: '演练', level: 1, ...WUJIN, radiusM: 20_000 },
      },
    ]);
  });

  it('opens a major incident’s grant at once; the declarer cannot confirm it, a second operator does, once', async () => {
    const eoc = await signIn('wujin.eoc');
    const opened = await post(eoc, '/api/incidents', {
      title: '武进重大险情',
      level: 2,
      ...WUJIN,
      radiusM: 9_000,
    });
    expect(opened.statusCode).toBe(201);
    const incident = opened.json();
    expect(Date.parse(incident.confirmBy) - Date.parse(incident.openedAt)).toBe(900_000);
    expect(incident).toMatchObject({ confirmedAt: null, confirmedBy: null, grantEndsAt: incident.confirmBy });

    const own = await post(eoc, `/api/incidents/${incident.id}/confirm`);
    expect([own.statusCode, own.json().code]).toEqual([403, 'forbidden:same_person']);
    const outsider = await post(await signIn('tianning.staff'), `/api/incidents/${incident.id}/confirm`);
    expect([outsider.statusCode, outsider.json().code]).toEqual([403, 'forbidden:role']);

    const confirmed = await post(await signIn('wujin.police'), `/api/incidents/${incident.id}/confirm`);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ confirmedBy: 'wujin.police', confirmBy: incident.confirmBy });
    expect(Date.parse(confirmed.json().grantEndsAt) - Date.parse(incident.openedAt)).toBe(72 * 3_600_000);
    const twice = await post(await signIn('police.dispatcher'), `/api/incidents/${incident.id}/confirm`);
    expect([twice.statusCode, twice.json().code]).toEqual([409, 'conflict:confirmed']);

    expect(await auditOf('incident.confirm', 'wujin.eoc')).toEqual([
      { result: 'deny', reason: 'forbidden:same_person', target_id: incident.id, detail: {} },
    ]);
    expect(await auditOf('incident.confirm', 'tianning.staff')).toEqual([
      { result: 'deny', reason: 'forbidden:role', target_id: incident.id, detail: {} },
    ]);
    expect(await auditOf('incident.confirm', 'wujin.police')).toEqual([
      { result: 'ok', reason: 'confirmed', target_id: incident.id, detail: {} },
    ]);
    expect(await auditOf('incident.confirm', 'police.dispatcher')).toEqual([
      { result: 'deny', reason: 'conflict:confirmed', target_id: incident.id, detail: {} },
    ]);
    // The review shows who confirmed, and when.
    const review = await get(await signIn('auditor'), `/api/incidents/${incident.id}/review`);
    expect(review.json()).toMatchObject({
      confirmBy: incident.confirmBy,
      confirmedBy: 'wujin.police',
      confirmedAt: confirmed.json().confirmedAt,
      grantEndsAt: confirmed.json().grantEndsAt,
    });
    await post(eoc, `/api/incidents/${incident.id}/close`);
    await until(
      'the closing announced',
      async () => revocations.find((r) => r.scope === 'incident' && r.id === incident.id),
      5000,
    );
  });

  it('tells the media nodes when a user’s rights change, whichever process announced the change', async () => {
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'wujin.police'`);
    const userId = rows[0]?.id ?? '';
    // What a user administration tool does after changing a user: announce it to every gateway.
    await redis.publish(channelsOf(redis).policyInvalidate, JSON.stringify({ kind: 'user', id: userId }));
    await until('the rights change announced', async () => revocations.find((r) => r.id === userId), 5000);
    for (const r of revocations.filter((x) => x.id === userId)) {
      expect(r).toEqual({ scope: 'user', id: userId, reason: 'rights_changed' });
    }
  });

  it('tells the media nodes when a session signs out, naming it by its handle only', async () => {
    const s = await signIn('police.dispatcher');
    const out = await post(s, '/api/auth/logout');
    expect(out.statusCode).toBe(204);
    const handle = sessionHandle(s.sid);
    expect(handle).not.toContain(s.sid);
    await until('the sign-out announced', async () => revocations.find((r) => r.id === handle), 5000);
    expect(revocations.filter((r) => r.id === handle)).toEqual([
      { scope: 'session', id: handle, reason: 'signed_out' },
    ]);
    expect(JSON.stringify(revocations)).not.toContain(s.sid);
  });

  it('lets an unconfirmed grant lapse at its deadline: the private cameras close again, confirming after is refused', async () => {
    const eoc = await signIn('eoc.operator', lapsing);
    const centre = (await privateCameras()).find((c) => c.district_code === '320412');
    expect(centre).toBeDefined();
    if (!centre) return;
    const near = [centre.id];
    expect(await readable(eoc, near, lapsing)).toEqual([]);
    const area = { lon: centre.lon, lat: centre.lat, radiusM: 50 };
    const opened = await post(eoc, '/api/incidents', { title: '未确认', level: 1, ...area }, lapsing);
    expect(opened.statusCode).toBe(201);
    const incident = opened.json();
    expect(Date.parse(incident.confirmBy) - Date.parse(incident.openedAt)).toBe(5_000);
    expect((await readable(eoc, near, lapsing)).sort()).toEqual([...near].sort());

    await until('the grant to lapse', async () => (await readable(eoc, near, lapsing)).length === 0, 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(incident.confirmBy));
    // The media nodes are told: every stream the grant allowed ends.
    await until(
      'the lapse announced',
      async () => revocations.find((r) => r.scope === 'incident' && r.id === incident.id),
      5000,
    );
    // (Every gateway watching the grant may announce it: the nodes apply it once.)
    for (const r of revocations.filter((x) => x.id === incident.id)) {
      expect(r).toEqual({ scope: 'incident', id: incident.id, reason: 'grant_ended' });
    }
    const late = await post(
      await signIn('police.dispatcher', lapsing),
      `/api/incidents/${incident.id}/confirm`,
      undefined,
      lapsing,
    );
    expect([late.statusCode, late.json().code]).toEqual([409, 'conflict:lapsed']);
    const review = await get(
      await signIn('auditor', lapsing),
      `/api/incidents/${incident.id}/review`,
      lapsing,
    );
    expect(review.json()).toMatchObject({
      confirmedAt: null,
      grantEndsAt: incident.confirmBy,
      closedAt: null,
    });
    await post(eoc, `/api/incidents/${incident.id}/close`, undefined, lapsing);
  });

  it('lists incidents only to those they concern; an owner sees the incidents whose grant opened its cameras', async () => {
    const city = await signIn('eoc.operator');
    const liyang = await post(city, '/api/incidents', {
      title: '溧阳演练',
      level: 4,
      lon: 119.376273,
      lat: 31.419784,
      radiusM: 500,
    });
    expect(liyang.statusCode).toBe(201);
    const wujin = await post(await signIn('wujin.eoc'), '/api/incidents', {
      title: '武进演练',
      level: 3,
      ...WUJIN,
      radiusM: 500,
    });
    expect(wujin.statusCode).toBe(201);
    const titles = async (username: string) =>
      ((await get(await signIn(username), '/api/incidents')).json().incidents as { title: string }[])
        .map((i) => i.title)
        .filter((t) => t === '溧阳演练' || t === '武进演练')
        .sort();
    expect(await titles('eoc.operator')).toEqual(['武进演练', '溧阳演练']);
    expect(await titles('auditor')).toEqual(['武进演练', '溧阳演练']);
    expect(await titles('wujin.police')).toEqual(['武进演练']);
    expect((await get(await signIn('bank.owner'), '/api/incidents')).json()).toEqual({ incidents: [] });
    expect((await get(await signIn('tianning.staff'), '/api/incidents')).json()).toEqual({ incidents: [] });
    expect((await get(await signIn('transport.regulator'), '/api/incidents')).json()).toEqual({
      incidents: [],
    });

    // A use of the bank's camera under the Liyang incident's grant (as the live route records it).
    const bank = await db.query<{ id: string; owner_org_id: string }>(
      `SELECT c.id, s.owner_org_id FROM cameras c JOIN source_systems s ON s.id = c.source_id
         JOIN users u ON u.org_id = s.owner_org_id WHERE u.username = 'bank.owner' LIMIT 1`,
    );
    const cam = bank.rows[0];
    expect(cam).toBeDefined();
    if (!cam) return;
    await db.transaction((tx) =>
      appendAudit(tx, {
        actorId: null,
        actorName: 'police.dispatcher',
        action: 'stream.token',
        targetKind: 'camera',
        targetId: cam.id,
        result: 'ok',
        reason: 'issued',
        address: '127.0.0.1',
        emergency: true,
        detail: {
          incidentId: liyang.json().id,
          ownerOrgId: cam.owner_org_id,
          funding: 'private',
          profile: 'sub',
          jti: randomUUID(),
        },
      }),
    );
    const seen = (await get(await signIn('bank.owner'), '/api/incidents')).json().incidents as {
      id: string;
    }[];
    expect(seen.map((i) => i.id)).toEqual([liyang.json().id]);
    expect((await get(await signIn('hotel.owner'), '/api/incidents')).json()).toEqual({ incidents: [] });
  });
});
