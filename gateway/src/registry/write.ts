import { AppError, type ErrorCode, requestErrorCode } from '@wall/protocol';
import type { z } from 'zod';
import { appendAudit } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { CurrentUser } from '../identity/index.ts';

/** Who writes, from where (the audit entry names both). */
export interface RegistryActor {
  user: CurrentUser;
  address: string;
}

/** What is being written, for the audit entry. */
export interface WriteTarget {
  action: `${'camera' | 'source'}.${string}`;
  targetKind: 'camera' | 'source';
  targetId: string | null;
}

/** A refused write: recorded in the audit log and committed, then answered with its error. */
export class Refusal {
  constructor(readonly error: AppError) {}
}

export interface WriteScope {
  tx: Queryable;
  /** Audits the refusal (result `deny`, reason = the code) and returns it for the caller to return. */
  refuse(code: ErrorCode, message: string, detail?: Record<string, unknown>): Promise<Refusal>;
  /** Audits the change (result `ok`); call it last, after the change, before returning. */
  done(reason: string, detail: Record<string, unknown>, targetId?: string): Promise<void>;
}

/**
 * Runs one registry write in one transaction with its audit entry (R-AUD-1): the change and the
 * entry commit together, and a refusal commits its entry alone. Never put secret values in `detail`.
 */
export async function auditedWrite<T>(
  db: Db,
  actor: RegistryActor,
  target: WriteTarget,
  fn: (w: WriteScope) => Promise<T | Refusal>,
): Promise<T> {
  const { user, address } = actor;
  const entry = (result: 'ok' | 'deny', reason: string, detail: Record<string, unknown>, id?: string) => ({
    actorId: user.id,
    actorName: user.username,
    action: target.action,
    targetKind: target.targetKind,
    targetId: id ?? target.targetId,
    result,
    reason,
    address,
    detail,
  });
  const out = await db.transaction((tx) =>
    fn({
      tx,
      async refuse(code, message, detail = {}) {
        await appendAudit(tx, entry('deny', code, detail));
        return new Refusal(new AppError(code, message));
      },
      async done(reason, detail, id) {
        await appendAudit(tx, entry('ok', reason, detail, id));
      },
    }),
  );
  if (out instanceof Refusal) throw out.error;
  return out;
}

/**
 * 400 naming every bad field (paths and messages only: values, secrets included, are never echoed);
 * `invalid:control_char` when a string carried a control character, else `invalid:request`.
 */
export function invalidBody(error: z.ZodError, prefix = ''): AppError {
  return new AppError(
    requestErrorCode(error),
    error.issues
      .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)'}: ${i.message}`)
      .join('; '),
  );
}

/** PostgreSQL unique violation. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
