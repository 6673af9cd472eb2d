import { PTZ_COMMANDS, ptzAnswerSchema, ptzRequestSchema, type SourceKind } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import { AppError } from '../lib/app-error.ts';
import {
  answer,
  COMMON_ERRORS,
  defineRoute,
  errorSchema,
  lenientIdParams,
  registerRoutes,
  uuidParams,
  WRITE_ERRORS,
} from '../openapi/index.ts';
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

export interface SourceKindRoutesDeps {
  db: Db;
  sources: SourceRegistry;
  decisions: DecisionService;
  audit: (entry: AuditEntryInput) => Promise<unknown>;
}

/**
 * What a source offers besides streams, dispatched by the kind of the camera's or source's system:
 * `POST /api/cameras/:id/ptz` (policy `ptz:control`, audited allow/deny, then the kind's command)
 * and `POST /api/sources/:id/catalog-sync` (registry administrators: query the catalogue now).
 */
export function registerSourceKindRoutes(app: FastifyInstance, deps: SourceKindRoutesDeps): void {
  const ptz = defineRoute({
    method: 'post',
    url: '/api/cameras/:id/ptz',
    summary: 'Steer a GB/T 28181 camera: DeviceControl PTZCmd to its device',
    tag: 'gb28181',
    access: 'session+csrf',
    action: 'ptz:control',
    rule: 'Policy action ptz:control (never by emergency access). Every decision is audited (camera.ptz, allow/deny with the reason; a failed send adds an error entry). RTSP/ONVIF cameras: 422 ptz:unsupported.',
    params: lenientIdParams,
    body: ptzRequestSchema,
    invalid: {
      body: answer('invalid:request', `command must be one of ${PTZ_COMMANDS.join(', ')}; speed 1–255`),
    },
    responses: {
      200: {
        description: 'the command was taken by the device (its 200 to the MESSAGE)',
        schema: ptzAnswerSchema,
      },
      ...WRITE_ERRORS,
      404: {
        description:
          'not_found:camera — no such camera, or one outside the caller’s tier (answered alike; audited)',
        schema: errorSchema,
      },
      422: { description: 'ptz:unsupported — not a GB/T 28181 camera', schema: errorSchema },
      503: {
        description: 'unavailable:dependency — the device is offline or did not answer',
        schema: errorSchema,
      },
    },
    handler: async ({ req, auth, params, body }) => {
      const cameraId = params.id;
      const outcome = cameraId
        ? await deps.decisions.decide(subjectOf(auth.user), cameraId, 'ptz:control')
        : undefined;
      if (!cameraId || !outcome) throw new AppError('not_found:camera', 'no such camera');
      const { camera, decision } = outcome;
      const speed = body.speed ?? 128;
      const ptz = deps.sources.get(camera.sourceKind).ptz;
      const plan = ptz?.plan(body.command, speed);
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
          command: body.command,
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
    },
  });

  const catalogSync = defineRoute({
    method: 'post',
    url: '/api/sources/:id/catalog-sync',
    summary: 'Query a registered GB/T 28181 device’s catalogue now and file its channels as cameras',
    tag: 'gb28181',
    access: 'session+csrf',
    rule: 'registry_admin within the admin’s tier. The cameras change with one gb.catalog audit entry in the same transaction; refusals are audited.',
    params: uuidParams,
    invalid: { params: answer('not_found:source', 'no such source system') },
    responses: {
      200: { description: 'what the catalogue changed', schema: catalogSummarySchema },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role / forbidden:tier / forbidden:csrf', schema: errorSchema },
      404: { description: 'not_found:source', schema: errorSchema },
      409: {
        description: 'conflict:state — not a GB source, or the device is not registered',
        schema: errorSchema,
      },
      503: { description: 'unavailable:dependency — the device did not answer', schema: errorSchema },
    },
    handler: async ({ req, auth, params }) => {
      const { user } = auth;
      const { id } = params;
      const { rows } = await deps.db.query<{
        kind: SourceKind;
        owner_org_id: string;
        connection: unknown;
        district_code: string | null;
      }>(
        `SELECT s.kind, s.owner_org_id, s.connection, o.district_code
             FROM source_systems s JOIN organisations o ON o.id = s.owner_org_id WHERE s.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) throw new AppError('not_found:source', 'no such source system');
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
    },
  });
  registerRoutes(app, [ptz, catalogSync]);
}
