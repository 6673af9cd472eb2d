import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { channelsOf } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RtspSim, startRtspSim } from '../../media-server/test/support.ts';
import { buildApp } from '../src/app.ts';
import { appendAudit } from '../src/audit/index.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import {
  injectAs,
  isolatedRedisUrl,
  openReferenceDatabase,
  REDIS_DB,
  signInTo,
  startMediaNode,
  type TestMediaNode,
  type TestSession,
  until,
} from './services.ts';

// Redis database 7: placement reads every media node in `media:nodes`; only this file's node may be there.
const REDIS_URL = isolatedRedisUrl(REDIS_DB.live);

const PASSWORD = 'demo-password-live-1';
const ORIGIN = 'http://127.0.0.1:3000';

describe('live access: policy → audit → placement → ingest → stream token (real media node)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let sim: RtspSim;
  let media: TestMediaNode;
  let mediaUrl: string;
  const nodeId = `gw-test-${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const redis = new Redis(REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    sim = await startRtspSim({ count: 2, gop: 25 });
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: sim.url, simulatedCameras: 2, password: PASSWORD });
    await redis.connect();
    media = await startMediaNode({
      redis,
      redisUrl: REDIS_URL,
      nodeId,
      port: await freePort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: { RTC_MIN_PORT: '47900', RTC_MAX_PORT: '47999', WEBRTC_PORT: '21890' },
    });
    mediaUrl = media.url;
    const config = gatewayEnvSchema.parse({
      STREAM_TOKEN_PUBLIC_KEY: jwk.x,
      STREAM_TOKEN_PRIVATE_KEY: jwk.d,
      MEDIA_CONTROL_SECRET: secret,
    });
    app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
  });

  afterAll(async () => {
    await app?.close();
    await media?.stop();
    redis.disconnect();
    await db?.close();
    await drop?.();
    await sim?.close();
  });

  const signIn = (username: string) => signInTo(app, ORIGIN, username, PASSWORD);
  const post = (s: TestSession, url: string, payload?: unknown) =>
    injectAs(app, ORIGIN, s, 'POST', url, payload);
  const live = (s: TestSession, cameraId: string, profile = 'sub') =>
    post(s, `/api/cameras/${cameraId}/live`, { profile });
  const simCamera = async (n: number) =>
    (await db.query<{ id: string }>(`SELECT id FROM cameras WHERE external_id = $1`, [`cam0${n}`])).rows[0]
      ?.id ?? '';
  const streams = async () =>
    (
      (await (
        await fetch(`${mediaUrl}/control/streams`, { headers: { authorization: `Bearer ${secret}` } })
      ).json()) as {
        streams: { cameraId: string }[];
      }
    ).streams;
  const auditRows = async (targetId: string) =>
    (
      await db.query<{ action: string; result: string; reason: string; actor_name: string }>(
        'SELECT action, result, reason, actor_name FROM audit_log WHERE target_id = $1 ORDER BY seq',
        [targetId],
      )
    ).rows;

  it('issues a short-lived token for the node that now ingests the camera, and audits it', async () => {
    const s = await signIn('eoc.operator');
    const cam = await simCamera(1);
    const res = await live(s, cam);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { token: string; nodeUrl: string; expiresAt: string; emergency: boolean };
    expect(body.nodeUrl).toBe(mediaUrl);
    expect(body.emergency).toBe(false);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ cam, prof: 'sub', aud: nodeId });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(60);
    expect(Date.parse(body.expiresAt)).toBe(claims.exp * 1000);
    expect((await streams()).map((x) => x.cameraId)).toContain(cam);
    // The node accepts the token: its snapshot answers for this camera (once a key frame is in).
    let snap = 0;
    for (let i = 0; i < 50 && snap !== 200; i++) {
      snap = (await fetch(`${mediaUrl}/snapshot/${cam}?profile=sub&token=${body.token}`)).status;
      if (snap !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(snap).toBe(200);
    expect(await auditRows(cam)).toEqual([
      { action: 'camera.live', result: 'allow', reason: 'allowed', actor_name: 'eoc.operator' },
      { action: 'stream.token', result: 'ok', reason: 'issued', actor_name: 'eoc.operator' },
    ]);
  });

  it('denies without starting an ingest or issuing a token, and audits the denial', async () => {
    const s = await signIn('urban.admin');
    const cam = await simCamera(2);
    const before = (await streams()).map((x) => x.cameraId);
    const res = await live(s, cam);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ code: expect.stringMatching(/^forbidden:/), message: expect.any(String) });
    expect(res.json().token).toBeUndefined();
    expect((await streams()).map((x) => x.cameraId)).toEqual(before);
    expect(before).not.toContain(cam);
    const rows = await auditRows(cam);
    expect(rows).toEqual([
      { action: 'camera.live', result: 'deny', reason: res.json().code, actor_name: 'urban.admin' },
    ]);
  });

  it('opens private cameras to the command centre only inside a major incident (Art. 12 ¶1), marked as emergency', async () => {
    const s = await signIn('eoc.operator');
    const { rows } = await db.query<{ id: string; lon: number; lat: number }>(
      `SELECT c.id, c.lon, c.lat FROM cameras c JOIN source_systems src ON src.id = c.source_id
        WHERE src.funding = 'private' AND c.state = 'in_service' AND c.grade <= 3 ORDER BY c.external_id LIMIT 1`,
    );
    const cam = rows[0];
    expect(cam).toBeDefined();
    if (!cam) return;
    expect((await live(s, cam.id)).json().code).toBe('forbidden:private');
    const open = (level: number) =>
      post(s, '/api/incidents', { title: `演练 ${level}`, level, lon: cam.lon, lat: cam.lat, radiusM: 500 });
    // A level Ⅲ incident is not a major one: still closed.
    const minor = await open(3);
    expect(minor.statusCode).toBe(201);
    expect((await live(s, cam.id)).json().code).toBe('forbidden:private');
    const major = await open(2);
    expect(major.statusCode).toBe(201);
    const granted = await live(s, cam.id);
    expect(granted.statusCode).toBe(200);
    expect(granted.json().emergency).toBe(true);
    const claims = JSON.parse(Buffer.from(granted.json().token.split('.')[1], 'base64url').toString());
    expect(claims.emg).toBe(true);
    const allow = await db.query<{ reason: string; emergency: boolean; detail: { incidentId?: string } }>(
      `SELECT reason, emergency, detail FROM audit_log WHERE target_id = $1 AND action = 'camera.live' AND result = 'allow'`,
      [cam.id],
    );
    expect(allow.rows).toEqual([
      {
        reason: 'allowed:emergency',
        emergency: true,
        detail: expect.objectContaining({ incidentId: major.json().id }),
      },
    ]);
    // Closing the incident ends the grant.
    const closed = await post(s, `/api/incidents/${major.json().id}/close`);
    expect(closed.statusCode).toBe(200);
    expect(closed.json().closedAt).not.toBeNull();
    expect((await live(s, cam.id)).json().code).toBe('forbidden:private');
    // Someone without a command role cannot declare one.
    const other = await signIn('urban.admin');
    const refused = await post(other, '/api/incidents', {
      title: 'x',
      level: 1,
      lon: cam.lon,
      lat: cam.lat,
      radiusM: 500,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden:role');
    // … nor close one; closing twice and closing an unknown incident are refused too, and each
    // refusal is audited with its reason.
    const opened = await open(4);
    expect((await post(other, `/api/incidents/${opened.json().id}/close`)).json().code).toBe(
      'forbidden:role',
    );
    expect((await post(s, `/api/incidents/${opened.json().id}/close`)).statusCode).toBe(200);
    const again = await post(s, `/api/incidents/${opened.json().id}/close`);
    expect([again.statusCode, again.json().code]).toEqual([400, 'invalid:request']);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await post(s, `/api/incidents/${unknown}/close`);
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'not_found:incident']);
    const refusals = await db.query(
      `SELECT actor_name, action, target_id, reason, detail->>'level' AS level FROM audit_log
        WHERE action LIKE 'incident.%' AND result = 'deny' ORDER BY seq`,
    );
    expect(refusals.rows).toEqual([
      {
        actor_name: 'urban.admin',
        action: 'incident.open',
        target_id: null,
        reason: 'forbidden:role',
        level: '1',
      },
      {
        actor_name: 'urban.admin',
        action: 'incident.close',
        target_id: opened.json().id,
        reason: 'forbidden:role',
        level: null,
      },
      {
        actor_name: 'eoc.operator',
        action: 'incident.close',
        target_id: opened.json().id,
        reason: 'invalid:request',
        level: null,
      },
      {
        actor_name: 'eoc.operator',
        action: 'incident.close',
        target_id: unknown,
        reason: 'not_found:incident',
        level: null,
      },
    ]);
  });

  it('tells the owner of each emergency use and lists every use in the incident’s review (R-ACC-4)', async () => {
    const command = await signIn('eoc.operator');
    const owner = await signIn('bank.owner');
    // A private camera of the bank (bank.owner's organisation), in service, within clearance 3.
    const { rows } = await db.query<{ id: string; name: string; lon: number; lat: number; org: string }>(
      `SELECT c.id, c.name, c.lon, c.lat, src.owner_org_id AS org
         FROM cameras c JOIN source_systems src ON src.id = c.source_id
         JOIN users u ON u.org_id = src.owner_org_id AND u.username = 'bank.owner'
        WHERE src.funding = 'private' AND c.state = 'in_service' AND c.grade <= 3
        ORDER BY c.external_id LIMIT 1`,
    );
    const cam = rows[0];
    if (!cam) throw new Error('the demo has no private camera of the bank');
    const get = (who: { sid: string }, url: string) => app.inject({ url, cookies: { wall_sid: who.sid } });
    const noticesBefore = (await get(owner, '/api/emergency-uses')).json().uses.length as number;

    // The announcement every gateway's realtime server listens to.
    const listener = redis.duplicate();
    const heard: unknown[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(JSON.parse(message)));
    await listener.subscribe(channelsOf(listener).emergencyUse);
    try {
      const major = await post(command, '/api/incidents', {
        title: '银行周边重大险情',
        level: 1,
        lon: cam.lon,
        lat: cam.lat,
        radiusM: 300,
      });
      expect(major.statusCode).toBe(201);
      const incidentId = major.json().id as string;
      // Until a second command user confirms it, the grant lapses INCIDENT_CONFIRM_S (default 900)
      // after the opening; confirmed, it ends EMERGENCY_GRANT_MAX_H (default 72) after it.
      expect(Date.parse(major.json().grantEndsAt) - Date.parse(major.json().openedAt)).toBe(900_000);
      const confirmed = await post(await signIn('police.dispatcher'), `/api/incidents/${incidentId}/confirm`);
      expect(Date.parse(confirmed.json().grantEndsAt) - Date.parse(major.json().openedAt)).toBe(
        72 * 3_600_000,
      );
      const granted = await live(command, cam.id, 'main');
      expect([granted.statusCode, granted.json().emergency]).toEqual([200, true]);
      const token = await db.query<{ seq: string; at: Date; detail: Record<string, unknown> }>(
        `SELECT seq::text, at, detail FROM audit_log
          WHERE target_id = $1 AND action = 'stream.token' AND emergency ORDER BY seq DESC LIMIT 1`,
        [cam.id],
      );
      const issued = token.rows[0];
      if (!issued) throw new Error('no emergency token entry');
      const orgOf = async (username: string) =>
        (
          await db.query<{ id: string; org_id: string; name: string }>(
            'SELECT u.id, u.org_id, o.name FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.username = $1',
            [username],
          )
        ).rows[0];
      const commandOrg = await orgOf('eoc.operator');
      // The entry keeps the owner, funding and the viewer's organisation of the moment.
      expect(issued.detail).toMatchObject({
        incidentId,
        ownerOrgId: cam.org,
        funding: 'private',
        actorOrgId: commandOrg?.org_id,
        profile: 'main',
      });
      const notice = {
        seq: Number(issued.seq),
        at: new Date(issued.at).toISOString(),
        cameraId: cam.id,
        cameraName: cam.name,
        incidentId,
        profile: 'main',
        actorOrgName: commandOrg?.name,
        actorDepartment: 'emergency',
      };
      await until('the announcement', async () => heard.length > 0, 5000);
      expect(heard).toEqual([{ ownerOrgId: cam.org, notice }]);

      // The owner's list: the use, with the incident, the organisation — not the person.
      const notices = await get(owner, '/api/emergency-uses?limit=1');
      expect(notices.statusCode).toBe(200);
      expect(notices.json().uses).toEqual([
        { ...notice, incidentTitle: '银行周边重大险情', incidentLevel: 1 },
      ]);
      expect(JSON.stringify(notices.json())).not.toContain('eoc.operator');
      expect(notices.json().nextBefore).toBe(noticesBefore > 0 ? Number(issued.seq) : null);
      // Nobody else's organisation hears of it.
      for (const other of ['hotel.owner', 'eoc.operator', 'tianning.staff']) {
        const uses = (await get(await signIn(other), '/api/emergency-uses')).json().uses as {
          cameraId: string;
        }[];
        expect(uses.map((u) => u.cameraId)).not.toContain(cam.id);
      }
      expect((await get(owner, '/api/emergency-uses?limit=0')).json().code).toBe('invalid:request');
      expect((await get(owner, '/api/emergency-uses?colour=red')).statusCode).toBe(400);

      // A token minted and then withheld (the node failed) gave no video: marked in the review,
      // not told to the owner.
      const withheldJti = 'withheld-jti-1';
      for (const result of ['ok', 'error'] as const) {
        await db.transaction((tx) =>
          appendAudit(tx, {
            actorId: null,
            actorName: 'police.dispatcher',
            action: 'stream.token',
            targetKind: 'camera',
            targetId: cam.id,
            result,
            reason: result === 'ok' ? 'issued' : 'withheld:unavailable:dependency',
            address: '127.0.0.1',
            emergency: true,
            detail: { incidentId, ownerOrgId: cam.org, funding: 'private', profile: 'sub', jti: withheldJti },
          }),
        );
      }
      expect((await get(owner, '/api/emergency-uses')).json().uses[0]).toEqual(notices.json().uses[0]);

      // The review, for the command centre that used the grant.
      const review = await get(command, `/api/incidents/${incidentId}/review`);
      expect(review.statusCode).toBe(200);
      expect(review.json()).toMatchObject({
        incidentId,
        title: '银行周边重大险情',
        level: 1,
        closedAt: null,
        truncated: false,
        summary: { uses: 1, withheld: 1, cameras: 1, privateCameras: 1, users: 1, ownerOrgs: 1 },
      });
      expect(review.json().uses).toEqual([
        {
          ...notice,
          incidentTitle: '银行周边重大险情',
          incidentLevel: 1,
          actorId: commandOrg?.id,
          actorName: 'eoc.operator',
          ownerOrgId: cam.org,
          ownerOrgName: expect.stringContaining('银行'),
          funding: 'private',
          withheld: false,
        },
        expect.objectContaining({ actorName: 'police.dispatcher', profile: 'sub', withheld: true }),
      ]);
      // Auditors read it; a district administrative user, the owner and unknown ids do not.
      expect((await get(await signIn('auditor'), `/api/incidents/${incidentId}/review`)).statusCode).toBe(
        200,
      );
      const staff = await signIn('tianning.staff');
      const refused = await get(staff, `/api/incidents/${incidentId}/review`);
      expect([refused.statusCode, refused.json().code]).toEqual([403, 'forbidden:role']);
      expect((await get(owner, `/api/incidents/${incidentId}/review`)).statusCode).toBe(403);
      expect((await get(command, `/api/incidents/${randomUUID()}/review`)).json().code).toBe(
        'not_found:incident',
      );
      expect((await get(command, '/api/incidents/nope/review')).statusCode).toBe(404);
      // Each review read, and each refusal, is in the log.
      const reads = await db.query<{ actor_name: string; result: string; reason: string | null }>(
        `SELECT actor_name, result, reason FROM audit_log
          WHERE action = 'incident.review' AND target_id = $1 ORDER BY seq`,
        [incidentId],
      );
      expect(reads.rows).toEqual([
        { actor_name: 'eoc.operator', result: 'ok', reason: null },
        { actor_name: 'auditor', result: 'ok', reason: null },
        { actor_name: 'tianning.staff', result: 'deny', reason: 'forbidden:role' },
        { actor_name: 'bank.owner', result: 'deny', reason: 'forbidden:role' },
      ]);

      const closed = await post(command, `/api/incidents/${incidentId}/close`);
      expect(closed.statusCode).toBe(200);
      expect(closed.json().grantEndsAt).toBe(closed.json().closedAt);
      expect((await live(command, cam.id)).json().code).toBe('forbidden:private');
      // A plain (non-emergency) allow tells nobody.
      heard.length = 0;
      expect((await live(owner, cam.id)).json().emergency).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([]);
    } finally {
      listener.disconnect();
    }
  });

  it('answers 401 without a session, 404 for an unknown camera, 400 for a bad profile', async () => {
    const cam = await simCamera(1);
    expect(
      (await app.inject({ method: 'POST', url: `/api/cameras/${cam}/live`, payload: { profile: 'sub' } }))
        .statusCode,
    ).toBe(401);
    const s = await signIn('eoc.operator');
    expect((await live(s, '00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    expect((await live(s, 'not-a-uuid')).statusCode).toBe(404);
    expect((await live(s, cam, 'hd')).statusCode).toBe(400);
  });
});
