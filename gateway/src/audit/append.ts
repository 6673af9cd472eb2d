import type { Queryable } from '../db/index.ts';
import { toEntry, writeBatch } from './chain.ts';
import type { AuditEntryInput, AuditRow } from './types.ts';

export { MAX_DETAIL_CHARS } from './chain.ts';
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
  const [row] = await writeBatch(tx, [toEntry(input)]);
  if (!row) throw new Error('audit_log insert returned no row');
  return row;
}
