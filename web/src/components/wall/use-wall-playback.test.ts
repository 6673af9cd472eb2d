import { describe, expect, it } from 'vitest';
import { footageMoment, nextSpeed, PRESENT_MARGIN_MS } from './use-wall-playback';

describe('nextSpeed', () => {
  it.each<[number, 1 | -1, number]>([
    [1, 1, 2],
    [2, 1, 4],
    [4, 1, 8],
    [8, 1, 8],
    [1, -1, 0.5],
    [0.5, -1, 0.5],
    [8, -1, 4],
    // A speed set between the steps (another client) goes to the next step each way.
    [3, 1, 4],
    [3, -1, 2],
  ])('%s× %s → %s×', (speed, dir, expected) => {
    expect(nextSpeed(speed, dir)).toBe(expected);
  });
});

describe('footageMoment', () => {
  const now = Date.parse('2026-12-08T02:00:00.000Z');
  it.each<[string, number, string]>([
    ['a past moment as it is', now - 20_000, '2026-12-08T01:59:40.000Z'],
    ['the present less the margin', now, new Date(now - PRESENT_MARGIN_MS).toISOString()],
    [
      'a future moment held before the present',
      now + 60_000,
      new Date(now - PRESENT_MARGIN_MS).toISOString(),
    ],
    ['fractions of a millisecond rounded', now - 20_000.4, '2026-12-08T01:59:40.000Z'],
  ])('%s', (_name, ms, expected) => {
    expect(footageMoment(ms, now)).toBe(expected);
  });
});
