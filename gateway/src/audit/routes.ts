import { auditPageSchema } from '@wall/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../lib/app-error.ts';
import { COMMON_ERRORS, defineRoute, errorSchema, registerRoutes } from '../openapi/index.ts';
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

  const read = defineRoute({
    method: 'get',
    url: '/api/audit',
    summary: 'Audit entries, filtered, newest first, keyset-paged',
    tag: 'audit',
    access: 'session',
    // deps.reader answers unauthenticated (guard and handler call it first).
    sessionCheck: false,
    rule: 'Auditors only (role auditor).',
    guard: async ({ req }) => {
      await auditorOnly(req, 'audit.read');
    },
    query: auditQuerySchema,
    responses: {
      200: { description: 'a page', schema: auditPageSchema },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
    handler: async ({ req, query }) => {
      const who = deps.reader(req);
      const page = await listAudit(deps.db, query);
      const filters = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
      await record(req, who, 'audit.read', { detail: { filters, returned: page.entries.length } });
      return page;
    },
  });

  let running: Promise<AuditVerifyResult> | null = null;
  const verify = defineRoute({
    method: 'get',
    url: '/api/audit/verify',
    summary: 'Walks the hash chain: ok with the entry count, or the first broken entry',
    tag: 'audit',
    access: 'session',
    // deps.reader answers unauthenticated (guard and handler call it first).
    sessionCheck: false,
    rule: 'Auditors only (role auditor).',
    responses: {
      200: {
        description: 'the result',
        schema: z.union([
          z.object({ ok: z.literal(true), entries: z.number().int() }),
          z.object({
            ok: z.literal(false),
            brokenAt: z.number().int(),
            entries: z.number().int(),
            why: z.enum(['hash', 'link', 'gap']),
          }),
        ]),
      },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
    handler: async ({ req }) => {
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
    },
  });
  registerRoutes(app, [read, verify]);
}
