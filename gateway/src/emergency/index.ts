import {
  type DepartmentKind,
  type EmergencyUse,
  type EmergencyUseNotice,
  type EmergencyUsePage,
  emergencyUsePageSchema,
  emergencyUseQuerySchema,
  type Funding,
  type IncidentReview,
  incidentReviewSchema,
  MAX_REVIEW_USES,
  type ReviewUse,
  type StreamProfile,
} from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { CurrentUser } from '../identity/index.ts';
import { INCIDENT_SELECT, type IncidentRow, incidentJson } from '../incidents/index.ts';
import { AppError } from '../lib/app-error.ts';
import { answer, COMMON_ERRORS, defineRoute, errorSchema, registerRoutes } from '../openapi/index.ts';
import { mayReadIncident } from '../policy/index.ts';

/**
 * Emergency uses (R-ACC-4: "owners are notified, and every use is listed in an after-action
 * review"). A use is a `stream.token` audit entry with `emergency` set: the live route writes one
 * for each token issued under a major incident's grant, with the incident, the camera's owner and
 * funding and the viewer's organisation in its detail — as they were at that moment. Nothing else
 * keeps the uses: the lists below read the tamper-evident log, so what an owner or a reviewer sees
 * is what the chain proves. A token withheld because the node failed (a `stream.token` entry with
 * result `error` and the same `jti`) gave no video: owners are not told of it, the review marks it.
 */

/** What the live route records in the detail of an emergency entry (besides profile, node, jti). */
export interface EmergencyDetail {
  incidentId: string;
  ownerOrgId: string;
  funding: Funding;
  actorOrgId: string;
}

interface UseRow {
  seq: string | number;
  at: Date | string;
  result: 'ok' | 'error';
  actor_id: string | null;
  actor_name: string;
  camera_id: string;
  camera_name: string | null;
  incident_id: string;
  incident_title: string | null;
  incident_level: number | null;
  profile: StreamProfile;
  jti: string | null;
  owner_org_id: string;
  owner_org_name: string | null;
  funding: Funding;
  actor_org_name: string | null;
  actor_department: DepartmentKind | null;
}

// The columns of a use; the camera, incident and organisations are joined by the ids the entry
// recorded (a renamed camera shows its current name; the ids are those of the moment of use).
const USE_SELECT = `
  SELECT a.seq, a.at, a.result, a.actor_id, a.actor_name, a.target_id AS camera_id, c.name AS camera_name,
         a.detail ->> 'incidentId' AS incident_id, i.title AS incident_title, i.level AS incident_level,
         a.detail ->> 'profile' AS profile, a.detail ->> 'jti' AS jti,
         a.detail ->> 'ownerOrgId' AS owner_org_id, oo.name AS owner_org_name,
         a.detail ->> 'funding' AS funding,
         ao.name AS actor_org_name, ao.department_kind AS actor_department
    FROM audit_log a
    LEFT JOIN cameras c ON c.id = ${uuidOf('a.target_id')}
    LEFT JOIN incidents i ON i.id = ${uuidOf("a.detail ->> 'incidentId'")}
    LEFT JOIN organisations oo ON oo.id = ${uuidOf("a.detail ->> 'ownerOrgId'")}
    LEFT JOIN organisations ao ON ao.id = ${uuidOf("a.detail ->> 'actorOrgId'")}
   WHERE a.emergency AND a.action = 'stream.token'`;

/** A text column as uuid, or null when it is not one (the log keeps free text; a cast must not fail). */
function uuidOf(expr: string): string {
  return `(CASE WHEN ${expr} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (${expr})::uuid END)`;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function toUse(r: UseRow): EmergencyUse {
  return {
    seq: Number(r.seq),
    at: iso(r.at),
    cameraId: r.camera_id,
    cameraName: r.camera_name ?? r.camera_id,
    incidentId: r.incident_id,
    incidentTitle: r.incident_title ?? '',
    incidentLevel: r.incident_level ?? 2,
    profile: r.profile,
    actorOrgName: r.actor_org_name ?? '',
    actorDepartment: r.actor_department ?? 'police',
  };
}

/** The uses of one organisation's cameras, newest first, keyset-paged by `seq`; withheld tokens left out. */
export async function listEmergencyUses(
  db: Queryable,
  ownerOrgId: string,
  page: { before?: number; limit: number },
): Promise<EmergencyUsePage> {
  const { rows } = await db.query<UseRow>(
    `${USE_SELECT}
       AND a.result = 'ok' AND a.detail ->> 'ownerOrgId' = $1
       AND ($2::bigint IS NULL OR a.seq < $2)
       AND NOT EXISTS (
         SELECT 1 FROM audit_log w
          WHERE w.emergency AND w.action = 'stream.token' AND w.result = 'error'
            AND w.seq > a.seq AND w.detail ->> 'jti' = a.detail ->> 'jti')
     ORDER BY a.seq DESC
     LIMIT $3`,
    [ownerOrgId.toLowerCase(), page.before ?? null, page.limit + 1],
  );
  const more = rows.length > page.limit;
  const uses = rows.slice(0, page.limit).map(toUse);
  return { uses, nextBefore: more ? (uses[uses.length - 1]?.seq ?? null) : null };
}

/** Every use under one incident's grant, oldest first (withheld ones marked), with counts. */
export async function incidentReview(
  db: Queryable,
  incident: IncidentRow,
  grantMaxMs: number,
): Promise<IncidentReview> {
  const { rows } = await db.query<UseRow>(
    `${USE_SELECT} AND a.detail ->> 'incidentId' = $1 ORDER BY a.seq LIMIT $2`,
    [incident.id, 2 * MAX_REVIEW_USES + 1],
  );
  const withheldJti = new Set(rows.filter((r) => r.result === 'error' && r.jti).map((r) => r.jti));
  const issued = rows.filter((r) => r.result === 'ok');
  const truncated = issued.length > MAX_REVIEW_USES || rows.length > 2 * MAX_REVIEW_USES;
  const uses: ReviewUse[] = issued.slice(0, MAX_REVIEW_USES).map((r) => ({
    ...toUse(r),
    actorId: r.actor_id,
    actorName: r.actor_name,
    ownerOrgId: r.owner_org_id,
    ownerOrgName: r.owner_org_name ?? '',
    funding: r.funding,
    withheld: r.jti !== null && withheldJti.has(r.jti),
  }));
  const seen = uses.filter((u) => !u.withheld);
  const json = incidentJson(incident, grantMaxMs);
  const count = (f: (u: ReviewUse) => string, of = seen) => new Set(of.map(f)).size;
  return {
    incidentId: incident.id,
    title: incident.title,
    level: incident.level,
    openedAt: iso(incident.opened_at),
    closedAt: json.closedAt,
    confirmBy: json.confirmBy,
    confirmedAt: json.confirmedAt,
    confirmedBy: json.confirmedBy,
    grantEndsAt: json.grantEndsAt,
    uses,
    truncated,
    summary: {
      uses: seen.length,
      withheld: uses.length - seen.length,
      cameras: count((u) => u.cameraId),
      privateCameras: count(
        (u) => u.cameraId,
        seen.filter((u) => u.funding === 'private'),
      ),
      users: count((u) => u.actorId ?? u.actorName),
      ownerOrgs: count((u) => u.ownerOrgId),
    },
  };
}

export interface EmergencyRoutesDeps {
  db: Db;
  /** The set maximum of an emergency grant after the incident's opening (ms); 0: none. */
  grantMaxMs: number;
  /** Resolves once the entry is committed; reviews are audited (`incident.review`), refusals too. */
  audit: (entry: AuditEntryInput) => Promise<void>;
}

/**
 * GET /api/emergency-uses — the uses of the caller's organisation's cameras (the owner's notices).
 * GET /api/incidents/:id/review — the after-action review of one incident (audited).
 */
export function registerEmergencyRoutes(app: FastifyInstance, deps: EmergencyRoutesDeps): void {
  const uses = defineRoute({
    method: 'get',
    url: '/api/emergency-uses',
    summary:
      'Emergency uses of the caller’s organisation’s cameras, newest first (the owner’s notices, R-ACC-4)',
    tag: 'incidents',
    access: 'session',
    rule: 'Any signed-in user; only cameras their organisation owned at the time of use. Tokens withheld because the media node failed are left out. Also pushed live as the realtime event access:emergency.',
    query: emergencyUseQuerySchema,
    invalid: {
      // Always invalid:request here (the query holds no free text).
      query: (error) =>
        new AppError(
          'invalid:request',
          error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
        ),
    },
    responses: { 200: { description: 'a page', schema: emergencyUsePageSchema }, ...COMMON_ERRORS },
    handler: async ({ auth, query }) => {
      return listEmergencyUses(deps.db, auth.user.orgId, query);
    },
  });

  const review = defineRoute({
    method: 'get',
    url: '/api/incidents/:id/review',
    summary: 'After-action review: every use of the incident’s emergency grant, with counts (R-ACC-4)',
    tag: 'incidents',
    access: 'session',
    rule: 'Auditors, and police and emergency users the incident concerns (city tier: all; district tier: incidents reaching their district). Read from the audit log (stream.token entries marked emergency). Audited (incident.review), refusals too.',
    params: z.object({ id: z.uuid() }),
    invalid: { params: answer('not_found:incident', 'no such incident') },
    responses: {
      200: { description: 'the review', schema: incidentReviewSchema },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
      404: { description: 'not_found:incident', schema: errorSchema },
    },
    handler: async ({ req, auth, params }) => {
      const { user } = auth;
      const { rows } = await deps.db.query<IncidentRow>(`${INCIDENT_SELECT} WHERE i.id = $1`, [params.id]);
      const incident = rows[0];
      if (!incident) throw new AppError('not_found:incident', 'no such incident');
      const entry = {
        actorId: user.id,
        actorName: user.username,
        action: 'incident.review',
        targetKind: 'incident',
        targetId: incident.id,
        address: req.ip,
      } as const;
      const area = {
        lon: incident.lon,
        lat: incident.lat,
        radiusM: incident.radius_m,
        districtCode: incident.district_code,
      };
      if (!mayReadIncident(user, area)) {
        await deps.audit({ ...entry, result: 'deny', reason: 'forbidden:role' });
        throw new AppError(
          'forbidden:role',
          'only auditors and the command users the incident concerns read its review',
        );
      }
      const review = await incidentReview(deps.db, incident, deps.grantMaxMs);
      await deps.audit({
        ...entry,
        result: 'ok',
        detail: { uses: review.summary.uses, withheld: review.summary.withheld, truncated: review.truncated },
      });
      return review;
    },
  });
  registerRoutes(app, [uses, review]);
}

/** The notice the owner's users get, from what the live route knows at the moment of use. */
export function noticeOf(e: {
  seq: number;
  at: Date;
  cameraId: string;
  cameraName: string;
  incidentId: string;
  profile: StreamProfile;
  actor: Pick<CurrentUser, 'orgName' | 'departmentKind'>;
}): EmergencyUseNotice {
  return {
    seq: e.seq,
    at: e.at.toISOString(),
    cameraId: e.cameraId,
    cameraName: e.cameraName,
    incidentId: e.incidentId,
    profile: e.profile,
    actorOrgName: e.actor.orgName,
    actorDepartment: e.actor.departmentKind,
  };
}
