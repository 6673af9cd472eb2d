import { describe, expect, it } from 'vitest';
import { type ClockSample, clockOffset } from './server-clock';

describe('clockOffset', () => {
  it.each<[string, ClockSample[], { offsetMs: number; rttMs: number } | null]>([
    ['no samples', [], null],
    [
      'one sample: the server read half-way',
      [{ sentMs: 1000, receivedMs: 1040, serverMs: 6020 }],
      { offsetMs: 5000, rttMs: 40 },
    ],
    [
      'the shortest round trip wins (a slow answer is less certain)',
      [
        { sentMs: 1000, receivedMs: 1400, serverMs: 900 },
        { sentMs: 2000, receivedMs: 2010, serverMs: 1905 },
        { sentMs: 3000, receivedMs: 3100, serverMs: 2990 },
      ],
      { offsetMs: -100, rttMs: 10 },
    ],
    [
      'a local clock that stepped back during a sample is skipped',
      [{ sentMs: 1000, receivedMs: 990, serverMs: 5 }],
      null,
    ],
  ])('%s', (_name, samples, expected) => {
    expect(clockOffset(samples)).toEqual(expected);
  });
});
