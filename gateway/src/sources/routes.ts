import { PTZ_COMMANDS, ptzRequestSchema, type SourceKind } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import { requireAuth } from '../identity/index.ts';
import { AppError } from '../lib/app-error.ts';
import { hidesCamera, mayAdminister, REGISTRY_ADMIN_ROLE, subjectOf } from '../policy/index.ts';
import type { SourceRegistry } from './registry.ts';

export const catalogSummarySchema = z.object({
  sn: z.number().int(),
  sumNum: z.number().int().nullable(),
  received: z.number().int(),
  pages: z.number().int(),
  complete: z.boolean(),
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  removed: z.number().int(),
  statusChanged: z.number().int(),
  skipped: z.number().int(),
  skippedItems: z.array(z.object({ id: z.string(), reason: z.string() })),
});

export interface SourceRoutesDeps {
  db: Db;
  sources: SourceRegistry;
  decisions: DecisionService;
  audit: (entry: AuditEntryInput) => Promise<unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function idOf(params: unknown): string | undefined {
  const id = (params as { id?: unknown }).id;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
}

/**
 * What a source offers besides streams, dispatched by the kind of the camera's or source's system:
 * `POST /api/cameras/:id/ptz` (policy `ptz:control`, audited allow/deny, then the kind's command)
 * and `POST /api/sources/:id/catalog-sync` (registry administrators: query the catalogue now).
 */
export function registerSourceRoutes(app: FastifyInstance, deps: SourceRoutesDeps): void {
  app.post('/api/cameras/:id/ptz', async (req) => {
    const auth = requireAuth(req);
    const body = ptzRequestSchema.safeParse(req.body);
    if (!body.success) {
      throw new AppError('invalid:request', `command must be one of ${PTZ_COMMANDS.join(', ')}; speed 1–255`);
    }
    const cameraId = idOf(req.params);
    const outcome = cameraId
      ? await deps.decisions.decide(subjectOf(auth.user), cameraId, 'ptz:control')
      : undefined;
    if (!cameraId || !outcome) throw new AppError('not_found:camera', 'no such camera');
    const { camera, decision } = outcome;
    const speed = body.data.speed ?? 128;
    const ptz = deps.sources.get(camera.sourceKind).ptz;
    const plan = ptz?.plan(body.data.command, speed);
    const entry: AuditEntryInput = {
      actorId: auth.user.id,
      actorName: auth.user.username,
      action: 'camera.ptz',
      targetKind: 'camera',
      targetId: camera.facts.id,
      result: decision.allow ? 'allow' : 'deny',
      reason: decision.reason,
      address: req.ip,
      detail: {
        policyAction: 'ptz:control',
        command: body.data.command,
        speed,
        sourceKind: camera.sourceKind,
        ...(decision.allow && plan ? plan.detail : {}),
      },
    };
    await deps.audit(entry);
    if (hidesCamera(decision)) throw new AppError('not_found:camera', 'no such camera');
    if (!decision.allow) throw new AppError(decision.reason, 'you may not steer this camera');
    if (!plan) {
      throw new AppError('ptz:unsupported', 'PTZ control is available for GB/T 28181 cameras only');
    }
    const sent = await plan.send(camera);
    if (!sent.ok) {
      await deps.audit({ ...entry, result: 'error', reason: sent.reason });
      throw new AppError(
        'unavailable:dependency',
        sent.message,
        sent.cause === undefined ? undefined : { cause: sent.cause },
      );
    }
    return { sent: sent.sent };
  });

  app.post('/api/sources/:id/catalog-sync', async (req) => {
    const { user } = requireAuth(req);
    const id = idOf(req.params);
    const { rows } = id
      ? await deps.db.query<{
          kind: SourceKind;
          owner_org_id: string;
          connection: unknown;
          district_code: string | null;
        }>(
          `SELECT s.kind, s.owner_org_id, s.connection, o.district_code
             FROM source_systems s JOIN organisations o ON o.id = s.owner_org_id WHERE s.id = $1`,
          [id],
        )
      : { rows: [] };
    const row = rows[0];
    if (!id || !row) throw new AppError('not_found:source', 'no such source system');
    const refuse = async (code: 'forbidden:role' | 'forbidden:tier', message: string) => {
      await deps.audit({
        actorId: user.id,
        actorName: user.username,
        action: 'gb.catalog',
        targetKind: 'source',
        targetId: id,
        result: 'deny',
        reason: code,
        address: req.ip,
      });
      return new AppError(code, message);
    };
    if (!user.roles.includes(REGISTRY_ADMIN_ROLE)) {
      throw await refuse('forbidden:role', 'only registry administrators synchronise catalogues');
    }
    if (!mayAdminister(user, { districtCode: row.district_code, ownerOrgId: row.owner_org_id })) {
      throw await refuse('forbidden:tier', 'this source system is outside your administrative scope');
    }
    const catalog = deps.sources.get(row.kind).catalog;
    if (!catalog) throw new AppError('conflict:state', 'not a GB/T 28181 source system');
    return catalog.sync(
      { id, connection: row.connection },
      { actorId: user.id, actorName: user.username, address: req.ip },
    );
  });
}
