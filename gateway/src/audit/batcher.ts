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
 * A batch is one statement, one round trip, when the batcher knows the head: it hashes the
 * entries onto the head it wrote last and sends a guarded INSERT that takes the chain lock and
 * inserts only if the head is still that one (see `insertOnHead`). When another writer moved the
 * head meanwhile (a per-change append, another gateway), nothing is inserted and the batch is
 * written the long way: transaction, lock, read the head, insert, commit. The time of an entry
 * written on a known head is this gateway's clock (never earlier than the head's); the long way
 * takes the database's.
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
  /** The head after the last batch this batcher wrote; null before the first and after a failure. */
  #head: ChainHead | null = null;

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
          const entries = batch.map((p) => p.entry);
          const head = this.#head;
          const rows =
            (head && entries.length <= ROWS_PER_INSERT
              ? await insertOnHead(this.#db, entries, head)
              : undefined) ?? (await this.#db.transaction((tx) => writeBatch(tx, entries)));
          const last = rows[rows.length - 1] as AuditRow;
          this.#head = { seq: last.seq, hash: last.hash, at: last.at };
          for (const [i, p] of batch.entries()) p.resolve(rows[i] as AuditRow);
        } catch (err) {
          this.#head = null;
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }
}

interface ChainHead {
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
