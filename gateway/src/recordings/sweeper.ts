import type { StreamProfile } from '@wall/protocol';
import { appendAudit } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import { type DeletedSegment, deleteExpired, survivingLinks, sweepCandidates } from './repository.ts';
import type { RecordingStorage } from './storage.ts';

export interface RetentionSweeperOptions {
  db: Db;
  storage: RecordingStorage;
  logger: Logger;
  /** Retention of cameras that set none (RECORDING_RETENTION_DAYS, ≥ 30). */
  defaultDays: number;
  /** Segments examined (and at most deleted) per transaction. */
  batch: number;
}

/** One chain's share of a sweep batch, as the audit entry records it. */
export interface SweptChain {
  cameraId: string;
  profile: StreamProfile;
  /** Start of the first and end of the last deleted segment. */
  from: string;
  to: string;
  count: number;
  bytes: number;
  /** SHA-256 of the latest deleted segment of this chain. */
  lastSha256: string;
  /**
   * Deleted segments a surviving segment links to (prev_sha256): the verifier accepts these links
   * as accounted retention cuts, so the chain still verifies after the deletion.
   */
  cuts: string[];
}

export interface SweepResult {
  deleted: number;
  bytes: number;
  batches: number;
  /** Files that could not be removed (their rows are gone; logged). */
  fileErrors: number;
}

/** Chains per audit entry: keeps each entry's detail far below the audit's size limit. */
const CHAINS_PER_ENTRY = 100;
/** Files deleted at once after a batch. */
const FILE_CONCURRENCY = 16;
/** A key of its own, so that gateways sweeping at once take turns per batch. */
const SWEEP_LOCK = 'recording:sweep';

/**
 * Deletes recorded segments past their retention (the camera's, else `defaultDays`; never under 30
 * days) that no unreleased evidence hold covers (R-REC-1). Batches of `batch` rows, each its own
 * short transaction with its audit entries (`recording.sweep`: per camera and profile the range,
 * count, bytes, the last deleted hash and the cuts), and the files deleted only after their rows'
 * deletion committed — a row the database kept (the trigger) keeps its file.
 */
export class RetentionSweeper {
  readonly #opts: RetentionSweeperOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<SweepResult> | null = null;
  #closed = false;

  constructor(opts: RetentionSweeperOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ feature: 'retention-sweeper' });
  }

  /** Sweeps every `intervalMs` (the first after one interval). */
  start(intervalMs: number): void {
    if (this.#timer || this.#closed || intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.sweep().catch((err: unknown) => this.#log.error({ err }, 'retention sweep failed'));
    }, intervalMs);
    this.#timer.unref();
  }

  /** One sweep over everything expired now; concurrent callers share it. */
  sweep(): Promise<SweepResult> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a running sweep. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  async #sweep(): Promise<SweepResult> {
    const out: SweepResult = { deleted: 0, bytes: 0, batches: 0, fileErrors: 0 };
    let cursor: { end: Date; id: number } | null = null;
    for (;;) {
      if (this.#closed) break;
      const step: { deleted: DeletedSegment[]; next: { end: Date; id: number } | null } =
        await this.#opts.db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [SWEEP_LOCK]);
          const { ids, last } = await sweepCandidates(tx, cursor, this.#opts.batch);
          if (ids.length === 0) return { deleted: [], next: null };
          const deleted = await deleteExpired(tx, ids, this.#opts.defaultDays);
          if (deleted.length > 0) {
            const chains = await summarise(tx, deleted);
            for (let i = 0; i < chains.length; i += CHAINS_PER_ENTRY) {
              const part = chains.slice(i, i + CHAINS_PER_ENTRY);
              await appendAudit(tx, {
                actorName: 'retention-sweeper',
                action: 'recording.sweep',
                targetKind: 'recording',
                result: 'ok',
                reason: `${part.reduce((n, c) => n + c.count, 0)} segments past retention deleted`,
                detail: {
                  defaultDays: this.#opts.defaultDays,
                  count: part.reduce((n, c) => n + c.count, 0),
                  bytes: part.reduce((n, c) => n + c.bytes, 0),
                  cameras: part.map((c) => ({ ...c })),
                },
              });
            }
          }
          return { deleted, next: last };
        });
      // Rows are gone (committed): now their files, a few at a time.
      let next = 0;
      const removeNext = async (): Promise<void> => {
        for (let k = next++; k < step.deleted.length; k = next++) {
          const d = step.deleted[k] as DeletedSegment;
          try {
            await this.#opts.storage.remove(d.storageKey);
          } catch (err) {
            out.fileErrors += 1;
            this.#log.error(
              { err, storageKey: d.storageKey, cameraId: d.cameraId },
              'segment file not deleted',
            );
          }
          out.bytes += d.bytes;
        }
      };
      await Promise.all(Array.from({ length: Math.min(FILE_CONCURRENCY, step.deleted.length) }, removeNext));
      out.deleted += step.deleted.length;
      if (step.next === null) break;
      out.batches += 1;
      cursor = step.next;
    }
    if (out.deleted > 0) this.#log.info({ ...out }, 'retention sweep done');
    return out;
  }
}

async function summarise(tx: Queryable, deleted: DeletedSegment[]): Promise<SweptChain[]> {
  const byChain = new Map<string, DeletedSegment[]>();
  for (const d of deleted) {
    const k = `${d.cameraId}/${d.profile}`;
    const list = byChain.get(k);
    if (list) list.push(d);
    else byChain.set(k, [d]);
  }
  const chains: SweptChain[] = [];
  for (const list of byChain.values()) {
    list.sort((a, b) => a.start.getTime() - b.start.getTime());
    const first = list[0] as DeletedSegment;
    const last = list[list.length - 1] as DeletedSegment;
    let untilMs = first.end.getTime();
    for (const d of list) untilMs = Math.max(untilMs, d.end.getTime());
    const until = new Date(untilMs);
    const cuts = await survivingLinks(
      tx,
      first.cameraId,
      first.profile,
      { since: first.start, until },
      list.map((d) => d.sha256),
    );
    chains.push({
      cameraId: first.cameraId,
      profile: first.profile,
      from: first.start.toISOString(),
      to: until.toISOString(),
      count: list.length,
      bytes: list.reduce((n, d) => n + d.bytes, 0),
      lastSha256: last.sha256,
      cuts,
    });
  }
  return chains;
}
