import { describe, expect, it } from 'vitest';
import { RefusalBackoff } from './refusals.ts';

const limits = { max: 3, windowMs: 60_000, blockMs: 30_000 };
const A = '192.0.2.10';
const B = '192.0.2.11';

describe('RefusalBackoff', () => {
  it.each<[string, number[], { blockedAt: number | undefined; blockedAfter: [number, boolean][] }]>([
    [
      'the max-th refusal within the window blocks for blockMs',
      [0, 1000, 2000],
      {
        blockedAt: 2,
        blockedAfter: [
          [2000, true],
          [31_999, true],
          [32_000, false],
        ],
      },
    ],
    [
      'refusals spread over more than the window never block',
      [0, 30_000, 60_000, 90_000],
      { blockedAt: undefined, blockedAfter: [[90_000, false]] },
    ],
    [
      'a new window starts with the first refusal after the last one ended',
      [0, 59_999, 60_000, 60_001, 60_002],
      {
        blockedAt: 4,
        blockedAfter: [
          [60_002, true],
          [90_001, true],
          [90_002, false],
        ],
      },
    ],
  ])('%s', (_name, times, expected) => {
    const b = new RefusalBackoff(limits);
    const starts = times.map((t) => b.refused(A, t));
    const at = starts.findIndex((s) => s !== undefined);
    expect(at === -1 ? undefined : at).toBe(expected.blockedAt);
    if (expected.blockedAt !== undefined) {
      expect(starts[expected.blockedAt]).toEqual({ refusals: 3, blockedForMs: 30_000 });
    }
    for (const [t, blocked] of expected.blockedAfter) expect([t, b.blocked(A, t)]).toEqual([t, blocked]);
  });

  it('counts each address on its own, announces a block once, and counts afresh after it', () => {
    const b = new RefusalBackoff(limits);
    b.refused(A, 0);
    b.refused(A, 1);
    b.refused(B, 2);
    expect(b.refused(A, 3)).toEqual({ refusals: 3, blockedForMs: 30_000 });
    expect(b.blocked(B, 3)).toBe(false);
    // Refusals during the block (on registered flows, which are still served) start nothing.
    expect(b.refused(A, 10)).toBeUndefined();
    expect(b.blocked(A, 30_002)).toBe(true);
    expect(b.blocked(A, 30_003)).toBe(false);
    expect(b.refused(A, 30_003)).toBeUndefined();
    expect(b.refused(A, 30_004)).toBeUndefined();
    expect(b.refused(A, 30_005)).toEqual({ refusals: 3, blockedForMs: 30_000 });
  });

  it('keeps at most maxTracked addresses (the oldest forgotten) and sweeps the ended ones', () => {
    const b = new RefusalBackoff({ ...limits, blockMs: 120_000, maxTracked: 100 });
    for (let i = 0; i < 1000; i++) b.refused(`10.0.${i >> 8}.${i & 255}`, i);
    expect(b.size).toBe(100);
    expect(b.refused(A, 1000)).toBeUndefined();
    expect(b.refused(A, 1000)).toBeUndefined();
    expect(b.refused(A, 1000)).toEqual({ refusals: 3, blockedForMs: 120_000 });
    expect(b.size).toBe(100);
    // The counting windows are over, the block is not.
    b.sweep(1000 + 60_000);
    expect(b.size).toBe(1);
    expect(b.blocked(A, 1000 + 60_000)).toBe(true);
    b.sweep(1000 + 120_000);
    expect(b.size).toBe(0);
    expect(b.blocked(A, 1000 + 120_000)).toBe(false);
  });
});
