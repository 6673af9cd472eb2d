import { describe, expect, it } from 'vitest';
import type { PlaylistSegment } from './playlist.ts';
import { PlaylistSegmentCache } from './playlist-cache.ts';

const H = 3_600_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % H); // an hour's start
const seg = (startMs: number, ms = 4000): PlaylistSegment => ({
  startMs,
  endMs: startMs + ms,
  durationMs: ms,
  node: 'n1',
  storageKey: `cam/sub/d/${startMs}.mp4`,
  sha256: 'a'.repeat(64),
  codec: 'h264',
  width: 640,
  height: 360,
});
/** A camera recording every 4 s from T0 − 1 h to T0 + 3 h (the index, as the loader reads it). */
const INDEX = Array.from({ length: 3600 }, (_, i) => seg(T0 - H + i * 4000));

function setup(o: { now: number; maxSegments?: number; ttlMs?: number }) {
  const loads: string[] = [];
  let now = o.now;
  const cache = new PlaylistSegmentCache({
    load: async (_cam, _prof, from, to) => {
      loads.push(`${(from.getTime() - T0) / H}h`);
      return INDEX.filter((s) => s.startMs >= from.getTime() && s.startMs < to.getTime());
    },
    maxSegments: o.maxSegments ?? 100_000,
    ttlMs: o.ttlMs ?? 300_000,
    settleMs: 120_000,
    now: () => now,
  });
  return { cache, loads, advance: (ms: number) => (now += ms) };
}

describe('the playlist segment cache', () => {
  it('returns the segments overlapping the range, the one running at its start included', async () => {
    const { cache } = setup({ now: T0 + 3 * H });
    const got = await cache.overlapping('cam', 'sub', T0 + 2000, T0 + 12_000);
    expect(got.map((s) => s.startMs - T0)).toEqual([0, 4000, 8000]);
    // A range across an hour's edge: both blocks, in order, no duplicates.
    const across = await cache.overlapping('cam', 'sub', T0 + H - 8000, T0 + H + 8000);
    expect(across.map((s) => s.startMs - T0 - H)).toEqual([-8000, -4000, 0, 4000]);
  });

  it('keeps hours that ended, reads the current hour every time', async () => {
    const { cache, loads } = setup({ now: T0 + 2 * H + 30 * 60_000 });
    await cache.overlapping('cam', 'sub', T0, T0 + 2 * H + 60_000);
    await cache.overlapping('cam', 'sub', T0, T0 + 2 * H + 60_000);
    // The first read loads hours −1 (the lookback), 0, 1 and the current 2; the second only 2.
    expect(loads).toEqual(['-1h', '0h', '1h', '2h', '2h']);
    expect(cache.size).toBe(3 * 900);
  });

  it('does not keep an hour that ended less than the settling time ago', async () => {
    const { cache, loads, advance } = setup({ now: T0 + H + 60_000 });
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    expect(loads).toEqual(['0h', '0h']);
    advance(60_000);
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    expect(loads).toEqual(['0h', '0h', '0h']);
  });

  it('reads a kept hour again after its time to live', async () => {
    const { cache, loads, advance } = setup({ now: T0 + 3 * H, ttlMs: 60_000 });
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    advance(59_000);
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    advance(2_000);
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    expect(loads).toEqual(['0h', '0h']);
    expect(cache.size).toBe(900);
  });

  it('drops the least recently used hours beyond its size, and keeps nothing at size 0', async () => {
    const { cache, loads } = setup({ now: T0 + 3 * H, maxSegments: 1800 });
    await cache.overlapping('cam', 'sub', T0 - 50 * 60_000, T0 - 40 * 60_000); // hour −1
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000); // hour 0
    await cache.overlapping('cam', 'sub', T0 - 50 * 60_000, T0 - 40 * 60_000); // −1 used again
    await cache.overlapping('cam', 'sub', T0 + H + 20 * 60_000, T0 + H + 30 * 60_000); // 1: drops 0
    expect(cache.size).toBe(1800);
    await cache.overlapping('cam', 'sub', T0 - 50 * 60_000, T0 - 40 * 60_000); // −1 still kept
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000); // 0 read again
    expect(loads).toEqual(['-1h', '0h', '1h', '0h']);

    const none = setup({ now: T0 + 3 * H, maxSegments: 0 });
    await none.cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    await none.cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    expect(none.loads).toEqual(['0h', '0h']);
    expect(none.cache.size).toBe(0);
  });

  it('keeps camera profiles apart', async () => {
    const { cache, loads } = setup({ now: T0 + 3 * H });
    await cache.overlapping('cam', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    await cache.overlapping('cam', 'main', T0 + 20 * 60_000, T0 + 30 * 60_000);
    await cache.overlapping('other', 'sub', T0 + 20 * 60_000, T0 + 30 * 60_000);
    expect(loads).toEqual(['0h', '0h', '0h']);
  });
});
