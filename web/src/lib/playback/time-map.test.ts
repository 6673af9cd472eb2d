import { describe, expect, it } from 'vitest';
import { TimeMap } from './time-map';

// Three segments of 2 s: two in a row from 10:00:00, a gap of 5 s, one more. On the media
// timeline they follow each other (0, 2, 4 s), as the playlist's EXTINF sums say.
const T0 = Date.parse('2026-12-08T02:00:00.000Z');
const map = new TimeMap([
  { start: 0, duration: 2, programDateTime: T0 },
  { start: 2, duration: 2, programDateTime: T0 + 2000 },
  { start: 4, duration: 2, programDateTime: T0 + 9000 },
]);

describe('TimeMap', () => {
  it.each([
    [0, T0],
    [1.234, T0 + 1234],
    [2, T0 + 2000],
    [3.999, T0 + 3999],
    [4, T0 + 9000],
    [5.5, T0 + 10_500],
    [6, T0 + 11_000],
    [7, T0 + 11_000], // past the end: the last moment
    [-1, T0], // before the start: the first
  ])('media %s s → wall %s', (media, wall) => {
    expect(map.mediaToWall(media)).toBe(wall);
  });

  it.each([
    [T0 - 1, { kind: 'before', media: 0, wall: T0 }],
    [T0, { kind: 'recorded', media: 0 }],
    [T0 + 1500, { kind: 'recorded', media: 1.5 }],
    [T0 + 3999, { kind: 'recorded', media: 3.999 }],
    [T0 + 4000, { kind: 'gap', media: 4, wall: T0 + 9000 }],
    [T0 + 8999, { kind: 'gap', media: 4, wall: T0 + 9000 }],
    [T0 + 9250, { kind: 'recorded', media: 4.25 }],
    [T0 + 11_000, { kind: 'after' }],
  ])('wall %s → %o', (wall, pos) => {
    expect(map.wallToMedia(wall)).toEqual(pos);
  });

  it('round-trips recorded times to the millisecond', () => {
    for (let w = T0; w < T0 + 4000; w += 37) {
      const pos = map.wallToMedia(w);
      expect(pos.kind).toBe('recorded');
      if (pos.kind === 'recorded') expect(map.mediaToWall(pos.media)).toBe(w);
    }
  });

  it('gives the wall-clock range of the whole playlist and of one segment', () => {
    expect(map.wallRange).toEqual({ from: T0, to: T0 + 11_000 });
    expect(map.wallSpanOf(4)).toEqual({ from: T0 + 9000, to: T0 + 11_000 });
    expect(map.wallSpanOf(2.5)).toEqual({ from: T0 + 2000, to: T0 + 4000 });
  });

  it('ignores segments without a program date time and maps nothing when empty', () => {
    const empty = new TimeMap([{ start: 0, duration: 2, programDateTime: null }]);
    expect(empty.empty).toBe(true);
    expect(empty.mediaToWall(1)).toBeNull();
    expect(empty.wallToMedia(T0)).toEqual({ kind: 'after' });
    expect(empty.wallRange).toBeNull();
  });
});
