import { createHash } from 'node:crypto';
import type { RetrievalRequest } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { verifyAudit } from '../src/audit/index.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { injectAs, openReferenceDatabase, signInTo, TEST_REDIS_URL, type TestSession } from './services.ts';

const PASSWORD = 'demo-password-retrieval-1';
const ORIGIN = 'http://127.0.0.1:3000';
const HOUR = 3_600_000;
const MAX_DOC = 4096;

/** A minimal PDF, a PNG signature and an ELF header (a "document" that is no document). */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(32, 1),
]);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(64)]);

// Retrieval requests (Art. 21, 22; R-RET-1…3) against real PostgreSQL and Redis: the whole flow
// draft → submitted → approved → (expired) → closed with the approval document, each refusal
// audited with nothing changed, and playback:view under an approval (timeline and playback).
describe('retrieval requests: request, approval with its document, playback under the approval', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const logger = createLogger('silent', 'gateway');
  /** Government cameras in service of grade 1 (urban.admin has clearance 1), and one of grade 2. */
  let cams: { id: string; lon: number; lat: number; district_code: string }[];
  let grade2: string;
  let wujinCam: string;

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: 'rtsp://127.0.0.1:8554', simulatedCameras: 0, password: PASSWORD });
    await redis.connect();
    const gov = (grade: number, district: string) =>
      db.query<{ id: string; lon: number; lat: number; district_code: string }>(
        `SELECT c.id, c.lon, c.lat, c.district_code FROM cameras c JOIN source_systems s ON s.id = c.source_id
          WHERE s.funding = 'government' AND c.state = 'in_service' AND c.grade = $1 AND c.district_code = $2
          ORDER BY c.id LIMIT 4`,
        [grade, district],
      );
    cams = (await gov(1, '320402')).rows;
    expect(cams.length).toBe(4);
    grade2 = ((await gov(2, '320402')).rows[0] as { id: string }).id;
    wujinCam = ((await gov(1, '320412')).rows[0] as { id: string }).id;
    // A district police approver (武进分局), certified: of a lower tier than a city department.
    await db.query(
      `INSERT INTO users (org_id, username, display_name, password_hash, roles, clearance, work_id, county_police_certificate)
       SELECT org_id, 'wujin.chief', '武进分局法制大队', password_hash, ARRAY['approver'], 3, 'WJ-0001', true
         FROM users WHERE username = 'wujin.police'`,
    );
    app = await buildApp({
      config: gatewayEnvSchema.parse({
        POLICY_CACHE_TTL_MS: '0',
        RETRIEVAL_DOCUMENT_MAX_BYTES: String(MAX_DOC),
        RETRIEVAL_APPROVAL_TTL_H: '72',
      }),
      db,
      redis,
      logger,
    });
  });

  afterAll(async () => {
    await app?.close();
    redis.disconnect();
    await db?.close();
    await drop?.();
  });

  const cam = (i: number) => (cams[i] as { id: string }).id;
  const signIn = (username: string) => signInTo(app, ORIGIN, username, PASSWORD);
  const get = (s: TestSession, path: string) => injectAs(app, ORIGIN, s, 'GET', path);
  const post = (s: TestSession, path: string, payload?: unknown) =>
    injectAs(app, ORIGIN, s, 'POST', path, payload);
  const patch = (s: TestSession, path: string, payload: unknown) =>
    injectAs(app, ORIGIN, s, 'PATCH', path, payload);
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR).toISOString();
  /** Footage from 6 h to 2 h ago. */
  const RANGE = { from: at(6), to: at(2) };
  const draft = (over: Record<string, unknown> = {}) => ({
    cameraIds: [cam(0), cam(1)],
    ranges: [RANGE],
    purpose: '占道经营执法取证',
    caseNumber: 'CG-2026-0142',
    basis: 'approval',
    ...over,
  });
  const approval = (doc: Buffer, over: Record<string, unknown> = {}) => ({
    documentNumber: '常公视审〔2026〕17号',
    documentName: '调取审批表.pdf',
    documentBase64: doc.toString('base64'),
    ...over,
  });
  const auditOf = async (action: string) =>
    (
      await db.query<{
        actor_name: string;
        result: string;
        reason: string | null;
        target_id: string | null;
        detail: Record<string, unknown>;
      }>(
        'SELECT actor_name, result, reason, target_id, detail FROM audit_log WHERE action = $1 ORDER BY seq',
        [action],
      )
    ).rows;
  /** Everything stored about requests and documents: a refusal must leave it as it was. */
  const snapshot = async () => ({
    requests: (await db.query('SELECT * FROM retrieval_requests ORDER BY id')).rows,
    documents: (await db.query('SELECT request_id, sha256 FROM retrieval_documents ORDER BY request_id'))
      .rows,
  });
  const timeline = (s: TestSession, cameraId: string, from: string, to: string) =>
    get(
      s,
      `/api/cameras/${cameraId}/recordings?profile=main&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );

  it('refuses bad requests with their codes, audits each, stores nothing', async () => {
    const urban = await signIn('urban.admin');
    const tianning = await signIn('tianning.staff');
    const before = await snapshot();
    const cases: [TestSession, Record<string, unknown>, number, string][] = [
      [urban, draft({ ranges: [{ from: at(2), to: at(6) }] }), 400, 'invalid:range'],
      [urban, draft({ ranges: [{ from: at(24 * 40), to: at(1) }] }), 400, 'invalid:range'],
      [urban, draft({ ranges: [{ from: at(1), to: at(-1) }] }), 400, 'invalid:range'],
      [urban, draft({ basis: 'certificate' }), 403, 'forbidden:basis'],
      [urban, draft({ cameraIds: [cam(0), grade2] }), 403, 'forbidden:grade'],
      // A camera outside the requester's tier reads as a missing camera (the audit keeps why).
      [tianning, draft({ cameraIds: [wujinCam] }), 404, 'not_found:camera'],
      [urban, draft({ basis: 'emergency' }), 422, 'invalid:basis'],
      [urban, draft({ incidentId: '00000000-0000-4000-8000-000000000000' }), 422, 'invalid:basis'],
    ];
    for (const [s, body, status, code] of cases) {
      const res = await post(s, '/api/retrievals', body);
      expect([res.statusCode, res.json().code]).toEqual([status, code]);
    }
    expect(await snapshot()).toEqual(before);
    const audited = await auditOf('retrieval.create');
    expect(audited.map((a) => [a.actor_name, a.result, a.reason])).toEqual(
      cases.map(([s, , , code]) => [s === urban ? 'urban.admin' : 'tianning.staff', 'deny', code]),
    );
    expect(audited[5]?.detail).toMatchObject({ cameraId: wujinCam, why: 'forbidden:tier' });
  });

  it('runs draft → submitted → approved with the document; refusals change nothing; playback under the approval', async () => {
    const urban = await signIn('urban.admin');
    const clerk = await signIn('urban.clerk');
    const chief = await signIn('police.chief');
    const dispatcher = await signIn('police.dispatcher');
    const wujinChief = await signIn('wujin.chief');
    const regulator = await signIn('transport.regulator');

    const created = await post(urban, '/api/retrievals', draft());
    expect(created.statusCode).toBe(201);
    const r = created.json() as RetrievalRequest;
    expect(r).toMatchObject({
      state: 'draft',
      basis: 'approval',
      cameraIds: [cam(0), cam(1)],
      requestedByName: 'urban.admin',
    });
    const path = `/api/retrievals/${r.id}`;

    // Only the requester edits a draft.
    const foreign = await patch(clerk, path, draft({ purpose: '别人改' }));
    expect([foreign.statusCode, foreign.json().code]).toEqual([403, 'forbidden:role']);
    const edited = await patch(urban, path, draft({ cameraIds: [cam(0), cam(1), cam(2)] }));
    expect([edited.statusCode, edited.json().cameraIds]).toEqual([200, [cam(0), cam(1), cam(2)]]);

    // Before approval: no playback for the department.
    expect((await timeline(clerk, cam(0), at(5), at(3))).json().code).toBe('forbidden:retrieval');

    // Another organisation's draft is not there for an approver until it is submitted.
    const early = await post(chief, `${path}/approve`, approval(PDF));
    expect([early.statusCode, early.json().code]).toEqual([404, 'not_found:retrieval']);

    const submitted = await post(urban, `${path}/submit`);
    expect([submitted.statusCode, submitted.json().state]).toEqual([200, 'submitted']);
    const again = await patch(urban, path, draft());
    expect([again.statusCode, again.json().code]).toEqual([409, 'conflict:state']);

    // The approver sees it waiting; the regulator does not see it at all.
    const waiting = (await get(chief, '/api/retrievals?state=submitted')).json() as RetrievalRequest[];
    expect(waiting.map((w) => w.id)).toContain(r.id);
    expect((await get(regulator, path)).statusCode).toBe(404);

    const before = await snapshot();
    const refusals: [TestSession, Record<string, unknown>, number, string][] = [
      [urban, approval(PDF), 403, 'forbidden:certificate'],
      [dispatcher, approval(PDF), 403, 'forbidden:certificate'],
      [wujinChief, approval(PDF), 403, 'forbidden:tier'],
      [chief, approval(ELF, { documentName: '审批.pdf' }), 415, 'invalid:document_type'],
      [chief, approval(Buffer.concat([PDF, Buffer.alloc(MAX_DOC)])), 413, 'invalid:document_size'],
      [chief, approval(Buffer.alloc(0)), 413, 'invalid:document_size'],
    ];
    for (const [s, body, status, code] of refusals) {
      const res = await post(s, `${path}/approve`, body);
      expect([res.statusCode, res.json().code]).toEqual([status, code]);
    }
    expect(await snapshot()).toEqual(before);

    const approved = await post(chief, `${path}/approve`, approval(PDF));
    expect(approved.statusCode).toBe(200);
    const a = approved.json() as RetrievalRequest;
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    expect(a).toMatchObject({
      state: 'approved',
      decidedByName: 'police.chief',
      document: {
        number: '常公视审〔2026〕17号',
        name: '调取审批表.pdf',
        contentType: 'application/pdf',
        bytes: PDF.length,
        sha256,
      },
    });
    expect(Date.parse(a.expiresAt ?? '') - Date.parse(a.decidedAt ?? '')).toBe(72 * HOUR);
    const twice = await post(chief, `${path}/approve`, approval(PNG));
    expect([twice.statusCode, twice.json().code]).toEqual([409, 'conflict:state']);

    const approveAudit = await auditOf('retrieval.approve');
    expect(approveAudit.map((x) => [x.actor_name, x.result, x.reason])).toEqual([
      ['police.chief', 'deny', 'not_found:retrieval'],
      ['urban.admin', 'deny', 'forbidden:certificate'],
      ['police.dispatcher', 'deny', 'forbidden:certificate'],
      ['wujin.chief', 'deny', 'forbidden:tier'],
      ['police.chief', 'deny', 'invalid:document_type'],
      ['police.chief', 'deny', 'invalid:document_size'],
      ['police.chief', 'deny', 'invalid:document_size'],
      ['police.chief', 'ok', '常公视审〔2026〕17号'],
      ['police.chief', 'deny', 'conflict:state'],
    ]);
    expect(approveAudit[7]?.detail).toMatchObject({
      sha256,
      contentType: 'application/pdf',
      bytes: PDF.length,
    });

    // The document: the requesting organisation and the approver read it; others do not.
    for (const s of [clerk, chief]) {
      const doc = await get(s, `${path}/document`);
      expect([doc.statusCode, doc.headers['content-type'], doc.headers['x-content-sha256']]).toEqual([
        200,
        'application/pdf',
        sha256,
      ]);
      expect(doc.rawPayload.equals(PDF)).toBe(true);
    }
    expect((await get(regulator, `${path}/document`)).statusCode).toBe(404);
    expect((await auditOf('retrieval.document')).map((x) => [x.actor_name, x.result])).toEqual([
      ['urban.clerk', 'allow'],
      ['police.chief', 'allow'],
      ['transport.regulator', 'deny'],
    ]);

    // playback:view under the approval: the other user of the requesting organisation, inside its
    // cameras and range; refused outside them.
    const inside = await timeline(clerk, cam(2), at(5), at(3));
    expect(inside.statusCode).toBe(200);
    expect((await timeline(clerk, cam(3), at(5), at(3))).json().code).toBe('forbidden:retrieval');
    expect((await timeline(clerk, cam(0), at(7), at(3))).json().code).toBe('forbidden:retrieval');
    expect((await timeline(regulator, cam(0), at(5), at(3))).json().code).toBe('forbidden:retrieval');
    const playback = await post(clerk, `/api/cameras/${cam(0)}/playback`, {
      profile: 'main',
      from: at(5),
      to: at(4),
    });
    // Past the decision: this gateway has no media configured.
    expect([playback.statusCode, playback.json().code]).toEqual([503, 'unavailable:dependency']);
    const outside = await post(clerk, `/api/cameras/${cam(0)}/playback`, {
      profile: 'main',
      from: at(3),
      to: at(1),
    });
    expect([outside.statusCode, outside.json().code]).toEqual([403, 'forbidden:retrieval']);
    const timelineAudit = (await auditOf('recording.timeline')).filter((x) => x.actor_name === 'urban.clerk');
    expect(timelineAudit.map((x) => [x.result, x.reason, x.detail.retrievalId ?? null])).toEqual([
      ['deny', 'forbidden:retrieval', null],
      ['allow', 'allowed:retrieval', r.id],
      ['deny', 'forbidden:retrieval', null],
      ['deny', 'forbidden:retrieval', null],
    ]);

    // Expiry: an approval not executed within RETRIEVAL_APPROVAL_TTL_H (time moved on by hand).
    await db.query(`UPDATE retrieval_requests SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      r.id,
    ]);
    expect((await get(clerk, path)).json().state).toBe('expired');
    expect(
      (await get(clerk, '/api/retrievals?state=expired')).json().map((x: RetrievalRequest) => x.id),
    ).toEqual([r.id]);
    expect((await timeline(clerk, cam(2), at(5), at(3))).json().code).toBe('forbidden:retrieval');
    const late = await post(chief, `${path}/reject`, { reason: '过期' });
    expect([late.statusCode, late.json().code]).toEqual([409, 'conflict:expired']);

    // Closing: the requesting organisation only, once.
    const notYours = await post(chief, `${path}/close`);
    expect([notYours.statusCode, notYours.json().code]).toEqual([403, 'forbidden:role']);
    const closed = await post(clerk, `${path}/close`);
    expect([closed.statusCode, closed.json().state]).toEqual([200, 'closed']);
    expect((await post(clerk, `${path}/close`)).json().code).toBe('conflict:state');

    expect((await auditOf('retrieval.submit')).map((x) => [x.actor_name, x.result, x.target_id])).toEqual([
      ['urban.admin', 'ok', r.id],
    ]);
    expect((await auditOf('retrieval.edit')).map((x) => [x.actor_name, x.result, x.reason])).toEqual([
      ['urban.clerk', 'deny', 'forbidden:role'],
      ['urban.admin', 'ok', null],
      ['urban.admin', 'deny', 'conflict:state'],
    ]);
    expect((await auditOf('retrieval.close')).map((x) => [x.actor_name, x.result, x.reason])).toEqual([
      ['police.chief', 'deny', 'forbidden:role'],
      ['urban.clerk', 'ok', null],
      ['urban.clerk', 'deny', 'conflict:state'],
    ]);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('refuses approving one’s own request; rejects with a reason; an emergency request needs an incident with a kind', async () => {
    const chief = await signIn('police.chief');
    const eoc = await signIn('eoc.operator');

    const own = (
      await post(chief, '/api/retrievals', draft({ basis: 'certificate' }))
    ).json() as RetrievalRequest;
    expect((await post(chief, `/api/retrievals/${own.id}/submit`)).statusCode).toBe(200);
    const before = await snapshot();
    const self = await post(chief, `/api/retrievals/${own.id}/approve`, approval(PNG));
    expect([self.statusCode, self.json().code]).toEqual([403, 'forbidden:same_person']);
    const selfReject = await post(chief, `/api/retrievals/${own.id}/reject`, { reason: '自批' });
    expect([selfReject.statusCode, selfReject.json().code]).toEqual([403, 'forbidden:same_person']);
    expect(await snapshot()).toEqual(before);

    // An incident without a kind gives no emergency basis; one with a kind does, for footage from
    // the look-back before its opening on.
    const at0 = cams[0] as { lon: number; lat: number };
    const open = async (kind?: string) => {
      const res = await post(eoc, '/api/incidents', {
        title: '道路塌陷',
        level: 3,
        lon: at0.lon,
        lat: at0.lat,
        radiusM: 200,
        ...(kind ? { kind } : {}),
      });
      expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
      return res.json() as { id: string; kind: string | null };
    };
    const kindless = await open();
    expect(kindless.kind).toBeNull();
    const accident = await open('accident');
    expect(accident.kind).toBe('accident');
    const recent = { from: at(0.5), to: at(0.1) };
    const noKind = await post(
      eoc,
      '/api/retrievals',
      draft({ basis: 'emergency', incidentId: kindless.id, ranges: [recent] }),
    );
    expect([noKind.statusCode, noKind.json().code]).toEqual([422, 'invalid:basis']);
    const tooEarly = await post(
      eoc,
      '/api/retrievals',
      draft({ basis: 'emergency', incidentId: accident.id }),
    );
    expect([tooEarly.statusCode, tooEarly.json().code]).toEqual([400, 'invalid:range']);
    const emergency = await post(
      eoc,
      '/api/retrievals',
      draft({ basis: 'emergency', incidentId: accident.id, ranges: [recent], cameraIds: [cam(0)] }),
    );
    expect(emergency.statusCode).toBe(201);
    const e = emergency.json() as RetrievalRequest;
    expect([e.basis, e.incidentId, e.incidentKind]).toEqual(['emergency', accident.id, 'accident']);

    expect((await post(eoc, `/api/retrievals/${e.id}/submit`)).statusCode).toBe(200);
    const rejected = await post(chief, `/api/retrievals/${e.id}/reject`, { reason: '证据已由交警调取' });
    expect(rejected.json()).toMatchObject({
      state: 'rejected',
      rejectionReason: '证据已由交警调取',
      decidedByName: 'police.chief',
    });
    const after = await post(chief, `/api/retrievals/${e.id}/approve`, approval(PDF));
    expect([after.statusCode, after.json().code]).toEqual([409, 'conflict:state']);
    expect((await db.query('SELECT 1 FROM retrieval_documents WHERE request_id = $1', [e.id])).rows).toEqual(
      [],
    );
    expect((await auditOf('retrieval.reject')).map((x) => [x.actor_name, x.result, x.reason])).toEqual([
      ['police.chief', 'deny', 'conflict:expired'],
      ['police.chief', 'deny', 'forbidden:same_person'],
      ['police.chief', 'ok', '证据已由交警调取'],
    ]);
  });
});
