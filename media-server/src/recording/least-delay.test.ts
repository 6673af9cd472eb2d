import { describe, expect, it } from 'vitest';
import { leastDelayAnchor, lessDelayed } from './recorder.ts';

// 25 fps: 3600 ticks of the 90 kHz RTP clock a frame; frame k captured at 10 000 + 40k ms.
const frame = (k: number, delayMs: number) => ({
  timestamp: 1_000_000 + k * 3600,
  arrivedAt: 10_000 + k * 40 + delayMs,
});

describe('leastDelayAnchor', () => {
  it.each([
    ['no frames', [], undefined],
    ['one frame', [frame(0, 120)], { wall: 10_120, ts: 1_000_000 }],
    [
      // The key frame a run starts with came 90 ms late; the least delayed frame says 35 ms.
      'a late key frame first: the least delayed frame wins',
      [frame(0, 125), frame(1, 52), frame(2, 35), frame(3, 61), frame(4, 48)],
      { wall: 10_115, ts: 1_000_000 + 2 * 3600 },
    ],
    [
      'a burst after a stall (frames late, then caught up) does not move it',
      [frame(0, 40), frame(1, 400), frame(2, 360), frame(3, 320), frame(4, 41)],
      { wall: 10_040, ts: 1_000_000 },
    ],
  ])('%s', (_name, units, expected) => {
    expect(leastDelayAnchor(units)).toEqual(expected);
  });

  it('two cameras with the same pipeline delay but unlike key-frame delays get the same clock', () => {
    const camA = [frame(0, 180), frame(1, 40), frame(2, 44), frame(3, 41)];
    const camB = [frame(0, 60), frame(1, 47), frame(2, 40), frame(3, 43)];
    const wallOf = (a: { wall: number; ts: number } | undefined, ts: number) =>
      a ? a.wall + ((ts - a.ts) * 1000) / 90_000 : Number.NaN;
    // Frame 0's capture time + the least delay (40 ms) on both.
    expect(wallOf(leastDelayAnchor(camA), 1_000_000)).toBe(10_040);
    expect(wallOf(leastDelayAnchor(camB), 1_000_000)).toBe(10_040);
  });
});

describe('lessDelayed', () => {
  it('moves a run’s anchor only to a frame that came with less delay', () => {
    const a0 = lessDelayed(undefined, frame(0, 90));
    expect(a0).toEqual({ wall: 10_090, ts: 1_000_000 });
    expect(lessDelayed(a0, frame(1, 95))).toBe(a0); // later: kept
    expect(lessDelayed(a0, frame(1, 90))).toBe(a0); // as late: kept (no churn)
    expect(lessDelayed(a0, frame(5, 41))).toEqual({ wall: 10_241, ts: 1_000_000 + 5 * 3600 });
  });
});
