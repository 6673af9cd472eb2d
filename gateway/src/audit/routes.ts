import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { AppError } from '../lib/app-error.ts';
import { listAudit } from './query.ts';
import { type AuditVerifyResult, auditQuerySchema } from './types.ts';
import { verifyAudit } from './verify.ts';

export interface AuditRoutesDeps {
  db: Db;
  /**
   * Lets only auditors through: resolves for an auditor, throws an AppError (`unauthenticated`,
   * `forbidden:role`) otherwise. Required — the routes have no open mode.
   */
  requireAuditor: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Walks the whole chain; default `verifyAudit` on `db`, in this thread. */
  verify?: () => Promise<AuditVerifyResult>;
}

/**
 * GET /api/audit — entries filtered and paged (see `auditQuerySchema`), newest first.
 * GET /api/audit/verify — `{ ok: true, entries }` or `{ ok: false, brokenAt, entries, why }`;
 * one walk at a time: requests arriving during a walk get its result.
 */
export function registerAuditRoutes(app: FastifyInstance, deps: AuditRoutesDeps): void {
  app.get('/api/audit', { preHandler: deps.requireAuditor }, async (req) => {
    const parsed = auditQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new AppError(
        'invalid:request',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    return listAudit(deps.db, parsed.data);
  });

  let running: Promise<AuditVerifyResult> | null = null;
  app.get('/api/audit/verify', { preHandler: deps.requireAuditor }, async () => {
    running ??= (deps.verify ? deps.verify() : verifyAudit(deps.db)).finally(() => {
      running = null;
    });
    return running;
  });
}
