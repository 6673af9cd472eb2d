import * as gb from '@wall/protocol/gb28181';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import { requireAuth } from '../identity/index.ts';
import { AppError } from '../lib/app-error.ts';
import { hidesCamera, mayAdminister, REGISTRY_ADMIN_ROLE, subjectOf } from '../policy/index.ts';
import type { GbSipServer } from './server.ts';
import { gbSettings } from './settings.ts';

export const PTZ_COMMANDS = ['left', 'right', 'up', 'down', 'zoom_in', 'zoom_out', 'stop'] as const;

export const ptzRequestSchema = z
  .object({
    command: z.enum(PTZ_COMMANDS),
    /** Pan/tilt speed 1–255 (zoom: scaled to 1–15); default 128. */
    speed: z.number().int().min(1).max(255).optional(),
  })
  .strict();
export const ptzAnswerSchema = z.object({
  sent: z.string().meta({ description: 'the PTZCmd sent, 16 hex digits (A50F01…checksum)' }),
});

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

/** The PTZCmd of an API command (GB/T 28181 A.3: pan/tilt speed bytes, zoom speed nibble). */
export function ptzCommand(command: (typeof PTZ_COMMANDS)[number], speed = 128): gb.PtzCommand {
  const zoomSpeed = Math.max(1, Math.min(15, Math.round(speed / 17)));
  const base = {
    kind: 'ptz' as const,
    pan: null,
    tilt: null,
    zoom: null,
    panSpeed: 0,
    tiltSpeed: 0,
    zoomSpeed: 0,
  };
  switch (command) {
    case 'left':
    case 'right':
      return { ...base, pan: command, panSpeed: speed };
    case 'up':
    case 'down':
      return { ...base, tilt: command, tiltSpeed: speed };
    case 'zoom_in':
      return { ...base, zoom: 'in', zoomSpeed };
    case 'zoom_out':
      return { ...base, zoom: 'out', zoomSpeed };
    case 'stop':
      return gb.PTZ_STOP;
  }
}

export interface GbRoutesDeps {
  db: Db;
  server: GbSipServer;
  decisions: DecisionService;
  audit: (entry: AuditEntryInput) => Promise<unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function idOf(params: unknown): string | undefined {
  const id = (params as { id?: unknown }).id;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
}

/**
 * `POST /api/cameras/:id/ptz` (policy `ptz:control`, audited allow/deny → DeviceControl PTZCmd) and
 * `POST /api/sources/:id/catalog-sync` (registry administrators: query the device's catalogue now).
 */
export function registerGbRoutes(app: FastifyInstance, deps: GbRoutesDeps): void {
  const { server } = deps;

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
    const command = ptzCommand(body.data.command, speed);
    const hex = gb.encodePtzCmd(command);
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
        ...(decision.allow && camera.sourceKind === 'gb28181' ? { hex } : {}),
      },
    };
    await deps.audit(entry);
    if (hidesCamera(decision)) throw new AppError('not_found:camera', 'no such camera');
    if (!decision.allow) throw new AppError(decision.reason, 'you may not steer this camera');
    if (camera.sourceKind !== 'gb28181') {
      throw new AppError('ptz:unsupported', 'PTZ control is available for GB/T 28181 cameras only');
    }
    const fail = async (reason: string, message: string, cause?: unknown) => {
      await deps.audit({ ...entry, result: 'error', reason });
      return new AppError('unavailable:dependency', message, cause === undefined ? undefined : { cause });
    };
    const { rows } = await deps.db.query<{ external_id: string; connection: unknown }>(
      `SELECT c.external_id, s.connection FROM cameras c JOIN source_systems s ON s.id = c.source_id WHERE c.id = $1`,
      [camera.facts.id],
    );
    const settings = rows[0] ? gbSettings(rows[0].connection) : undefined;
    const channelId = rows[0]?.external_id;
    if (!server.enabled) throw await fail('gb_disabled', 'GB/T 28181 is not enabled on this gateway');
    if (!settings || !channelId || !server.devices.online(settings.deviceId)) {
      throw await fail('device_offline', 'the camera’s GB/T 28181 device is offline');
    }
    let status: number;
    try {
      status = await server.message(
        settings.deviceId,
        {
          kind: 'device_control',
          sn: server.nextSn(),
          deviceId: channelId,
          ptz: { ok: true, value: { command, address: 1 } },
        },
        { target: channelId, timeoutMs: 5000 },
      );
    } catch (err) {
      throw await fail('no_answer', 'the GB/T 28181 device did not take the PTZ command', err);
    }
    if (status >= 300)
      throw await fail(`refused:${status}`, `the GB/T 28181 device refused the PTZ command (${status})`);
    return { sent: hex };
  });

  app.post('/api/sources/:id/catalog-sync', async (req) => {
    const { user } = requireAuth(req);
    const id = idOf(req.params);
    const { rows } = id
      ? await deps.db.query<{
          kind: string;
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
    const settings = row.kind === 'gb28181' ? gbSettings(row.connection) : undefined;
    if (!settings) throw new AppError('conflict:state', 'not a GB/T 28181 source system');
    if (!server.enabled)
      throw new AppError('unavailable:dependency', 'GB/T 28181 is not enabled on this gateway');
    if (!server.devices.online(settings.deviceId)) {
      throw new AppError('conflict:state', 'the GB/T 28181 device is not registered (offline)');
    }
    return server.catalog.sync(settings.deviceId, {
      actorId: user.id,
      actorName: user.username,
      address: req.ip,
    });
  });
}
