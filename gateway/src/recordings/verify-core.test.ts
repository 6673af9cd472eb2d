import { describe, expect, it } from 'vitest';
import {
  ChainChecker,
  type ChainCheckOptions,
  type ChainSegment,
  type FileState,
  orphanFiles,
  parseSegmentPath,
} from './verify-core.ts';

const T0 = Date.UTC(2026, 0, 1);
const hash = (n: number) => n.toString(16).padStart(64, '0');
/** A chain of `n` 4-second segments, each linked to the one before. */
const chain = (n: number, startMs = T0): ChainSegment[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    node: 'node-1',
    storageKey: `cam/main/${i + 1}.mp4`,
    startMs: startMs + i * 4000,
    endMs: startMs + (i + 1) * 4000,
    sha256: hash(i + 1),
    prevSha256: i === 0 ? null : hash(i),
  }));
const run = (
  segs: ChainSegment[],
  opts: Partial<ChainCheckOptions> = {},
  files?: (s: ChainSegment) => FileState,
) => {
  const c = new ChainChecker({ anchor: null, cuts: new Set(), gaps: [], ...opts });
  for (const s of segs) c.push(s, files?.(s));
  return c.report();
};
const kinds = (r: ReturnType<typeof run>) => r.problems.map((p) => [p.kind, p.segmentId]);

describe('ChainChecker', () => {
  it('passes an intact chain, files included', () => {
    const r = run(chain(5), {}, (s) => ({ sha256: s.sha256 }));
    expect(r).toEqual({ ok: true, segments: 5, problemCount: 0, problems: [], firstBroken: null, cuts: 0 });
  });

  it.each([
    [
      'an altered file',
      (s: ChainSegment) => (s.id === 3 ? { sha256: hash(99) } : { sha256: s.sha256 }),
      [['altered', 3]],
    ],
    [
      'a missing file',
      (s: ChainSegment) => (s.id === 2 ? null : { sha256: s.sha256 }),
      [['missing_file', 2]],
    ],
  ])('names %s', (_what, files, expected) => {
    const r = run(chain(4), {}, files);
    expect(r.ok).toBe(false);
    expect(kinds(r)).toEqual(expected);
    expect(r.firstBroken?.storageKey).toBe(`cam/main/${(expected[0] as [string, number])[1]}.mp4`);
  });

  it('names the segment after a missing row (chain break and the hole it leaves)', () => {
    const segs = chain(7).filter((s) => s.id < 3 || s.id > 5);
    expect(kinds(run(segs))).toEqual([
      ['chain_break', 6],
      ['unexplained_gap', 6],
    ]);
    // One missing 4-second segment is within 2 × the segment length: only the link breaks.
    expect(kinds(run(chain(4).filter((s) => s.id !== 2)))).toEqual([['chain_break', 3]]);
  });

  it('names reordered rows', () => {
    const segs = chain(4);
    const [a, b] = [segs[1] as ChainSegment, segs[2] as ChainSegment];
    // Rows 2 and 3 swapped their times: in start order 3 comes before 2.
    const swapped = [
      segs[0],
      { ...b, startMs: a.startMs, endMs: a.endMs },
      { ...a, startMs: b.startMs, endMs: b.endMs },
      segs[3],
    ];
    expect(kinds(run(swapped as ChainSegment[]))[0]).toEqual(['chain_break', 3]);
    const overlapping = chain(3).map((s) => (s.id === 3 ? { ...s, startMs: s.startMs - 1000 } : s));
    expect(kinds(run(overlapping))).toEqual([['reordered', 3]]);
  });

  it('accepts a hole a gap row explains, and refuses one it does not', () => {
    const segs = chain(4).map((s) =>
      s.id >= 3 ? { ...s, startMs: s.startMs + 60_000, endMs: s.endMs + 60_000 } : s,
    );
    expect(kinds(run(segs))).toEqual([['unexplained_gap', 3]]);
    expect(run(segs, { gaps: [{ fromMs: T0 + 8000, toMs: T0 + 68_000 }] }).ok).toBe(true);
    expect(kinds(run(segs, { gaps: [{ fromMs: T0 + 200_000, toMs: T0 + 300_000 }] }))).toEqual([
      ['unexplained_gap', 3],
    ]);
  });

  it('accepts a retention cut recorded by a sweep, and only that one', () => {
    const segs = chain(6).slice(3); // 1–3 deleted by retention
    expect(kinds(run(segs))).toEqual([['chain_break', 4]]);
    const r = run(segs, { cuts: new Set([hash(3)]) });
    expect([r.ok, r.cuts]).toEqual([true, 1]);
    expect(kinds(run(segs, { cuts: new Set([hash(2)]) }))).toEqual([['chain_break', 4]]);
  });

  it('checks from an anchor (a range that starts later)', () => {
    const segs = chain(5);
    const anchor = { sha256: hash(2), endMs: (segs[1] as ChainSegment).endMs };
    expect(run(segs.slice(2), { anchor }).ok).toBe(true);
    expect(kinds(run(segs.slice(3), { anchor }))).toEqual([['chain_break', 4]]);
  });

  it('keeps at most maxProblems findings but counts them all', () => {
    const r = run(chain(10), { maxProblems: 3 }, () => null);
    expect([r.problemCount, r.problems.length, r.firstBroken?.segmentId]).toEqual([10, 3, 1]);
  });
});

describe('orphan files', () => {
  const NOW = T0 + 3_600_000;
  const GRACE = 120_000;
  const key = (startMs: number) => `cam-1/main/2026-01-01/${startMs}.mp4`;

  it.each([
    ['an indexed file', key(T0), NOW - 600_000, true, []],
    [
      'an unindexed file past the grace',
      key(T0 + 4000),
      NOW - 600_000,
      false,
      [['orphan_file', key(T0 + 4000)]],
    ],
    ['an unindexed file within the grace (in flight)', key(T0 + 8000), NOW - 60_000, false, []],
    [
      'an unindexed file exactly at the grace',
      key(T0 + 8000),
      NOW - GRACE,
      false,
      [['orphan_file', key(T0 + 8000)]],
    ],
    [
      'a file outside the node’s layout',
      'cam-1/main/.x.tmp',
      NOW - 600_000,
      false,
      [['orphan_file', 'cam-1/main/.x.tmp']],
    ],
  ])('%s', (_what, storageKey, mtimeMs, indexed, expected) => {
    const found = orphanFiles([{ storageKey, mtimeMs }], new Set(indexed ? [storageKey] : []), {
      nowMs: NOW,
      graceMs: GRACE,
    });
    expect(found.map((p) => [p.kind, p.storageKey])).toEqual(expected);
  });

  it('reports the start from the file’s name (else its modification time), no segment, and the node given', () => {
    const [a, b] = orphanFiles(
      [
        { storageKey: key(T0 + 4000), mtimeMs: NOW - 600_000 },
        { storageKey: 'stray.bin', mtimeMs: NOW - 600_000 },
      ],
      new Set(),
      { nowMs: NOW, graceMs: GRACE, nodeOf: (k) => (k.startsWith('cam-1/') ? 'node-1' : undefined) },
    );
    expect(a).toMatchObject({ segmentId: null, node: 'node-1', startAt: new Date(T0 + 4000).toISOString() });
    expect(b).toMatchObject({ segmentId: null, node: '', startAt: new Date(NOW - 600_000).toISOString() });
  });

  it.each([
    [
      'cam-1/main/2026-01-01/1767225600000.mp4',
      { cameraDir: 'cam-1', profile: 'main', day: '2026-01-01', startMs: 1767225600000 },
    ],
    ['id-ab12/sub/2026-01-01/5.mp4', { cameraDir: 'id-ab12', profile: 'sub', day: '2026-01-01', startMs: 5 }],
    ['cam-1/hd/2026-01-01/5.mp4', undefined],
    ['cam-1/main/2026-01-01/5.mp4.tmp', undefined],
    ['cam-1/main/5.mp4', undefined],
  ])('parses the node’s layout: %s', (storageKey, expected) => {
    expect(parseSegmentPath(storageKey)).toEqual(expected);
  });
});
