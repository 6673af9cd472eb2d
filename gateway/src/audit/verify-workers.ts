import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { AuditVerifyResult } from './types.ts';
import { joinRanges, type RangeResult } from './verify.ts';
import type { VerifyRangeJob } from './verify-range-worker.ts';

export interface VerifyInWorkersOptions {
  /** Worker threads (each with its own connection); default: the cores, at most 4. */
  workers?: number;
  /** Below this many entries one worker walks the whole chain. */
  minPerWorker?: number;
  batchSize?: number;
}

const WORKER_URL = new URL('./verify-worker.mjs', import.meta.url);

/** The verify worker count when none is configured: the cores, at most 4. */
export function defaultVerifyWorkers(): number {
  return Math.min(4, availableParallelism());
}

function runWorker(job: VerifyRangeJob): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_URL, { workerData: job });
    let settled = false;
    w.once('message', (m: { ok: true; result: RangeResult } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(`audit verify worker: ${m.error}`));
    });
    w.once('error', (err) => {
      settled = true;
      reject(err);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`audit verify worker exited with code ${code}`));
    });
  });
}

/**
 * `verifyAudit` off the calling thread, the chain split into consecutive seq ranges walked at once
 * by worker threads, each on its own connection; the ranges are then joined (each range's first
 * link to the previous range's last hash). The gateway's event loop keeps serving while a long
 * chain is hashed, and a multi-core machine hashes it proportionally faster. The last range is
 * open-ended, so entries appended during the walk are verified too, as a single walk would.
 * PostgreSQL only (PGlite lives in one thread): use `verifyAudit` there.
 */
export async function verifyAuditInWorkers(
  databaseUrl: string,
  options: VerifyInWorkersOptions = {},
): Promise<AuditVerifyResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let head: number;
  try {
    const { rows } = await client.query<{ head: string | null }>(
      'SELECT max(seq)::text AS head FROM audit_log',
    );
    head = Number(rows[0]?.head ?? 0);
  } finally {
    await client.end();
  }
  const minPer = options.minPerWorker ?? 50_000;
  const n = Math.max(1, Math.min(options.workers ?? defaultVerifyWorkers(), Math.floor(head / minPer)));
  const size = Math.ceil(head / n);
  const jobs: VerifyRangeJob[] = Array.from({ length: n }, (_, i) => ({
    databaseUrl,
    from: i * size + 1,
    to: i === n - 1 ? null : (i + 1) * size,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  }));
  return joinRanges(await Promise.all(jobs.map(runWorker)));
}
