import type { Queryable } from '../db/index.ts';
import { AUDIT_COLUMNS, type AuditDbRow, fromDbRow } from './row.ts';
import { type AuditFilter, type AuditPage, MAX_AUDIT_PAGE } from './types.ts';

/**
 * Entries matching every given filter, newest first, at most `limit` (≤ MAX_AUDIT_PAGE) per page. Paging is by
 * keyset: pass the page's `nextBefore` as `before`, which stays exact while entries are appended.
 */
export async function listAudit(db: Queryable, q: AuditFilter = {}): Promise<AuditPage> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), MAX_AUDIT_PAGE);
  const where: string[] = [];
  const params: unknown[] = [];
  const cond = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.actorId !== undefined) cond('actor_id = ?', q.actorId);
  if (q.actor !== undefined) cond('actor_name = ?', q.actor);
  if (q.action !== undefined) cond('action = ?', q.action);
  if (q.targetKind !== undefined) cond('target_kind = ?', q.targetKind);
  if (q.targetId !== undefined) cond('target_id = ?', q.targetId);
  if (q.result !== undefined) cond('result = ?', q.result);
  if (q.emergency !== undefined) cond('emergency = ?', q.emergency);
  if (q.from !== undefined) cond('at >= ?::timestamptz', q.from);
  if (q.to !== undefined) cond('at < ?::timestamptz', q.to);
  if (q.before !== undefined) cond('seq < ?', q.before);
  params.push(limit + 1);
  const { rows } = await db.query<AuditDbRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  const entries = rows.slice(0, limit).map(fromDbRow);
  const last = entries[entries.length - 1];
  return { entries, nextBefore: rows.length > limit && last ? last.seq : null };
}
