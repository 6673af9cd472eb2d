import { clientText, grantEndsAt, type Incident, requestErrorCode } from '@wall/protocol';
import { districtAt } from '@wall/protocol/districts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { appendAudit } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import { type CurrentUser, requireAuth } from '../identity/index.ts';
import { AppError } from '../lib/app-error.ts';

export const incidentOpenSchema = z.object({
  title: clientText({ trim: true, min: 1, max: 200 }),
  /** National emergency level: 1 = Ⅰ especially major … 4 = Ⅳ general. */
  level: z.number().int().min(1).max(4),
  lon: z.number().min(-180).max(180),
  lat: z.number().min(-90).max(90),
  radiusM: z.number().int().min(1).max(100_000),
});

export interface IncidentRow {
  id: string;
  title: string;
  level: number;
  lon: number;
  lat: number;
  radius_m: number;
  district_code: string | null;
  opened_at: Date | string;
  closed_at: Date | string | null;
}

/** An incident as the API and the realtime pushes give it; `grantMaxMs` 0: no maximum grant. */
export function incidentJson(r: IncidentRow, grantMaxMs: number): Incident {
  const openedAt = new Date(r.opened_at).toISOString();
  const closedAt = r.closed_at ? new Date(r.closed_at).toISOString() : null;
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
    grantEndsAt: grantEndsAt({ level: r.level, openedAt, closedAt }, grantMaxMs),
  };
}

/**
 * Who declares and closes incidents: police and emergency-management users with the `operator`
 * role (the command centres); district users only inside their district.
 */
function mayCommand(u: CurrentUser, districtCode: string | undefined): boolean {
  if (u.departmentKind !== 'police' && u.departmentKind !== 'emergency') return false;
  if (!u.roles.includes('operator')) return false;
  if (u.tier === 'city') return true;
  return u.tier === 'district' && districtCode !== undefined && u.districtCode === districtCode;
}

export interface IncidentRoutesDeps {
  db: Db;
  /** The set maximum of an emergency grant after the incident's opening (ms); 0: none. */
  grantMaxMs: number;
  /**
   * Called after an incident opened or closed is committed (emergency grants change: the policy
   * cache and realtime listeners follow). A failure here is logged, not reported to the caller.
   */
  onChange?: (e: { kind: 'opened' | 'closed'; incident: Incident }) => Promise<void>;
}

export function registerIncidentRoutes(app: FastifyInstance, deps: IncidentRoutesDeps): void {
  const changed = async (kind: 'opened' | 'closed', incident: Incident) => {
    await deps.onChange?.({ kind, incident }).catch((err: unknown) => {
      app.log.error({ err, incidentId: incident.id }, 'incident change listener failed');
    });
  };

  /** Audits a refused declaration or closing (result `deny`, reason = the code), then refuses it. */
  const refuse = async (
    req: { ip: string },
    user: CurrentUser,
    action: 'incident.open' | 'incident.close',
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

  app.post('/api/incidents', async (req, reply) => {
    const { user } = requireAuth(req);
    const body = incidentOpenSchema.safeParse(req.body);
    if (!body.success)
      throw new AppError(
        requestErrorCode(body.error),
        body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    const district = districtAt(body.data.lon, body.data.lat);
    if (!mayCommand(user, district)) {
      const { title, level, lon, lat, radiusM } = body.data;
      await refuse(
        req,
        user,
        'incident.open',
        null,
        new AppError('forbidden:role', 'only command-centre operators in scope declare incidents'),
        { title, level, lon, lat, radiusM },
      );
    }
    const row = await deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<IncidentRow>(
        `INSERT INTO incidents (title, level, lon, lat, radius_m, district_code, opened_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [
          body.data.title,
          body.data.level,
          body.data.lon,
          body.data.lat,
          body.data.radiusM,
          district ?? null,
          user.id,
        ],
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
        detail: { level: r.level, lon: r.lon, lat: r.lat, radiusM: r.radius_m },
      });
      return r;
    });
    const json = incidentJson(row, deps.grantMaxMs);
    await changed('opened', json);
    return reply.code(201).send(json);
  });

  app.post('/api/incidents/:id/close', async (req) => {
    const { user } = requireAuth(req);
    const id = z.uuid().safeParse((req.params as { id?: string }).id);
    if (!id.success) throw new AppError('not_found:incident', 'no such incident');
    const outcome = await deps.db.transaction(async (tx) => {
      const found = await tx.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [
        id.data,
      ]);
      const current = found.rows[0];
      if (!current) return new AppError('not_found:incident', 'no such incident');
      if (!mayCommand(user, current.district_code ?? undefined)) {
        return new AppError('forbidden:role', 'only command-centre operators in scope close incidents');
      }
      if (current.closed_at) return new AppError('invalid:request', 'the incident is already closed');
      const { rows } = await tx.query<IncidentRow>(
        'UPDATE incidents SET closed_at = now(), closed_by = $2 WHERE id = $1 RETURNING *',
        [id.data, user.id],
      );
      await appendAudit(tx, {
        actorId: user.id,
        actorName: user.username,
        action: 'incident.close',
        targetKind: 'incident',
        targetId: id.data,
        result: 'ok',
        reason: 'closed',
        address: req.ip,
      });
      return incidentJson(rows[0] as IncidentRow, deps.grantMaxMs);
    });
    if (outcome instanceof AppError) return refuse(req, user, 'incident.close', id.data, outcome);
    await changed('closed', outcome);
    return outcome;
  });

  app.get('/api/incidents', async (req) => {
    requireAuth(req);
    const q = z.object({ open: z.enum(['true', 'false']).optional() }).safeParse(req.query);
    if (!q.success) throw new AppError('invalid:request', 'open must be true or false');
    const where =
      q.data.open === 'true'
        ? 'WHERE closed_at IS NULL'
        : q.data.open === 'false'
          ? 'WHERE closed_at IS NOT NULL'
          : '';
    const { rows } = await deps.db.query<IncidentRow>(
      `SELECT * FROM incidents ${where} ORDER BY opened_at DESC LIMIT 200`,
    );
    return { incidents: rows.map((r) => incidentJson(r, deps.grantMaxMs)) };
  });
}
