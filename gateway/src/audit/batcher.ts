import type { Db } from '../db/index.ts';
import { type ChainHead, insertOnHead, ROWS_PER_INSERT, toEntry, writeBatch } from './chain.ts';
import type { AuditEntry, AuditEntryInput, AuditRow } from './types.ts';

export interface AuditBatcherOptions {
  /** Most entries written by one transaction (one multi-row INSERT). */
  maxBatch?: number;
}

interface Pending {
  entry: AuditEntry;
  resolve: (row: AuditRow) => void;
  reject: (err: unknown) => void;
}

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
      entry = toEntry(input);
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
