import { describe, expect, it } from 'vitest';
import { parsePlaylistRow } from './playback-repository.ts';

const SHA = 'ab'.repeat(32);

describe('a playlist row in its text form', () => {
  it.each([
    [
      'an H.264 segment with its size',
      `1765000000000|1765000004000|4000|640|360|h264|${SHA}|cam-1/sub/2025-12-06/1765000000000.mp4|node-1`,
      {
        startMs: 1_765_000_000_000,
        endMs: 1_765_000_004_000,
        durationMs: 4000,
        width: 640,
        height: 360,
        codec: 'h264',
        sha256: SHA,
        storageKey: 'cam-1/sub/2025-12-06/1765000000000.mp4',
        node: 'node-1',
      },
    ],
    [
      'no size recorded (0 from coalesce) and a node id holding the separator',
      `1|2|1|0|0|h265|${SHA}|k.mp4|media|node a`,
      {
        startMs: 1,
        endMs: 2,
        durationMs: 1,
        width: null,
        height: null,
        codec: 'h265',
        sha256: SHA,
        storageKey: 'k.mp4',
        node: 'media|node a',
      },
    ],
  ])('%s', (_case, row, segment) => {
    expect(parsePlaylistRow(row)).toEqual(segment);
  });

  it('refuses a row with fewer than nine fields', () => {
    expect(() => parsePlaylistRow('1|2|3')).toThrow(/nine fields/);
  });
});
