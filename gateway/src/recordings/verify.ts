import type { StreamProfile } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import { chainGaps, chainsOf, indexedKeys, recordedCuts, segmentBefore, segmentPage } from './repository.ts';
import type { RecordingStorage } from './storage.ts';
import {
  ChainChecker,
  type ChainProblem,
  type ChainReport,
  type FileState,
  type ListedFile,
  orphanFiles,
  parseSegmentPath,
} from './verify-core.ts';

export interface VerifyRecordingsOptions {
  cameraId?: string | undefined;
  profile?: StreamProfile | undefined;
  /** Segments starting in [from, to); open ends when absent. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Re-hash each segment's file here; absent: the chain and the rows only. */
  storage?: RecordingStorage | undefined;
  /** Rows read per query. Default 10 000. */
  pageSize?: number;
  /** Files hashed at once. Default 8. */
  fileConcurrency?: number;
  /** Findings kept per chain, and orphan files kept. Default 100. */
  maxProblems?: number;
  /** Files modified this recently are not orphans yet (a segment in flight). Default 2 min. */
  orphanGraceMs?: number;
  /** Files looked up in the index at once. Default 1000. */
  orphanBatch?: number;
}

export interface ChainResult extends ChainReport {
  cameraId: string;
  profile: StreamProfile;
}

export interface RecordingVerifyReport {
  ok: boolean;
  /** Camera profiles checked. */
  chains: number;
  segments: number;
  problemCount: number;
  /** Whether files were re-hashed and the directory searched for orphans (else rows and chain only). */
  filesChecked: boolean;
  /** Files no index row names (past the grace period), all counted. */
  orphanFiles: number;
  /** The first of them (up to `maxProblems`). */
  orphans: ChainProblem[];
  /** The first broken segment of the first broken chain, with its camera and profile. */
  firstBroken: (ChainProblem & { cameraId: string; profile: StreamProfile }) | null;
  results: ChainResult[];
}

/**
 * Verifies recorded segments (R-REC-2): per camera and profile, the rows in start order against
 * their chain (links, order, unexplained holes — retention cuts recorded in the audit log are
 * accounted), and each file re-hashed against its indexed SHA-256 when a storage is given.
 * Reads in keyset pages: a million rows need a page in memory, not the million.
 */
export async function verifyRecordings(
  db: Queryable,
  opts: VerifyRecordingsOptions = {},
): Promise<RecordingVerifyReport> {
  const pageSize = opts.pageSize ?? 10_000;
  const concurrency = opts.fileConcurrency ?? 8;
  const chains = await chainsOf(db, {
    ...(opts.cameraId ? { cameraId: opts.cameraId } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
  });
  const results: ChainResult[] = [];
  for (const key of chains) {
    const anchor = opts.from ? await segmentBefore(db, key, opts.from) : undefined;
    const checker = new ChainChecker({
      anchor: anchor ? { sha256: anchor.sha256, endMs: anchor.endMs } : null,
      cuts: await recordedCuts(db, key),
      gaps: await chainGaps(db, key),
      ...(opts.maxProblems ? { maxProblems: opts.maxProblems } : {}),
    });
    let after: { startMs: number; id: number } | null = null;
    for (;;) {
      const page = await segmentPage(
        db,
        key,
        { from: opts.from ?? null, to: opts.to ?? null },
        after,
        pageSize,
      );
      if (page.length === 0) break;
      let files: FileState[] = [];
      const storage = opts.storage;
      if (storage) {
        files = new Array<FileState>(page.length);
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(concurrency, page.length) }, async () => {
            for (let i = next++; i < page.length; i = next++) {
              const stored = await storage.hash((page[i] as { storageKey: string }).storageKey);
              files[i] = stored ? { sha256: stored.sha256 } : null;
            }
          }),
        );
      }
      for (let i = 0; i < page.length; i++) checker.push(page[i] as (typeof page)[number], files[i]);
      const last = page[page.length - 1] as (typeof page)[number];
      after = { startMs: last.startMs, id: last.id };
      if (page.length < pageSize) break;
    }
    results.push({ cameraId: key.cameraId, profile: key.profile, ...checker.report() });
  }
  const orphans = opts.storage ? await findOrphans(db, opts.storage, opts) : { count: 0, problems: [] };
  const broken = results.find((r) => !r.ok);
  return {
    ok: broken === undefined && orphans.count === 0,
    chains: results.length,
    segments: results.reduce((n, r) => n + r.segments, 0),
    problemCount: results.reduce((n, r) => n + r.problemCount, 0) + orphans.count,
    filesChecked: opts.storage !== undefined,
    orphanFiles: orphans.count,
    orphans: orphans.problems,
    firstBroken: broken?.firstBroken
      ? { ...broken.firstBroken, cameraId: broken.cameraId, profile: broken.profile }
      : null,
    results,
  };
}

/**
 * Files under the recording directory, in the scope asked (camera, profile, start time by the file's
 * name), that no index row names: listed as they come, looked up in batches.
 */
async function findOrphans(
  db: Queryable,
  storage: RecordingStorage,
  opts: VerifyRecordingsOptions,
): Promise<{ count: number; problems: ChainProblem[] }> {
  const max = opts.maxProblems ?? 100;
  const batchSize = opts.orphanBatch ?? 1000;
  const graceMs = opts.orphanGraceMs ?? 120_000;
  const camera = opts.cameraId?.toLowerCase();
  const prefix = camera ? (opts.profile ? `${camera}/${opts.profile}` : camera) : undefined;
  const fromMs = opts.from?.getTime();
  const toMs = opts.to?.getTime();
  const inScope = (key: string): boolean => {
    const p = parseSegmentPath(key);
    // Files outside the node's layout can only be placed by their directory (camera).
    if (!p) return !opts.profile && fromMs === undefined && toMs === undefined;
    if (opts.profile && p.profile !== opts.profile) return false;
    if (fromMs !== undefined && p.startMs < fromMs) return false;
    return toMs === undefined || p.startMs < toMs;
  };
  let count = 0;
  const problems: ChainProblem[] = [];
  let batch: ListedFile[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const indexed = await indexedKeys(
      db,
      batch.map((f) => f.storageKey),
    );
    const found = orphanFiles(batch, new Set(indexed.keys()), {
      nowMs: Date.now(),
      graceMs,
      nodeOf: (key) => {
        // The node of indexed rows in the same directory, if the batch met one.
        const dir = key.slice(0, key.lastIndexOf('/') + 1);
        for (const [k, node] of indexed) if (k.startsWith(dir)) return node;
        return undefined;
      },
    });
    count += found.length;
    problems.push(...found.slice(0, Math.max(0, max - problems.length)));
    batch = [];
  };
  for await (const file of storage.list(prefix)) {
    if (!inScope(file.storageKey)) continue;
    batch.push(file);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { count, problems };
}
