// The integrity check of recorded segments (R-REC-2), pure: rows and re-read file digests in,
// findings out. No I/O, no clock — `verify.ts` feeds it from PostgreSQL and the storage.

/** One indexed segment, as the chain check needs it. */
export interface ChainSegment {
  id: number;
  node: string;
  storageKey: string;
  startMs: number;
  endMs: number;
  sha256: string;
  prevSha256: string | null;
}

/** A hole the media node reported (`recording_gaps`). */
export interface ChainGap {
  fromMs: number;
  toMs: number;
}

/** The file as read back now; `null`: missing; `undefined`: files not checked. */
export type FileState = { sha256: string } | null | undefined;

export const PROBLEM_KINDS = [
  /** The file's SHA-256 now differs from the one indexed when it was written. */
  'altered',
  /** The indexed file is gone. */
  'missing_file',
  /** prev_sha256 is not the previous row's sha256: a row is missing before this one, or out of order. */
  'chain_break',
  /** The segment starts before the previous one ended: rows out of order (or overlapping). */
  'reordered',
  /** A hole before this segment longer than twice the segment length, with no gap row explaining it. */
  'unexplained_gap',
  /** A file in the recording directory that no index row names (older than the grace period). */
  'orphan_file',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface ChainProblem {
  kind: ProblemKind;
  /** The segment row; null for an orphan file (no row names it). */
  segmentId: number | null;
  /** The node that wrote the row; for an orphan file the node of the rows beside it, or ''. */
  node: string;
  storageKey: string;
  /** ISO time of the segment's start. */
  startAt: string;
  detail: string;
}

export interface ChainCheckOptions {
  /**
   * The segment just before the first one checked (when checking from a later time), or `null` when
   * the first one checked is the first ever indexed (its prev_sha256 must then be null or a cut).
   */
  anchor: { sha256: string; endMs: number } | null;
  /**
   * Hashes of segments deleted by retention whose successor survived, as the sweeps recorded them
   * in the audit log: a prev_sha256 among them is an accounted cut, not a break.
   */
  cuts: ReadonlySet<string>;
  /** Reported gaps of the same camera and profile. */
  gaps: readonly ChainGap[];
  /** Findings kept per chain (the count goes on). Default 100. */
  maxProblems?: number;
}

export interface ChainReport {
  ok: boolean;
  segments: number;
  /** How many problems were found (more than `problems` holds when capped). */
  problemCount: number;
  problems: ChainProblem[];
  /** The first broken segment in time order, or null. */
  firstBroken: ChainProblem | null;
  /** Retention cuts met (accounted deletions). */
  cuts: number;
}

/** Holes up to this many segment lengths are jitter; longer ones need a gap row. */
const GAP_FACTOR = 2;
const MIN_SEGMENT_MS = 1000;

/**
 * Walks one camera profile's segments in start order (`push` each, then `report`). Works in pages:
 * a million rows need only the previous row in memory.
 */
export class ChainChecker {
  readonly #opts: ChainCheckOptions;
  readonly #max: number;
  #prev: { sha256: string; startMs: number; endMs: number } | null;
  #segments = 0;
  #cuts = 0;
  #count = 0;
  readonly #problems: ChainProblem[] = [];

  constructor(opts: ChainCheckOptions) {
    this.#opts = opts;
    this.#max = opts.maxProblems ?? 100;
    this.#prev = opts.anchor ? { ...opts.anchor, startMs: opts.anchor.endMs } : null;
  }

  push(seg: ChainSegment, file: FileState): void {
    this.#segments += 1;
    const prev = this.#prev;
    const expected = prev ? prev.sha256 : null;
    let cut = false;
    if (seg.prevSha256 !== expected) {
      if (seg.prevSha256 !== null && this.#opts.cuts.has(seg.prevSha256)) {
        cut = true;
        this.#cuts += 1;
      } else {
        this.#add(
          seg,
          'chain_break',
          expected === null
            ? `prev_sha256 ${short(seg.prevSha256)} but no earlier segment is indexed and no retention cut recorded it`
            : `prev_sha256 ${short(seg.prevSha256)} is not the previous segment's ${short(expected)}: a segment before it is missing or out of order`,
        );
      }
    }
    if (prev) {
      if (seg.startMs < prev.endMs) {
        this.#add(
          seg,
          'reordered',
          `starts ${prev.endMs - seg.startMs} ms before the previous segment ended`,
        );
      } else if (!cut) {
        const hole = seg.startMs - prev.endMs;
        const nominal = Math.max(prev.endMs - prev.startMs, seg.endMs - seg.startMs, MIN_SEGMENT_MS);
        if (hole > GAP_FACTOR * nominal && !this.#explained(prev.endMs, seg.startMs)) {
          this.#add(seg, 'unexplained_gap', `${hole} ms without recording and no gap row explaining it`);
        }
      }
    }
    if (file === null) this.#add(seg, 'missing_file', 'the indexed file is missing');
    else if (file !== undefined && file.sha256 !== seg.sha256) {
      this.#add(seg, 'altered', `file hashes to ${short(file.sha256)}, indexed as ${short(seg.sha256)}`);
    }
    this.#prev = { sha256: seg.sha256, startMs: seg.startMs, endMs: seg.endMs };
  }

  report(): ChainReport {
    return {
      ok: this.#count === 0,
      segments: this.#segments,
      problemCount: this.#count,
      problems: this.#problems,
      firstBroken: this.#problems[0] ?? null,
      cuts: this.#cuts,
    };
  }

  #explained(fromMs: number, toMs: number): boolean {
    for (const g of this.#opts.gaps) if (g.fromMs < toMs && g.toMs > fromMs) return true;
    return false;
  }

  #add(seg: ChainSegment, kind: ProblemKind, detail: string): void {
    this.#count += 1;
    if (this.#problems.length >= this.#max) return;
    this.#problems.push({
      kind,
      segmentId: seg.id,
      node: seg.node,
      storageKey: seg.storageKey,
      startAt: new Date(seg.startMs).toISOString(),
      detail,
    });
  }
}

function short(hash: string | null): string {
  return hash === null ? 'null' : `${hash.slice(0, 12)}…`;
}

/** A file found in the recording directory. */
export interface ListedFile {
  storageKey: string;
  /** Last modification, ms since the epoch. */
  mtimeMs: number;
}

/** Where a file would be as the media node lays segments out: `<camera>/<profile>/<day>/<startMs>.mp4`. */
export interface SegmentPath {
  cameraDir: string;
  profile: 'main' | 'sub';
  day: string;
  startMs: number;
}

const SEGMENT_PATH = /^([A-Za-z0-9_.-]+)\/(main|sub)\/(\d{4}-\d{2}-\d{2})\/(\d{1,15})\.mp4$/;

/** The parts of a storage key in the node's layout, or undefined for any other file. */
export function parseSegmentPath(storageKey: string): SegmentPath | undefined {
  const m = SEGMENT_PATH.exec(storageKey);
  if (!m) return undefined;
  return {
    cameraDir: m[1] as string,
    profile: m[2] as 'main' | 'sub',
    day: m[3] as string,
    startMs: Number(m[4]),
  };
}

export interface OrphanCheckOptions {
  /** Now, ms since the epoch. */
  nowMs: number;
  /** Files modified this recently are skipped: a segment in flight is written before it is indexed. */
  graceMs: number;
  /** The node of indexed rows in the same camera profile directory, for the report (else ''). */
  nodeOf?: (storageKey: string) => string | undefined;
}

/**
 * The orphan files among `files`: those no index row names (`indexed`), older than the grace period.
 * Pure: the listing and the index lookup are the caller's.
 */
export function orphanFiles(
  files: readonly ListedFile[],
  indexed: ReadonlySet<string>,
  o: OrphanCheckOptions,
): ChainProblem[] {
  const out: ChainProblem[] = [];
  for (const f of files) {
    if (indexed.has(f.storageKey) || o.nowMs - f.mtimeMs < o.graceMs) continue;
    const at = parseSegmentPath(f.storageKey)?.startMs ?? f.mtimeMs;
    out.push({
      kind: 'orphan_file',
      segmentId: null,
      node: o.nodeOf?.(f.storageKey) ?? '',
      storageKey: f.storageKey,
      startAt: new Date(at).toISOString(),
      detail: `no index row names this file (last modified ${new Date(f.mtimeMs).toISOString()})`,
    });
  }
  return out;
}
