import type { Queryable } from '../db/index.ts';
import { type AuditContent, canonicalAudit, canonicalJson, sha256Hex } from './canonical.ts';
import { AUDIT_COLUMNS, type AuditDbRow, fromDbRow } from './row.ts';
import { type AuditEntry, type AuditEntryInput, type AuditRow, auditEntryInputSchema } from './types.ts';

/** Canonical JSON of `detail` above this size is refused (a programming error, not an event). */
export const MAX_DETAIL_CHARS = 65_536;

const COLUMNS_PER_ROW = 14;
/** 4 000 × 14 = 56 000 parameters, under the protocol's 65 535. */
export const ROWS_PER_INSERT = 4000;

/** An entry validated for the chain: schema, and a detail of bounded size. Throws otherwise. */
export function toEntry(input: AuditEntryInput): AuditEntry {
  const entry = auditEntryInputSchema.parse(input);
  const detail = canonicalJson(entry.detail);
  if (detail.length > MAX_DETAIL_CHARS) {
    throw new RangeError(`audit detail too large: ${detail.length} > ${MAX_DETAIL_CHARS} characters`);
  }
  return entry;
}

/** The newest entry of the chain, as the next one links to it. */
export interface ChainHead {
  seq: number;
  hash: string;
  at: Date;
}

/**
 * Writes entries as consecutive links of the chain, in one statement, inside `tx`. The chain lock
 * is taken by `audit_log_head()` and held to commit; the database's link trigger checks each row
 * against the one before it (a row-level BEFORE trigger sees the earlier rows of its statement).
 */
export async function writeBatch(tx: Queryable, entries: readonly AuditEntry[]): Promise<AuditRow[]> {
  if (entries.length === 0) return [];
  const { rows: heads } = await tx.query<{ seq: string | number; hash: string; at: Date }>(
    'SELECT seq, hash, at FROM audit_log_head()',
  );
  const head = heads[0];
  if (!head) throw new Error('audit_log_head() returned no row');
  let at: ChainHead = { seq: Number(head.seq), hash: head.hash, at: head.at };
  const stored: AuditRow[] = [];
  // One INSERT carries at most ROWS_PER_INSERT rows: the protocol counts parameters in 16 bits.
  for (let from = 0; from < entries.length; from += ROWS_PER_INSERT) {
    const links = link(entries.slice(from, from + ROWS_PER_INSERT), at, head.at);
    const { rows } = await tx.query<AuditDbRow>(
      `INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ${links.tuples.join(', ')} RETURNING ${AUDIT_COLUMNS}`,
      links.params,
    );
    stored.push(...checkStored(rows, links.canonicals));
    const last = stored[stored.length - 1] as AuditRow;
    at = { seq: last.seq, hash: last.hash, at: head.at };
  }
  return stored;
}

/**
 * One statement, outside any transaction: takes the chain lock through `audit_log_head()` and
 * inserts `entries` linked onto `head` only if the chain's head is still `head`. Resolves with the
 * stored rows, or `undefined` when the head had moved (nothing inserted). At most ROWS_PER_INSERT.
 */
export async function insertOnHead(
  db: Queryable,
  entries: readonly AuditEntry[],
  head: ChainHead,
): Promise<AuditRow[] | undefined> {
  if (entries.length === 0) return [];
  if (entries.length > ROWS_PER_INSERT) throw new RangeError('audit batch: too many entries for one INSERT');
  const at = new Date(Math.max(Date.now(), head.at.getTime()));
  const links = link(entries, head, at, true);
  const n = links.params.length;
  const { rows } = await db.query<AuditDbRow>(
    `INSERT INTO audit_log (${AUDIT_COLUMNS})
     SELECT v.* FROM audit_log_head() h, (VALUES ${links.tuples.join(', ')}) AS v(${AUDIT_COLUMNS})
      WHERE h.seq = $${n + 1}::bigint AND h.hash = $${n + 2}::text
     RETURNING ${AUDIT_COLUMNS}`,
    [...links.params, head.seq, head.hash],
  );
  if (rows.length === 0) return undefined;
  return checkStored(rows, links.canonicals);
}

/** The entries as links after `head`, all at time `at`: their parameters, tuples and canonical forms. */
function link(entries: readonly AuditEntry[], head: ChainHead, at: Date, typed = false) {
  let seq = head.seq;
  let prevHash = head.hash;
  const canonicals: string[] = [];
  const params: unknown[] = [];
  const tuples: string[] = [];
  // Typed for VALUES in FROM, where nothing tells PostgreSQL the columns' types.
  const t = typed
    ? [
        '::bigint',
        '::timestamptz',
        '::uuid',
        '::text',
        '::text',
        '::text',
        '::text',
        '::text',
        '::text',
        '::text',
        '::boolean',
        '::jsonb',
        '::text',
        '::text',
      ]
    : ['', '::timestamptz', '', '', '', '', '', '', '', '', '', '::jsonb', '', ''];
  for (const entry of entries) {
    seq += 1;
    const content: AuditContent = { seq, at, ...entry, prevHash };
    const canonical = canonicalAudit(content);
    const hash = sha256Hex(canonical);
    canonicals.push(canonical);
    const b = params.length;
    tuples.push(`(${t.map((cast, i) => `$${b + i + 1}${cast}`).join(', ')})`);
    params.push(
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
    );
    prevHash = hash;
  }
  if (params.length !== entries.length * COLUMNS_PER_ROW) throw new Error('audit batch: parameter count');
  return { canonicals, params, tuples };
}

/** The stored rows in seq order, each checked to be what was hashed. */
function checkStored(rows: AuditDbRow[], canonicals: string[]): AuditRow[] {
  const written = rows.map(fromDbRow).sort((a, b) => a.seq - b.seq);
  if (written.length !== canonicals.length)
    throw new Error('audit batch: insert returned a different row count');
  for (const [i, row] of written.entries()) {
    if (canonicalAudit(row) !== canonicals[i])
      throw new Error(`audit entry ${row.seq} was not stored as hashed`);
  }
  return written;
}
