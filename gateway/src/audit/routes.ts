import { requestErrorCode } from '@wall/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { AppError } from '../lib/app-error.ts';
import { listAudit } from './query.ts';
import { type AuditEntryInput, type AuditVerifyResult, auditQuerySchema } from './types.ts';
import { verifyAudit } from './verify.ts';

/** Who asks, as the session knows them. */
export interface AuditReader {
  id: string;
  username: string;
  roles: readonly string[];
}

export interface AuditRoutesDeps {
  db: Db;
  /** The signed-in caller; throws an AppError (`unauthenticated`) when there is none. */
  reader: (req: FastifyRequest) => AuditReader;
  /**
   * Records a read of the log (allowed or refused) in the log itself; the answer is sent only once
   * its entry is committed. Required — reading the audit log is itself audited.
   */
  audit: (entry: AuditEntryInput) => Promise<void>;
  /** Walks the whole chain; default `verifyAudit` on `db`, in this thread. */
  verify?: () => Promise<AuditVerifyResult>;
}

/**
 * GET /api/audit — entries filtered and paged (see `auditQuerySchema`), newest first.
 * GET /api/audit/verify — `{ ok: true, entries }` or `{ ok: false, brokenAt, entries, why }`;
 * one walk at a time: requests arriving during a walk get its result.
 *
 * Only auditors read the log. Every answered read is written to the log (`audit.read`,
 * `audit.verify`, with the filters or the verdict), and so is every refused one (`forbidden:role`).
 */
export function registerAuditRoutes(app: FastifyInstance, deps: AuditRoutesDeps): void {
  const record = (req: FastifyRequest, who: AuditReader, action: string, over: Partial<AuditEntryInput>) =>
    deps.audit({
      actorId: who.id,
      actorName: who.username,
      action,
      targetKind: 'audit_log',
      result: 'ok',
      address: req.ip,
      ...over,
    });
  const auditorOnly = async (req: FastifyRequest, action: string): Promise<AuditReader> => {
    const who = deps.reader(req);
    if (who.roles.includes('auditor')) return who;
    await record(req, who, action, { result: 'deny', reason: 'forbidden:role' });
    throw new AppError('forbidden:role', 'only auditors read the audit log');
  };

  app.get('/api/audit', async (req) => {
    const who = await auditorOnly(req, 'audit.read');
    const parsed = auditQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new AppError(
        requestErrorCode(parsed.error),
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    const page = await listAudit(deps.db, parsed.data);
    const filters = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
    await record(req, who, 'audit.read', { detail: { filters, returned: page.entries.length } });
    return page;
  });

  let running: Promise<AuditVerifyResult> | null = null;
  app.get('/api/audit/verify', async (req) => {
    const who = await auditorOnly(req, 'audit.verify');
    running ??= (deps.verify ? deps.verify() : verifyAudit(deps.db)).finally(() => {
      running = null;
    });
    const verdict = await running;
    await record(req, who, 'audit.verify', {
      // A broken chain is what the auditor asked to learn: the read itself succeeded.
      reason: verdict.ok ? null : `chain broken at ${verdict.brokenAt} (${verdict.why})`,
      detail: { ...verdict },
    });
    return verdict;
  });
}
