import type { Queryable } from '../db/index.ts';
import { type AuditContent, canonicalAudit, canonicalJson, sha256Hex } from './canonical.ts';
import { AUDIT_COLUMNS, type AuditDbRow, fromDbRow } from './row.ts';
import { type AuditEntryInput, type AuditRow, auditEntryInputSchema } from './types.ts';

/** Canonical JSON of `detail` above this size is refused (a programming error, not an event). */
export const MAX_DETAIL_CHARS = 65_536;

/**
 * Appends one entry to the audit chain inside the caller's transaction, the same transaction as
 * the change it records: if that rolls back, so does the entry.
 *
 * `audit_log_head()` takes the chain's transaction-level advisory lock, then reads the head, so
 * concurrent writers queue and the chain never forks. The lock is held until the transaction ends:
 * call this as the last statement before commit, so the queue moves at the speed of commits and
 * no other lock is taken while holding it. Use READ COMMITTED (the default); under a snapshot taken
 * earlier in the transaction the head may be stale and the insert is refused by the database.
 *
 * The hash is checked against the row the database returns, so an entry that would not verify
 * later (a value the database stores differently) fails now, with its transaction.
 */
export async function appendAudit(tx: Queryable, input: AuditEntryInput): Promise<AuditRow> {
  const entry = auditEntryInputSchema.parse(input);
  const detail = canonicalJson(entry.detail);
  if (detail.length > MAX_DETAIL_CHARS) {
    throw new RangeError(`audit detail too large: ${detail.length} > ${MAX_DETAIL_CHARS} characters`);
  }

  const { rows: heads } = await tx.query<{ seq: string | number; hash: string; at: Date }>(
    'SELECT seq, hash, at FROM audit_log_head()',
  );
  const head = heads[0];
  if (!head) throw new Error('audit_log_head() returned no row');
  const content: AuditContent = { seq: Number(head.seq) + 1, at: head.at, ...entry, prevHash: head.hash };
  const canonical = canonicalAudit(content);
  const hash = sha256Hex(canonical);

  const { rows } = await tx.query<AuditDbRow>(
    `INSERT INTO audit_log (${AUDIT_COLUMNS})
     VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)
     RETURNING ${AUDIT_COLUMNS}`,
    [
      content.seq,
      content.at.toISOString(),
      content.actorId,
      content.actorName,
      content.action,
      content.targetKind,
      content.targetId,
      content.result,
      content.reason,
      content.address,
      content.emergency,
      JSON.stringify(content.detail),
      content.prevHash,
      hash,
    ],
  );
  const stored = rows[0];
  if (!stored) throw new Error('audit_log insert returned no row');
  const row = fromDbRow(stored);
  if (canonicalAudit(row) !== canonical) {
    throw new Error(`audit entry ${row.seq} was not stored as hashed`);
  }
  return row;
}
