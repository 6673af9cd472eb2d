import {
  clientText,
  grantEndsAt,
  type Incident,
  type IncidentKind,
  incidentKindSchema,
  incidentListSchema,
  incidentSchema,
} from '@wall/protocol';
import { districtAt } from '@wall/protocol/districts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { appendAudit } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { CurrentUser } from '../identity/index.ts';
import { AppError } from '../lib/app-error.ts';
import {
  answer,
  COMMON_ERRORS,
  defineRoute,
  errorSchema,
  registerRoutes,
  WRITE_ERRORS,
} from '../openapi/index.ts';
import {
  confirmationRefusal,
  declarationRefusal,
  isMajor,
  mayCommand,
  mayReadIncident,
  type RadiusLimits,
} from '../policy/index.ts';

export const incidentOpenSchema = z.object({
  title: clientText({ trim: true, min: 1, max: 200 }),
  /** National emergency level: 1 = Ⅰ especially major … 4 = Ⅳ general. */
  level: z.number().int().min(1).max(4),
  lon: z.number().min(-180).max(180),
  lat: z.number().min(-90).max(90),
  radiusM: z.number().int().min(1).max(100_000),
  /** The kind of sudden public event (Art. 21 ¶3): what an emergency retrieval request rests on. */
  kind: incidentKindSchema.optional(),
});

export interface IncidentRow {
  id: string;
  title: string;
  level: number;
  lon: number;
  lat: number;
  radius_m: number;
  district_code: string | null;
  opened_by?: string;
  opened_at: Date | string;
  closed_at: Date | string | null;
  confirm_by?: Date | string | null;
  confirmed_at?: Date | string | null;
  /** The confirming user's username (joined), when selected with {@link INCIDENT_SELECT}. */
  confirmed_by_name?: string | null;
  kind?: IncidentKind | null;
}

/** The columns of an incident row as `incidentJson` reads them (`i` is the incidents table). */
export const INCIDENT_SELECT = `SELECT i.*, cu.username AS confirmed_by_name
  FROM incidents i LEFT JOIN users cu ON cu.id = i.confirmed_by`;

const isoOrNull = (v: Date | string | null | undefined) => (v ? new Date(v).toISOString() : null);

/** An incident as the API and the realtime pushes give it; `grantMaxMs` 0: no maximum grant. */
export function incidentJson(r: IncidentRow, grantMaxMs: number): Incident {
  const openedAt = new Date(r.opened_at).toISOString();
  const closedAt = isoOrNull(r.closed_at);
  const confirmBy = isoOrNull(r.confirm_by);
  const confirmedAt = isoOrNull(r.confirmed_at);
  return {
    id: r.id,
    title: r.title,
    level: r.level,
    lon: r.lon,
    lat: r.lat,
    radiusM: r.radius_m,
    districtCode: r.district_code,
    openedAt,
    closedAt,
    grantEndsAt: grantEndsAt({ level: r.level, openedAt, closedAt, confirmBy, confirmedAt }, grantMaxMs),
    confirmBy,
    confirmedAt,
    confirmedBy: r.confirmed_by_name ?? null,
    kind: r.kind ?? null,
  };
}

export interface IncidentRoutesDeps {
  db: Db;
  /** The set maximum of an emergency grant after the incident's opening (ms); 0: none. */
  grantMaxMs: number;
  /** How long a major incident's grant waits for its confirmation (ms). */
  confirmWindowMs: number;
  /** Largest radius per level. */
  radiusLimits: RadiusLimits;
  /**
   * Called after an incident opened, confirmed or closed is committed (emergency grants change:
   * the policy cache, realtime listeners and the media nodes follow). A failure here is logged,
   * not reported to the caller.
   */
  onChange?: (e: { kind: 'opened' | 'confirmed' | 'closed'; incident: Incident }) => Promise<void>;
  now?: () => Date;
}

type IncidentAction = 'incident.open' | 'incident.confirm' | 'incident.close';

/** Incidents listed at most; the newest this many are looked at to find them. */
const LIST_LIMIT = 200;
const SCAN_LIMIT = 2000;

export function registerIncidentRoutes(app: FastifyInstance, deps: IncidentRoutesDeps): void {
  const now = deps.now ?? (() => new Date());
  const changed = async (kind: 'opened' | 'confirmed' | 'closed', incident: Incident) => {
    await deps.onChange?.({ kind, incident }).catch((err: unknown) => {
      app.log.error({ err, incidentId: incident.id }, 'incident change listener failed');
    });
  };

  /** Audits a refused declaration, confirmation or closing (result `deny`, reason = the code), then refuses it. */
  const refuse = async (
    req: { ip: string },
    user: CurrentUser,
    action: IncidentAction,
    targetId: string | null,
    err: AppError,
    detail?: Record<string, unknown>,
  ): Promise<never> => {
    await deps.db.transaction((tx) =>
      appendAudit(tx, {
        actorId: user.id,
        actorName: user.username,
        action,
        targetKind: 'incident',
        targetId,
        result: 'deny',
        reason: err.code,
        address: req.ip,
        detail,
      }),
    );
    throw err;
  };

  /** The incident locked for a change, or the error to refuse with. */
  const lockIncident = async (tx: Queryable, id: string): Promise<IncidentRow | AppError> => {
    const found = await tx.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [id]);
    return found.rows[0] ?? new AppError('not_found:incident', 'no such incident');
  };
  const reread = async (tx: Queryable, id: string): Promise<IncidentRow> => {
    const { rows } = await tx.query<IncidentRow>(`${INCIDENT_SELECT} WHERE i.id = $1`, [id]);
    return rows[0] as IncidentRow;
  };

  /**
   * One change of an existing incident (confirm, close): locked, checked by `check` — which gives
   * the refusal, or the UPDATE with $1 the incident, $2 the user, $3 now —, written with its audit
   * entry in one transaction; a refusal is audited and thrown; the listeners are told.
   */
  const changeIncident = async (
    req: { ip: string },
    user: CurrentUser,
    id: string,
    kind: 'confirmed' | 'closed',
    check: (current: IncidentRow, at: Date) => AppError | string,
  ): Promise<Incident> => {
    const action = kind === 'confirmed' ? 'incident.confirm' : 'incident.close';
    const outcome = await deps.db.transaction(async (tx) => {
      const current = await lockIncident(tx, id);
      if (current instanceof AppError) return current;
      const at = now();
      const update = check(current, at);
      if (update instanceof AppError) return update;
      await tx.query(update, [id, user.id, at]);
      await appendAudit(tx, {
        actorId: user.id,
        actorName: user.username,
        action,
        targetKind: 'incident',
        targetId: id,
        result: 'ok',
        reason: kind,
        address: req.ip,
      });
      return incidentJson(await reread(tx, id), deps.grantMaxMs);
    });
    if (outcome instanceof AppError) return refuse(req, user, action, id, outcome);
    await changed(kind, outcome);
    return outcome;
  };

  const open = defineRoute({
    method: 'post',
    url: '/api/incidents',
    summary: 'Declare an incident (level Ⅳ–Ⅰ, centre, radius)',
    tag: 'incidents',
    access: 'session+csrf',
    rule: 'Police and emergency users with the operator role; the whole area must lie in the declarer’s scope (district users: their district, forbidden:area; city users: the city) and the radius within its level’s limit (INCIDENT_MAX_RADIUS_M, invalid:incident_radius). Audited, refusals included. A level Ⅰ/Ⅱ incident opens live view inside its radius to police and emergency users in scope (R-ACC-4) at once, until it is closed, EMERGENCY_GRANT_MAX_H after its opening, or — unless a second command user confirms it — INCIDENT_CONFIRM_S after its opening, whichever comes first.',
    body: incidentOpenSchema,
    responses: { 201: { description: 'opened', schema: incidentSchema }, ...WRITE_ERRORS },
    handler: async ({ req, reply, auth, body }) => {
      const { user } = auth;
      const { title, level, lon, lat, radiusM, kind } = body;
      const district = districtAt(lon, lat) ?? null;
      const refusal = declarationRefusal(
        user,
        { level, lon, lat, radiusM, districtCode: district },
        deps.radiusLimits,
      );
      if (refusal) {
        await refuse(req, user, 'incident.open', null, new AppError(refusal.code, refusal.message), {
          title,
          level,
          lon,
          lat,
          radiusM,
        });
      }
      const openedAt = now();
      const confirmBy = isMajor(level) ? new Date(openedAt.getTime() + deps.confirmWindowMs) : null;
      const row = await deps.db.transaction(async (tx) => {
        const { rows } = await tx.query<IncidentRow>(
          `INSERT INTO incidents (title, level, lon, lat, radius_m, district_code, opened_by, opened_at, confirm_by, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
          [title, level, lon, lat, radiusM, district, user.id, openedAt, confirmBy, kind ?? null],
        );
        const r = rows[0] as IncidentRow;
        await appendAudit(tx, {
          actorId: user.id,
          actorName: user.username,
          action: 'incident.open',
          targetKind: 'incident',
          targetId: r.id,
          result: 'ok',
          reason: `level ${r.level}`,
          address: req.ip,
          detail: {
            level: r.level,
            lon: r.lon,
            lat: r.lat,
            radiusM: r.radius_m,
            ...(r.kind ? { kind: r.kind } : {}),
            ...(confirmBy ? { confirmBy: confirmBy.toISOString() } : {}),
          },
        });
        return r;
      });
      const json = incidentJson(row, deps.grantMaxMs);
      await changed('opened', json);
      return reply.code(201).send(json);
    },
  });

  const confirm = defineRoute({
    method: 'post',
    url: '/api/incidents/:id/confirm',
    summary:
      'Confirm a level Ⅰ/Ⅱ incident (a second command user or a superior), so its emergency grant does not lapse',
    tag: 'incidents',
    access: 'session+csrf',
    rule: 'Police and emergency users with the operator role in the incident’s scope (district users: their district; city users: anywhere), not the declarer, before INCIDENT_CONFIRM_S after its opening. Unconfirmed by then, the grant lapses and the media nodes end the streams it allowed. Audited, refusals included (forbidden:role, forbidden:same_person, conflict:confirmed, conflict:lapsed).',
    params: z.object({ id: z.uuid() }),
    invalid: { params: answer('not_found:incident', 'no such incident') },
    responses: {
      200: { description: 'confirmed', schema: incidentSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:incident', schema: errorSchema },
      409: { description: 'conflict:confirmed or conflict:lapsed', schema: errorSchema },
    },
    handler: ({ req, auth, params }) =>
      changeIncident(req, auth.user, params.id, 'confirmed', (current, at) => {
        const refusal = confirmationRefusal(
          auth.user,
          {
            level: current.level,
            lon: current.lon,
            lat: current.lat,
            radiusM: current.radius_m,
            districtCode: current.district_code,
          },
          {
            openedBy: current.opened_by ?? '',
            confirmBy: current.confirm_by ? new Date(current.confirm_by) : null,
            confirmedAt: current.confirmed_at ? new Date(current.confirmed_at) : null,
            closedAt: current.closed_at ? new Date(current.closed_at) : null,
          },
          at,
        );
        if (refusal) return new AppError(refusal.code, refusal.message);
        return 'UPDATE incidents SET confirmed_by = $2, confirmed_at = $3 WHERE id = $1';
      }),
  });

  const close = defineRoute({
    method: 'post',
    url: '/api/incidents/:id/close',
    summary: 'Close an incident (its emergency grants end)',
    tag: 'incidents',
    access: 'session+csrf',
    rule: 'Who may declare it may close it. Audited, refusals included (forbidden:role, already closed, no such incident).',
    params: z.object({ id: z.uuid() }),
    invalid: { params: answer('not_found:incident', 'no such incident') },
    responses: {
      200: { description: 'closed', schema: incidentSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:incident', schema: errorSchema },
    },
    handler: ({ req, auth, params }) =>
      changeIncident(req, auth.user, params.id, 'closed', (current) => {
        if (!mayCommand(auth.user, current.district_code)) {
          return new AppError('forbidden:role', 'only command-centre operators in scope close incidents');
        }
        if (current.closed_at) return new AppError('invalid:request', 'the incident is already closed');
        return 'UPDATE incidents SET closed_at = $3, closed_by = $2 WHERE id = $1';
      }),
  });

  const list = defineRoute({
    method: 'get',
    url: '/api/incidents',
    summary: 'Incidents, newest first (at most 200)',
    tag: 'incidents',
    access: 'session',
    rule: 'Auditors and the police and emergency users an incident concerns (city tier: all; district tier: incidents reaching their district); an owner organisation sees the incidents whose grant opened its cameras. Others get an empty list.',
    query: z.object({ open: z.enum(['true', 'false']).optional() }),
    invalid: { query: answer('invalid:request', 'open must be true or false') },
    responses: {
      200: { description: 'incidents', schema: incidentListSchema },
      ...COMMON_ERRORS,
    },
    handler: async ({ auth, query }) => {
      const { user } = auth;
      const where =
        query.open === 'true'
          ? 'WHERE i.closed_at IS NULL'
          : query.open === 'false'
            ? 'WHERE i.closed_at IS NOT NULL'
            : '';
      const { rows } = await deps.db.query<IncidentRow>(
        `${INCIDENT_SELECT} ${where} ORDER BY i.opened_at DESC LIMIT ${SCAN_LIMIT}`,
      );
      // An owner sees the incidents whose grant opened its cameras (its notices); the command users
      // and auditors those the rules let them read; nobody else any.
      const opened = await incidentsThatOpened(deps.db, user.orgId);
      const visible = rows.filter(
        (r) =>
          opened.has(r.id) ||
          mayReadIncident(user, {
            lon: r.lon,
            lat: r.lat,
            radiusM: r.radius_m,
            districtCode: r.district_code,
          }),
      );
      return { incidents: visible.slice(0, LIST_LIMIT).map((r) => incidentJson(r, deps.grantMaxMs)) };
    },
  });
  registerRoutes(app, [open, confirm, close, list]);
}

/** The incidents under whose grant a camera of this organisation was used (its emergency notices). */
async function incidentsThatOpened(db: Queryable, orgId: string): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT DISTINCT a.detail ->> 'incidentId' AS id FROM audit_log a
      WHERE a.emergency AND a.action = 'stream.token' AND a.result = 'ok'
        AND a.detail ->> 'ownerOrgId' = $1`,
    [orgId.toLowerCase()],
  );
  return new Set(rows.map((r) => r.id));
}
