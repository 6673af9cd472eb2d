import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  type CameraItem,
  type CameraPage,
  cameraMapCompactSchema,
  cameraMapGeoJsonSchema,
  cameraPageSchema,
  type DistrictCode,
  sourceSchema,
} from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, districtAt } from '@wall/protocol/districts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadCamera, openIncidents } from '../src/cameras/facts.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { findUserById } from '../src/identity/index.ts';
import { type CameraFacts, decide, EARTH_RADIUS_M, haversineMetres, subjectOf } from '../src/policy/index.ts';
import { SourceSecretBox } from '../src/registry/index.ts';
import { rtspPull, streamUrlOf } from '../src/sources/index.ts';
import { injectAs, openReferenceDatabase, signInTo, TEST_REDIS_URL, type TestSession } from './services.ts';

const PASSWORD = 'demo-password-registry';
const ORIGIN = 'http://127.0.0.1:3000';
const KEY = randomBytes(32).toString('base64url');
const SECRET = { username: 'nvr-admin', password: 'S3cr3t-Pa55-奇' };
const RAD = Math.PI / 180;

type Session = TestSession;
type Query = Record<string, string | number | (string | number)[]>;

/** Tianning (320402) centroid and points at a given distance east of it. */
const tianning = CHANGZHOU_DISTRICTS.features.find((f) => f.properties.adcode === 320402);
const [CX, CY] = tianning?.properties.centroid ?? [0, 0];
const east = (m: number): [number, number] => [CX + m / (EARTH_RADIUS_M * Math.cos(CY * RAD) * RAD), CY];

describe('registry API: sources, cameras, search, map (real PostgreSQL and Redis)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  const logs: string[] = [];
  const prefix = `treg${randomBytes(3).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const appRedis = new Redis(TEST_REDIS_URL, { lazyConnect: true, keyPrefix: prefix });
  const sub = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const announced: string[] = [];
  const orgs: Record<string, string> = {};
  const users: Record<string, string> = {};
  const sessions: Record<string, Session> = {};

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 4, password: PASSWORD });
    await Promise.all([redis.connect(), appRedis.connect(), sub.connect()]);
    sub.on('message', (_c: string, m: string) => announced.push(m));
    await sub.subscribe('policy:invalidate');

    // Our own orgs and users (the demo's may change): same password hash as the demo users.
    const hash = (await db.query<{ h: string }>('SELECT password_hash AS h FROM users LIMIT 1')).rows[0]?.h;
    const org = async (key: string, tier: string, district: string | null, kind: string) => {
      const r = await db.query<{ id: string }>(
        `INSERT INTO organisations (name, tier, district_code, department_kind) VALUES ($1, $2, $3, $4) RETURNING id`,
        [`测试-${key}-${prefix}`, tier, district, kind],
      );
      orgs[key] = r.rows[0]?.id ?? '';
    };
    await org('registry', 'city', null, 'admin');
    await org('registry-tn', 'district', '320402', 'admin');
    await org('police', 'city', null, 'police');
    await org('tianning', 'district', '320402', 'emergency');
    await org('bank', 'unit', '320402', 'owner');
    const user = async (name: string, orgKey: string, roles: string[], clearance: number) => {
      const r = await db.query<{ id: string }>(
        `INSERT INTO users (org_id, username, display_name, password_hash, roles, clearance, work_id)
         VALUES ($1, $2, $2, $3, $4, $5, $2) RETURNING id`,
        [orgs[orgKey], name, hash, roles, clearance],
      );
      users[name] = r.rows[0]?.id ?? '';
    };
    await user('t.registrar', 'registry', ['registry_admin'], 1);
    await user('t.registrar.tn', 'registry-tn', ['registry_admin'], 1);
    await user('t.police', 'police', ['operator'], 4);
    await user('t.tianning', 'tianning', ['operator'], 2);
    await user('t.bank', 'bank', ['owner'], 3);

    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      }),
    );
    const config = gatewayEnvSchema.parse({ SOURCE_SECRET_KEY: KEY });
    app = await buildApp({ config, db, redis: appRedis, logger });
    for (const name of Object.keys(users)) sessions[name] = await signIn(name);
  });

  afterAll(async () => {
    await app?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    appRedis.disconnect();
    sub.disconnect();
    await db?.close();
    await drop?.();
  });

  const signIn = (username: string): Promise<Session> => signInTo(app, ORIGIN, username, PASSWORD);
  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    injectAs(app, ORIGIN, sessions[who] as Session, method, url, payload);
  const qs = (q: Query) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q))
      for (const x of Array.isArray(v) ? v : [v]) p.append(k, String(x));
    return p.toString();
  };
  const search = (who: string, q: Query) => call(who, 'GET', `/api/cameras?${qs(q)}`);
  /** Every page of a search, checked against the page schema. */
  async function allPages(
    who: string,
    q: Query,
  ): Promise<{ items: CameraItem[]; pages: number; total: number | null }> {
    const items: CameraItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let total: number | null = null;
    do {
      const res = await search(who, cursor ? { ...q, cursor } : q);
      expect(res.statusCode).toBe(200);
      const page: CameraPage = cameraPageSchema.parse(res.json());
      if (pages === 0) total = page.total;
      else expect(page.total).toBeNull();
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThan(500);
    } while (cursor);
    return { items, pages, total };
  }
  const auditOf = async (where: string, params: unknown[]) =>
    (
      await db.query<{
        action: string;
        result: string;
        reason: string;
        actor_name: string;
        target_id: string | null;
        detail: Record<string, unknown>;
      }>(
        `SELECT action, result, reason, actor_name, target_id, detail FROM audit_log WHERE ${where} ORDER BY seq`,
        params,
      )
    ).rows;
  const lastAudit = async () => (await auditOf('seq = (SELECT max(seq) FROM audit_log)', []))[0];

  /** What the policy lets `username` read, over every camera in the database (the oracle). */
  async function visible(username: string) {
    const u = await findUserById(db, users[username] as string);
    if (!u) throw new Error(`no user ${username}`);
    const subject = subjectOf(u);
    const ctx = { now: new Date(), openIncidents: await openIncidents(db) };
    const { rows } = await db.query<{
      id: string;
      name: string;
      address: string | null;
      lon: number;
      lat: number;
      district_code: DistrictCode;
      site_category: string;
      grade: number;
      state: CameraFacts['state'];
      owner_org_id: string;
      funding: CameraFacts['funding'];
    }>(
      `SELECT c.id, c.name, c.address, c.lon, c.lat, c.district_code, c.site_category, c.grade, c.state,
              s.owner_org_id, s.funding FROM cameras c JOIN source_systems s ON s.id = c.source_id`,
    );
    return rows
      .filter(
        (r) =>
          decide(
            subject,
            {
              id: r.id,
              ownerOrgId: r.owner_org_id,
              funding: r.funding,
              districtCode: r.district_code,
              grade: r.grade as CameraFacts['grade'],
              state: r.state,
              lon: r.lon,
              lat: r.lat,
            },
            'catalog:read',
            ctx,
          ).allow,
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  // Shared fixtures, made by the first tests.
  let bankSource = '';
  let govSource = '';
  const cams: Record<string, CameraItem> = {};
  const newCamera = (over: Record<string, unknown> = {}) => {
    const [lon, lat] = east(500);
    return {
      sourceId: bankSource,
      externalId: `ch-${randomBytes(4).toString('hex')}`,
      name: '测试网点大厅',
      address: '常州市天宁区测试路1号',
      lon,
      lat,
      category: 'financial_vaults',
      locationKind: 'hall',
      grade: 2,
      profiles: { main: { path: '/ch1/main' }, sub: { path: '/ch1/sub' } },
      ...over,
    };
  };

  describe('source systems', () => {
    it('registers a source: 201, the secret is never returned, stored sealed, audited without it', async () => {
      expect(districtAt(CX, CY)).toBe('320402');
      const res = await call('t.registrar', 'POST', '/api/sources', {
        name: '测试银行监控系统',
        kind: 'rtsp',
        ownerOrgId: orgs.bank,
        funding: 'private',
        connection: { baseUrl: 'rtsp://nvr.bank.test:554' },
        secret: SECRET,
      });
      expect(res.statusCode).toBe(201);
      const body = sourceSchema.parse(res.json());
      bankSource = body.id;
      expect(body).toMatchObject({
        name: '测试银行监控系统',
        kind: 'rtsp',
        ownerOrgId: orgs.bank,
        funding: 'private',
        connection: { baseUrl: 'rtsp://nvr.bank.test:554' },
        hasSecret: true,
        removedAt: null,
      });
      expect(res.body).not.toContain(SECRET.password);
      expect(res.body).not.toContain(SECRET.username);
      expect(Object.keys(res.json())).not.toContain('secret');

      const stored = await db.query<{ secret_ciphertext: Buffer; connection: unknown }>(
        'SELECT secret_ciphertext, connection FROM source_systems WHERE id = $1',
        [bankSource],
      );
      const sealed = stored.rows[0]?.secret_ciphertext as Buffer;
      expect(sealed.includes(Buffer.from(SECRET.password))).toBe(false);
      expect(sealed.includes(Buffer.from(SECRET.username))).toBe(false);
      expect(JSON.stringify(stored.rows[0]?.connection)).not.toContain(SECRET.password);
      expect(new SourceSecretBox(KEY).open(bankSource, sealed)).toEqual(SECRET);

      const audit = await auditOf("action = 'source.register' AND target_id = $1", [bankSource]);
      expect(audit).toEqual([
        {
          action: 'source.register',
          result: 'ok',
          reason: 'registered',
          actor_name: 't.registrar',
          target_id: bankSource,
          detail: {
            name: '测试银行监控系统',
            kind: 'rtsp',
            ownerOrgId: orgs.bank,
            funding: 'private',
            connection: { baseUrl: 'rtsp://nvr.bank.test:554' },
            secret: 'set',
          },
        },
      ]);

      const gov = await call('t.registrar', 'POST', '/api/sources', {
        name: '测试天宁平台',
        kind: 'gb28181',
        ownerOrgId: orgs.police,
        funding: 'government',
        connection: { deviceId: '32040200002000000001', host: '10.1.2.3', port: 5060 },
      });
      expect(gov.statusCode).toBe(201);
      govSource = gov.json().id;
      expect(gov.json().hasSecret).toBe(false);
    });

    it('reads sources without secrets, only within the reader’s reach', async () => {
      const one = await call('t.registrar', 'GET', `/api/sources/${bankSource}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ id: bankSource, hasSecret: true });
      expect(one.body).not.toContain(SECRET.password);
      // The bank sees its own system; the Tianning emergency office does not see the bank's.
      expect((await call('t.bank', 'GET', `/api/sources/${bankSource}`)).statusCode).toBe(200);
      const other = await call('t.tianning', 'GET', `/api/sources/${bankSource}`);
      expect(other.statusCode).toBe(404);
      expect(other.json().code).toBe('not_found:source');
      const list = await call('t.bank', 'GET', '/api/sources');
      expect(list.json().sources.map((s: { id: string }) => s.id)).toEqual([bankSource]);
      const all = await call('t.registrar', 'GET', '/api/sources');
      expect(all.json().sources.length).toBeGreaterThanOrEqual(3);
    });

    it('refuses bad sources with 400 naming the field, and credentials inside a URL', async () => {
      const res = await call('t.registrar', 'POST', '/api/sources', {
        name: '',
        kind: 'rtsp',
        ownerOrgId: orgs.bank,
        funding: 'private',
        connection: { baseUrl: 'rtsp://user:pw-in-url@nvr.test' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('invalid:request');
      expect(res.json().message).toMatch(/name: /);
      expect(res.json().message).toMatch(/connection\.baseUrl: .*credentials go in `secret`/);
      expect(res.body).not.toContain('pw-in-url');
      const patch = await call('t.registrar', 'PATCH', `/api/sources/${govSource}`, {
        connection: { deviceId: '123' },
      });
      expect(patch.statusCode).toBe(400);
      expect(patch.json().message).toMatch(/^connection\.deviceId: expected a 20-digit/);
    });

    it('refuses writes by a user without the registry_admin role (403, audited)', async () => {
      const res = await call('t.tianning', 'POST', '/api/sources', {
        name: 'x',
        kind: 'rtsp',
        ownerOrgId: orgs.tianning,
        funding: 'government',
        connection: { baseUrl: 'rtsp://x.test' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden:role');
      expect(await lastAudit()).toMatchObject({
        action: 'source.register',
        result: 'deny',
        reason: 'forbidden:role',
        actor_name: 't.tianning',
        target_id: null,
      });
    });

    it('replaces and clears the secret on update; the audit says so without the value', async () => {
      const replaced = await call('t.registrar', 'PATCH', `/api/sources/${govSource}`, {
        name: '测试天宁平台(新)',
        secret: { password: 'sip-password-2' },
      });
      expect(replaced.statusCode).toBe(200);
      expect(replaced.json()).toMatchObject({ name: '测试天宁平台(新)', hasSecret: true });
      expect(await lastAudit()).toEqual({
        action: 'source.update',
        result: 'ok',
        reason: 'updated',
        actor_name: 't.registrar',
        target_id: govSource,
        detail: { changes: { name: { from: '测试天宁平台', to: '测试天宁平台(新)' } }, secret: 'replaced' },
      });
      const sealed = (
        await db.query<{ s: Buffer }>('SELECT secret_ciphertext AS s FROM source_systems WHERE id = $1', [
          govSource,
        ])
      ).rows[0]?.s as Buffer;
      expect(new SourceSecretBox(KEY).open(govSource, sealed)).toEqual({ password: 'sip-password-2' });
      const cleared = await call('t.registrar', 'PATCH', `/api/sources/${govSource}`, { secret: null });
      expect(cleared.json().hasSecret).toBe(false);
      expect((await lastAudit())?.detail).toEqual({ changes: {}, secret: 'cleared' });
      expect(logs.join('')).not.toContain('sip-password-2');
    });

    it('refuses a source owned outside a district registrar’s district (403 forbidden:tier, audited)', async () => {
      const res = await call('t.registrar.tn', 'POST', '/api/sources', {
        name: 'x',
        kind: 'rtsp',
        ownerOrgId: orgs.police,
        funding: 'government',
        connection: { baseUrl: 'rtsp://x.test' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden:tier');
      expect(await lastAudit()).toMatchObject({
        action: 'source.register',
        result: 'deny',
        reason: 'forbidden:tier',
      });
    });
  });

  describe('cameras: register, update, remove', () => {
    it('registers a camera: 201 with the file, district taken from the point, audited', async () => {
      const body = newCamera({ externalId: 'ch-001' });
      const res = await call('t.registrar', 'POST', '/api/cameras', body);
      expect(res.statusCode).toBe(201);
      const cam = res.json() as CameraItem;
      cams.bank = cam;
      expect(cam).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        sourceId: bankSource,
        externalId: 'ch-001',
        name: '测试网点大厅',
        address: '常州市天宁区测试路1号',
        lon: body.lon,
        lat: body.lat,
        districtCode: '320402',
        category: 'financial_vaults',
        locationKind: 'hall',
        grade: 2,
        state: 'registered',
        installer: null,
        sourceKind: 'rtsp',
        funding: 'private',
        ownerOrgId: orgs.bank,
        profiles: { main: true, sub: true },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(await auditOf("action = 'camera.register' AND target_id = $1", [cam.id])).toEqual([
        {
          action: 'camera.register',
          result: 'ok',
          reason: 'registered',
          actor_name: 't.registrar',
          target_id: cam.id,
          detail: {
            sourceId: bankSource,
            externalId: 'ch-001',
            locationKind: 'hall',
            name: '测试网点大厅',
            lon: body.lon,
            lat: body.lat,
            districtCode: '320402',
            category: 'financial_vaults',
            grade: 2,
          },
        },
      ]);
      // Change notification after commit (wired to the decision cache's invalidation channel).
      await expect.poll(() => announced).toContainEqual(JSON.stringify({ kind: 'camera', id: cam.id }));
      // The media node's URL carries the sealed credentials, opened only by the resolver.
      const record = await loadCamera(db, cam.id);
      if (!record) throw new Error('the registered camera does not load');
      const url = streamUrlOf(rtspPull(new SourceSecretBox(KEY)), record, 'main');
      expect(url).toBe(`rtsp://nvr-admin:${encodeURIComponent(SECRET.password)}@nvr.bank.test:554/ch1/main`);

      const gov = await call(
        't.registrar',
        'POST',
        '/api/cameras',
        newCamera({
          sourceId: govSource,
          externalId: '32040200001310000001',
          name: '测试路口东',
          category: 'transport',
          locationKind: 'intersection',
          grade: 1,
          profiles: { main: {} },
        }),
      );
      expect(gov.statusCode).toBe(201);
      cams.gov = gov.json();
      expect(cams.gov?.profiles).toEqual({ main: true, sub: false });
    });

    it.each(['dormitory', 'hotel_guest_room', 'bathhouse', 'changing_room', 'toilet'])(
      'refuses a camera in a %s: 422 refused:private_space, audited as a denial, nothing stored',
      async (kind) => {
        const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM cameras')).rows[0]?.n;
        const body = newCamera({ locationKind: kind });
        const res = await call('t.registrar', 'POST', '/api/cameras', body);
        expect(res.statusCode).toBe(422);
        expect(res.json().code).toBe('refused:private_space');
        expect(await lastAudit()).toEqual({
          action: 'camera.register',
          result: 'deny',
          reason: 'refused:private_space',
          actor_name: 't.registrar',
          target_id: null,
          detail: { sourceId: bankSource, externalId: body.externalId, locationKind: kind },
        });
        expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM cameras')).rows[0]?.n).toBe(
          before,
        );
      },
    );

    it('answers an invalid body with 400 listing every bad field', async () => {
      const res = await call('t.registrar', 'POST', '/api/cameras', {
        ...newCamera(),
        lon: 200,
        name: undefined,
        grade: 5,
        colour: 'red',
      });
      expect(res.statusCode).toBe(400);
      const msg: string = res.json().message;
      for (const field of ['lon', 'name', 'grade']) expect(msg).toMatch(new RegExp(`(^|; )${field}: `));
      expect(msg).toMatch(/colour/);
    });

    it('refuses a write by a non-administrator: 403 forbidden:role, audited', async () => {
      const res = await call('t.police', 'POST', '/api/cameras', newCamera());
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden:role');
      expect(await lastAudit()).toMatchObject({
        action: 'camera.register',
        result: 'deny',
        reason: 'forbidden:role',
        actor_name: 't.police',
      });
      const patch = await call('t.bank', 'PATCH', `/api/cameras/${cams.bank?.id}`, { name: 'x' });
      expect(patch.statusCode).toBe(403);
      expect(await lastAudit()).toMatchObject({
        action: 'camera.update',
        result: 'deny',
        reason: 'forbidden:role',
        target_id: cams.bank?.id,
      });
    });

    it('refuses duplicates, contradicting districts, unknown sources and out-of-district registrars', async () => {
      const dup = await call('t.registrar', 'POST', '/api/cameras', newCamera({ externalId: 'ch-001' }));
      expect(dup.statusCode).toBe(409);
      expect(dup.json().code).toBe('conflict:duplicate');
      const wrong = await call('t.registrar', 'POST', '/api/cameras', newCamera({ districtCode: '320404' }));
      expect(wrong.statusCode).toBe(422);
      expect(wrong.json()).toEqual({
        code: 'invalid:location',
        message: 'the point lies in district 320402, not 320404',
      });
      const nosrc = await call(
        't.registrar',
        'POST',
        '/api/cameras',
        newCamera({ sourceId: '00000000-0000-4000-8000-000000000000' }),
      );
      expect(nosrc.statusCode).toBe(404);
      expect(nosrc.json().code).toBe('not_found:source');
      // A Tianning registrar may file Tianning cameras, not Zhonglou ones.
      const zl = CHANGZHOU_DISTRICTS.features.find((f) => f.properties.adcode === 320404)?.properties
        .centroid;
      const out = await call(
        't.registrar.tn',
        'POST',
        '/api/cameras',
        newCamera({ lon: zl?.[0], lat: zl?.[1] }),
      );
      expect(out.statusCode).toBe(403);
      expect(out.json().code).toBe('forbidden:tier');
      expect(await lastAudit()).toMatchObject({
        action: 'camera.register',
        result: 'deny',
        reason: 'forbidden:tier',
      });
      const inside = await call('t.registrar.tn', 'POST', '/api/cameras', newCamera());
      expect(inside.statusCode).toBe(201);
    });

    it('follows the lifecycle: registered → accepted → in_service, no skipping, audited changes', async () => {
      const id = cams.bank?.id;
      const skip = await call('t.registrar', 'PATCH', `/api/cameras/${id}`, { state: 'in_service' });
      expect(skip.statusCode).toBe(409);
      expect(skip.json().code).toBe('conflict:state');
      expect(await lastAudit()).toMatchObject({
        action: 'camera.update',
        result: 'deny',
        reason: 'conflict:state',
        detail: { from: 'registered', to: 'in_service' },
      });
      const accepted = await call('t.registrar', 'PATCH', `/api/cameras/${id}`, { state: 'accepted' });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json().state).toBe('accepted');
      expect(await lastAudit()).toEqual({
        action: 'camera.update',
        result: 'ok',
        reason: 'updated',
        actor_name: 't.registrar',
        target_id: id,
        detail: { changes: { state: { from: 'registered', to: 'accepted' } } },
      });
      const back = await call('t.registrar', 'PATCH', `/api/cameras/${id}`, { state: 'registered' });
      expect(back.statusCode).toBe(409);
      const live = await call('t.registrar', 'PATCH', `/api/cameras/${id}`, {
        state: 'in_service',
        name: '测试网点大厅(一)',
        installer: '常州安防工程有限公司',
      });
      expect(live.statusCode).toBe(200);
      expect(live.json()).toMatchObject({
        state: 'in_service',
        name: '测试网点大厅(一)',
        installer: '常州安防工程有限公司',
      });
      cams.bank = live.json();
      const toilet = await call('t.registrar', 'PATCH', `/api/cameras/${id}`, { locationKind: 'toilet' });
      expect(toilet.statusCode).toBe(422);
      expect(toilet.json().code).toBe('refused:private_space');
      expect(await lastAudit()).toMatchObject({
        action: 'camera.update',
        result: 'deny',
        reason: 'refused:private_space',
      });
      const half = await call('t.registrar', 'PATCH', `/api/cameras/${id}`, { lon: 120 });
      expect(half.statusCode).toBe(400);
      expect(half.json().message).toMatch(/lon: lon and lat are changed together/);
    });

    it('moves a camera into another district when its point moves', async () => {
      const made = await call(
        't.registrar',
        'POST',
        '/api/cameras',
        newCamera({ sourceId: govSource, grade: 1 }),
      );
      const zl = CHANGZHOU_DISTRICTS.features.find((f) => f.properties.adcode === 320404)?.properties
        .centroid;
      const moved = await call('t.registrar', 'PATCH', `/api/cameras/${made.json().id}`, {
        lon: zl?.[0],
        lat: zl?.[1],
      });
      expect(moved.statusCode).toBe(200);
      expect(moved.json()).toMatchObject({ districtCode: '320404', lon: zl?.[0], lat: zl?.[1] });
      expect((await lastAudit())?.detail).toMatchObject({
        changes: { districtCode: { from: '320402', to: '320404' } },
      });
      // The Tianning registrar may not touch it any more.
      const tn = await call('t.registrar.tn', 'PATCH', `/api/cameras/${made.json().id}`, { name: 'x' });
      expect(tn.statusCode).toBe(403);
      expect(tn.json().code).toBe('forbidden:tier');
    });

    it('removes by state: the file stays, is still read as removed, and is final', async () => {
      const made = await call('t.registrar', 'POST', '/api/cameras', newCamera({ name: '测试待拆除' }));
      const id = made.json().id as string;
      const removed = await call('t.registrar', 'DELETE', `/api/cameras/${id}`);
      expect(removed.statusCode).toBe(200);
      expect(removed.json()).toMatchObject({ id, state: 'removed', name: '测试待拆除' });
      expect(await lastAudit()).toMatchObject({
        action: 'camera.remove',
        result: 'ok',
        reason: 'removed',
        target_id: id,
        detail: { changes: { state: { from: 'registered', to: 'removed' } } },
      });
      expect((await db.query('SELECT 1 FROM cameras WHERE id = $1', [id])).rows).toHaveLength(1);
      const again = await call('t.registrar', 'DELETE', `/api/cameras/${id}`);
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('conflict:state');
      expect((await call('t.registrar', 'PATCH', `/api/cameras/${id}`, { name: 'x' })).statusCode).toBe(409);
      const read = await call('t.bank', 'GET', `/api/cameras/${id}`);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject({ id, state: 'removed' });
      const found = await allPages('t.bank', { state: 'removed' });
      expect(found.items.map((c) => c.id)).toEqual([id]);
      cams.removed = read.json();
    });

    it('removes a source only when its cameras are removed; a removed source takes no cameras', async () => {
      const src = await call('t.registrar', 'POST', '/api/sources', {
        name: '测试临时系统',
        kind: 'onvif',
        ownerOrgId: orgs.bank,
        funding: 'private',
        connection: { deviceUrl: 'http://10.0.0.5/onvif/device_service', rtspBaseUrl: 'rtsp://10.0.0.5:554' },
      });
      expect(src.statusCode).toBe(201);
      const sid = src.json().id as string;
      const cam = await call('t.registrar', 'POST', '/api/cameras', newCamera({ sourceId: sid }));
      const busy = await call('t.registrar', 'DELETE', `/api/sources/${sid}`);
      expect(busy.statusCode).toBe(409);
      expect(busy.json().code).toBe('conflict:in_use');
      expect(await lastAudit()).toMatchObject({
        action: 'source.remove',
        result: 'deny',
        reason: 'conflict:in_use',
        detail: { activeCameras: 1 },
      });
      expect((await call('t.registrar', 'DELETE', `/api/cameras/${cam.json().id}`)).statusCode).toBe(200);
      const gone = await call('t.registrar', 'DELETE', `/api/sources/${sid}`);
      expect(gone.statusCode).toBe(200);
      expect(gone.json().removedAt).toEqual(expect.any(String));
      expect(await lastAudit()).toMatchObject({ action: 'source.remove', result: 'ok', target_id: sid });
      const late = await call('t.registrar', 'POST', '/api/cameras', newCamera({ sourceId: sid }));
      expect(late.statusCode).toBe(409);
      expect(late.json().code).toBe('conflict:state');
    });
  });

  describe('reading and searching (only what catalog:read allows)', () => {
    // Points at exact distances east of the Tianning centroid, for the radius tests.
    const ring: Record<number, string> = {};

    beforeAll(async () => {
      for (const m of [120, 480, 900, 1500]) {
        const [lon, lat] = east(m);
        const res = await call(
          't.registrar',
          'POST',
          '/api/cameras',
          newCamera({
            sourceId: govSource,
            lon,
            lat,
            name: `测试环${m}`,
            externalId: `ring-${m}`,
            grade: 1,
            category: 'transport',
            locationKind: 'road',
          }),
        );
        expect(res.statusCode).toBe(201);
        ring[m] = res.json().id;
      }
    });

    it('reads one camera: in scope 200, out of tier 404 like a missing one, over clearance 403 (audited)', async () => {
      const ok = await call('t.police', 'GET', `/api/cameras/${cams.gov?.id}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ id: cams.gov?.id, districtCode: '320402' });
      const zl = (await visible('t.police')).find((c) => c.district_code === '320404');
      const hidden = await call('t.tianning', 'GET', `/api/cameras/${zl?.id}`);
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json()).toEqual({ code: 'not_found:camera', message: 'no such camera' });
      expect(await lastAudit()).toMatchObject({
        action: 'camera.read',
        result: 'deny',
        reason: 'forbidden:tier',
        actor_name: 't.tianning',
        target_id: zl?.id,
      });
      const missing = await call('t.tianning', 'GET', '/api/cameras/00000000-0000-4000-8000-000000000000');
      expect(missing.json()).toEqual(hidden.json());
      const high = (
        await db.query<{ id: string }>(
          `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
            WHERE c.district_code = '320402' AND s.funding = 'government' AND c.grade > 2 LIMIT 1`,
        )
      ).rows[0];
      const over = await call('t.tianning', 'GET', `/api/cameras/${high?.id}`);
      expect(over.statusCode).toBe(403);
      expect(over.json().code).toBe('forbidden:grade');
      const priv = await call('t.police', 'GET', `/api/cameras/${cams.bank?.id}`);
      expect(priv.statusCode).toBe(403);
      expect(priv.json().code).toBe('forbidden:private');
      expect((await app.inject({ method: 'GET', url: '/api/cameras' })).statusCode).toBe(401);
    });

    it('searches by bounding box (inclusive edges), all pages, equal to the policy over every camera', async () => {
      const [lon, lat] = east(900);
      // The box's east edge runs exactly through the 900 m camera.
      const bbox = [CX - 0.05, CY - 0.05, lon, lat + 0.05];
      const got = await allPages('t.police', { bbox: bbox.join(','), limit: 7 });
      const want = (await visible('t.police')).filter(
        (c) =>
          c.lon >= (bbox[0] as number) &&
          c.lon <= lon &&
          c.lat >= (bbox[1] as number) &&
          c.lat <= (bbox[3] as number),
      );
      expect(got.items.map((c) => c.id)).toEqual(want.map((c) => c.id));
      expect(got.total).toBe(want.length);
      expect(got.items.map((c) => c.id)).toContain(ring[900]);
      expect(got.items.map((c) => c.id)).not.toContain(ring[1500]);
      expect(got.pages).toBe(Math.ceil(want.length / 7));
    });

    /** Ids the policy lets `who` read within `r` of the centroid, nearest first (then by id). */
    const nearby = async (who: string, r: number) =>
      (await visible(who))
        .map((c) => ({ id: c.id, d: haversineMetres(CX, CY, c.lon, c.lat) }))
        .filter((c) => c.d <= r)
        .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
        .map((c) => c.id);

    it('searches by radius: nearest first with distances, the edge included, paged without gaps', async () => {
      const all = await allPages('t.police', { near: `${CX},${CY}`, radiusM: 5000, limit: 4 });
      const want = await nearby('t.police', 5000);
      expect(all.items.map((c) => c.id)).toEqual(want);
      const byId = new Map((await visible('t.police')).map((c) => [c.id, c]));
      // The database computes the policy's haversine: equal to the JS one within rounding.
      all.items.forEach((c) => {
        const cam = byId.get(c.id);
        expect(
          Math.abs((c.distanceM as number) - haversineMetres(CX, CY, cam?.lon ?? 0, cam?.lat ?? 0)),
        ).toBeLessThan(1e-6);
      });
      const ds = all.items.map((c) => c.distanceM as number);
      expect(ds).toEqual([...ds].sort((a, b) => a - b));
      expect(all.total).toBe(want.length);
      expect(Math.abs((all.items.find((c) => c.id === ring[480])?.distanceM ?? 0) - 480)).toBeLessThan(0.01);

      // Exactly on the circle is inside; a micrometre less is outside.
      const ringCam = all.items.find((c) => c.id === ring[900]) as CameraItem;
      const edge = ringCam.distanceM as number;
      const onEdge = await allPages('t.police', { near: `${CX},${CY}`, radiusM: String(edge) });
      expect(onEdge.items.map((c) => c.id)).toContain(ring[900]);
      const inside = await allPages('t.police', { near: `${CX},${CY}`, radiusM: String(edge - 1e-6) });
      expect(inside.items.map((c) => c.id)).not.toContain(ring[900]);
      expect(inside.items.map((c) => c.id)).toContain(ring[480]);
    });

    it('filters by district, category (repeatable), grade, state and text', async () => {
      const police = await visible('t.police');
      const byDistrict = await allPages('t.police', { district: '320404', limit: 50 });
      expect(byDistrict.items.map((c) => c.id)).toEqual(
        police.filter((c) => c.district_code === '320404').map((c) => c.id),
      );
      expect(byDistrict.items.length).toBeGreaterThan(0);

      const cats = ['transport', 'energy_water'];
      const byCat = await allPages('t.police', { category: cats, limit: 100 });
      expect(byCat.items.map((c) => c.id)).toEqual(
        police.filter((c) => cats.includes(c.site_category)).map((c) => c.id),
      );

      const byGrade = await allPages('t.police', {
        grade: '3,4',
        state: ['accepted', 'in_service'],
        limit: 100,
      });
      expect(byGrade.items.map((c) => c.id)).toEqual(
        police
          .filter((c) => c.grade >= 3 && (c.state === 'accepted' || c.state === 'in_service'))
          .map((c) => c.id),
      );
      expect(byGrade.items.length).toBeGreaterThan(0);

      const byName = await allPages('t.police', { q: '  测试环 ' });
      expect(byName.items.map((c) => c.id).sort()).toEqual(Object.values(ring).sort());
      const byAddress = await allPages('t.police', { q: '测试路1号' });
      expect(byAddress.items.map((c) => c.id)).toEqual(
        police
          .filter((c) => c.address?.includes('测试路1号') || c.name.includes('测试路1号'))
          .map((c) => c.id),
      );
      expect(byAddress.items.length).toBeGreaterThan(3);
      const bankByAddress = await allPages('t.bank', { q: '天宁区测试路' });
      expect(bankByAddress.items.map((c) => c.id)).toContain(cams.bank?.id);
      const literal = await allPages('t.police', { q: '100%_' });
      expect(literal.items).toEqual([]);
    });

    it('gives a district user only their district’s cameras within clearance', async () => {
      const got = await allPages('t.tianning', { limit: 25 });
      const want = await visible('t.tianning');
      expect(got.items.map((c) => c.id)).toEqual(want.map((c) => c.id));
      // The count comes from the database alone: the policy pushed into SQL matches decide().
      expect(got.total).toBe(want.length);
      expect(got.items.length).toBeGreaterThan(5);
      expect(new Set(got.items.map((c) => c.districtCode))).toEqual(new Set(['320402']));
      expect(Math.max(...got.items.map((c) => c.grade))).toBeLessThanOrEqual(2);
      expect(got.items.every((c) => c.funding === 'government')).toBe(true);
    });

    it('gives a unit user only their own org’s cameras', async () => {
      const got = await allPages('t.bank', {});
      expect(got.items.length).toBeGreaterThanOrEqual(2);
      expect(new Set(got.items.map((c) => c.ownerOrgId))).toEqual(new Set([orgs.bank]));
      expect(got.items.map((c) => c.id)).toEqual((await visible('t.bank')).map((c) => c.id));
      expect(got.total).toBe(got.items.length);
      expect(got.items.map((c) => c.id)).toContain(cams.removed?.id);
    });

    it('shows private cameras to police inside a major incident’s radius only, marked emergency', async () => {
      const q = { near: `${CX},${CY}`, radiusM: 2000 };
      const before = await allPages('t.police', q);
      expect(before.items.map((c) => c.id)).not.toContain(cams.bank?.id);
      const [lon, lat] = east(500);
      const opened = await call('t.police', 'POST', '/api/incidents', {
        title: '测试重大事件',
        level: 2,
        lon,
        lat,
        radiusM: 50,
      });
      expect(opened.statusCode).toBe(201);
      try {
        const during = await allPages('t.police', q);
        const bank = during.items.find((c) => c.id === cams.bank?.id);
        expect(bank).toMatchObject({ emergency: true, funding: 'private' });
        expect(during.items.map((c) => c.id)).toEqual(await nearby('t.police', 2000));
        const byId = await allPages('t.police', {
          bbox: `${lon - 0.01},${lat - 0.01},${lon + 0.01},${lat + 0.01}`,
        });
        expect(byId.items.find((c) => c.id === cams.bank?.id)?.emergency).toBe(true);
        expect(byId.total).toBe(byId.items.length);
        const read = await call('t.police', 'GET', `/api/cameras/${cams.bank?.id}`);
        expect(read.json()).toMatchObject({ id: cams.bank?.id, emergency: true });
        // The Tianning emergency office is in scope but the incident does not lift grade or tier.
        const tn = await allPages('t.tianning', q);
        expect(tn.items.find((c) => c.id === cams.bank?.id)).toMatchObject({ emergency: true });
      } finally {
        const closed = await call('t.police', 'POST', `/api/incidents/${opened.json().id}/close`, {});
        expect(closed.statusCode).toBe(200);
      }
      const after = await allPages('t.police', q);
      expect(after.items.map((c) => c.id)).not.toContain(cams.bank?.id);
    });

    it('refuses bad queries with 400 naming the parameter, and cursors of another search', async () => {
      const cases: [Query, RegExp][] = [
        [{ near: `${CX},${CY}`, radiusM: 60000 }, /^radiusM: /],
        [{ near: `${CX},${CY}` }, /radiusM: near and radiusM go together/],
        [{ bbox: '1,2,3' }, /^bbox: expected bbox=/],
        [{ bbox: '3,2,1,4' }, /^bbox: expected minLon ≤ maxLon/],
        [{ limit: 501 }, /^limit: /],
        [{ category: 'spaceport' }, /^category\.0: /],
        [{ grade: 5 }, /^grade\.0: /],
        [{ q: 'x'.repeat(101) }, /^q: /],
        [{ colour: 'red' }, /colour/],
      ];
      for (const [q, message] of cases) {
        const res = await search('t.police', q);
        expect(res.statusCode, JSON.stringify(q)).toBe(400);
        expect(res.json().message).toMatch(message);
      }
      const first = (await search('t.police', { district: '320402', limit: 2 })).json() as CameraPage;
      expect(first.nextCursor).toEqual(expect.any(String));
      const mixed = await search('t.police', {
        district: '320404',
        limit: 2,
        cursor: first.nextCursor as string,
      });
      expect(mixed.statusCode).toBe(400);
      expect(mixed.json().message).toBe('cursor: not a cursor of this search');
    });

    it('lists every readable camera for the map, as GeoJSON and as compact arrays', async () => {
      const want = await visible('t.tianning');
      const geo = await call('t.tianning', 'GET', '/api/cameras/geojson');
      expect(geo.statusCode).toBe(200);
      expect(geo.headers['content-type']).toMatch(/^application\/geo\+json/);
      const fc = cameraMapGeoJsonSchema.parse(geo.json());
      expect(fc.features.map((f) => f.id).sort()).toEqual(want.map((c) => c.id));
      const one = fc.features.find((f) => f.id === want[0]?.id);
      expect(one).toEqual({
        type: 'Feature',
        id: want[0]?.id,
        geometry: { type: 'Point', coordinates: [want[0]?.lon, want[0]?.lat] },
        properties: {
          grade: want[0]?.grade,
          state: want[0]?.state,
          category: want[0]?.site_category,
          funding: want[0]?.funding,
          emergency: false,
        },
      });
      const compact = cameraMapCompactSchema.parse(
        (await call('t.police', 'GET', '/api/cameras/geojson?format=compact')).json(),
      );
      const police = await visible('t.police');
      expect(compact.count).toBe(police.length);
      expect([...compact.id].sort()).toEqual(police.map((c) => c.id));
      const i = compact.id.indexOf(ring[900] as string);
      expect([compact.lon[i], compact.lat[i], compact.grade[i]]).toEqual([...east(900), 1]);
      expect(compact.states[compact.state[i] as number]).toBe('registered');
      expect(compact.categories[compact.category[i] as number]).toBe('transport');
      expect(compact.private[i]).toBe(0);
      const filtered = cameraMapCompactSchema.parse(
        (await call('t.police', 'GET', '/api/cameras/geojson?format=compact&district=320404&grade=1')).json(),
      );
      expect([...filtered.id].sort()).toEqual(
        police.filter((c) => c.district_code === '320404' && c.grade === 1).map((c) => c.id),
      );
      expect((await call('t.police', 'GET', '/api/cameras/geojson?format=svg')).statusCode).toBe(400);
    });

    it('never logged a source secret', () => {
      const text = logs.join('');
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain(SECRET.password);
      expect(text).not.toContain(encodeURIComponent(SECRET.password));
    });
  });
});
