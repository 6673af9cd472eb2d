import type { Db, Queryable } from '../db/index.ts';
import { MAX_DETAIL_CHARS } from './append.ts';
import { type AuditContent, canonicalAudit, canonicalJson, sha256Hex } from './canonical.ts';
import { AUDIT_COLUMNS, type AuditDbRow, fromDbRow } from './row.ts';
import { type AuditEntry, type AuditEntryInput, type AuditRow, auditEntryInputSchema } from './types.ts';

export interface AuditBatcherOptions {
  /** Most entries written by one transaction (one multi-row INSERT). */
  maxBatch?: number;
}

interface Pending {
  entry: AuditEntry;
  resolve: (row: AuditRow) => void;
  reject: (err: unknown) => void;
}

const COLUMNS_PER_ROW = 14;
/** 4 000 × 14 = 56 000 parameters, under the protocol's 65 535. */
const ROWS_PER_INSERT = 4000;

/**
 * Group commit for audit entries that record an event with no other change to commit with it —
 * access decisions, token issues, logins. `append()` resolves only once its entry is committed,
 * so a caller that awaits it never acts on an unaudited decision; entries that arrive while a
 * batch is being written wait for the next one, and each batch is one transaction, one chain-lock
 * and one commit (fsync) for up to `maxBatch` entries instead of one each.
 *
 * Entries recording a change (registry, incidents, walls) still use `appendAudit` inside the
 * change's own transaction; both paths take the same chain lock, so they interleave safely.
 *
 * A failed batch rejects every entry in it (nothing of it is stored); the next batch starts anew.
 */
export class AuditBatcher {
  readonly #db: Db;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(db: Db, options: AuditBatcherOptions = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 500;
  }

  /** Validates now (a bad entry fails alone), then resolves with the stored row after commit. */
  append(input: AuditEntryInput): Promise<AuditRow> {
    if (this.#closed) return Promise.reject(new Error('audit batcher is closed'));
    let entry: AuditEntry;
    try {
      entry = auditEntryInputSchema.parse(input);
      const detail = canonicalJson(entry.detail);
      if (detail.length > MAX_DETAIL_CHARS) {
        throw new RangeError(`audit detail too large: ${detail.length} > ${MAX_DETAIL_CHARS} characters`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AuditRow>((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  /** Waits for what is queued, then refuses new entries. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#flushing;
  }

  async #drain(): Promise<void> {
    try {
      // Entries appended in the same tick (a decision and its token issue) share one commit.
      await Promise.resolve();
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const rows = await this.#db.transaction((tx) =>
            writeBatch(
              tx,
              batch.map((p) => p.entry),
            ),
          );
          for (const [i, p] of batch.entries()) p.resolve(rows[i] as AuditRow);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }
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
  let seq = Number(head.seq);
  let prevHash = head.hash;
  const stored: AuditRow[] = [];
  // One INSERT carries at most ROWS_PER_INSERT rows: the protocol counts parameters in 16 bits.
  for (let from = 0; from < entries.length; from += ROWS_PER_INSERT) {
    const chunk = entries.slice(from, from + ROWS_PER_INSERT);
    const canonicals: string[] = [];
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const entry of chunk) {
      seq += 1;
      const content: AuditContent = { seq, at: head.at, ...entry, prevHash };
      const canonical = canonicalAudit(content);
      const hash = sha256Hex(canonical);
      canonicals.push(canonical);
      const b = params.length;
      tuples.push(
        `($${b + 1}, $${b + 2}::timestamptz, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9}, $${b + 10}, $${b + 11}, $${b + 12}::jsonb, $${b + 13}, $${b + 14})`,
      );
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
    if (params.length !== chunk.length * COLUMNS_PER_ROW) throw new Error('audit batch: parameter count');
    const { rows } = await tx.query<AuditDbRow>(
      `INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ${tuples.join(', ')} RETURNING ${AUDIT_COLUMNS}`,
      params,
    );
    const written = rows.map(fromDbRow).sort((a, b) => a.seq - b.seq);
    if (written.length !== chunk.length)
      throw new Error('audit batch: insert returned a different row count');
    for (const [i, row] of written.entries()) {
      if (canonicalAudit(row) !== canonicals[i])
        throw new Error(`audit entry ${row.seq} was not stored as hashed`);
      stored.push(row);
    }
  }
  return stored;
}
