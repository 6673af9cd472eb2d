import { AppError, capacityReportSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuditEntryInput } from '../audit/index.ts';
import { COMMON_ERRORS, defineRoute, errorSchema, registerRoutes } from '../openapi/index.ts';
import { REGISTRY_ADMIN_ROLE } from '../policy/index.ts';
import type { CapacityMonitor } from './capacity-monitor.ts';
import { AUDITOR_ROLE } from './service.ts';

export interface CapacityRoutesDeps {
  monitor: CapacityMonitor;
  /** Records the read or its refusal; resolves once committed. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
}

/** Who reads the capacity forecast: administrators (registry_admin) and auditors. */
export function mayReadCapacity(user: { roles: readonly string[] }): boolean {
  return user.roles.includes(REGISTRY_ADMIN_ROLE) || user.roles.includes(AUDITOR_ROLE);
}

/** GET /api/recordings/capacity: the forecast per media node volume and the active storage alarms (R-REC-3). */
export function registerCapacityRoutes(app: FastifyInstance, deps: CapacityRoutesDeps): void {
  const capacity = defineRoute({
    method: 'get',
    url: '/api/recordings/capacity',
    summary:
      'Recording capacity: per media node volume, bytes per day × retention against the space (ok, warning, shortfall with the date it runs out), and the storage alarms',
    tag: 'recordings',
    access: 'session',
    rule: 'Administrators (role registry_admin) and auditors. Every read and refusal is audited (recording.capacity_read).',
    responses: {
      200: { description: 'the forecast, evaluated now', schema: capacityReportSchema },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
    handler: async ({ req, auth }) => {
      const user = auth.user;
      const base = {
        actorId: user.id,
        actorName: user.username,
        action: 'recording.capacity_read',
        targetKind: 'recording',
        address: req.ip,
      } as const;
      if (!mayReadCapacity(user)) {
        await deps.audit({ ...base, result: 'deny', reason: 'forbidden:role' });
        throw new AppError('forbidden:role', 'only administrators and auditors read the recording capacity');
      }
      const report = await deps.monitor.evaluate();
      await deps.audit({ ...base, result: 'allow', reason: `capacity ${report.status}` });
      return report;
    },
  });
  registerRoutes(app, [capacity]);
}
