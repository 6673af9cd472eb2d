import type { StreamProfile } from '@wall/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GrantCache, KEEP_MS, MIN_REMAINING_MS } from './grant-cache';
import type { GrantSource, LiveGrant } from './player';

/** A gateway that counts its calls and grants tokens living `lifeMs` from the moment asked. */
function fakeSource(lifeMs = 60_000, fail = false) {
  const calls: { cameraId: string; profile: StreamProfile }[] = [];
  const source: GrantSource = {
    live: async (cameraId, profile) => {
      calls.push({ cameraId, profile });
      if (fail && calls.length === 1) throw Object.assign(new Error('refused'), { code: 'forbidden:grade' });
      const n = calls.length;
      return {
        token: `t${n}`,
        nodeUrl: 'http://node',
        expiresAt: new Date(Date.now() + lifeMs).toISOString(),
        emergency: false,
      } satisfies LiveGrant;
    },
  };
  return { source, calls };
}

describe('GrantCache', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('without a prefetch, asks the gateway', async () => {
    const { source, calls } = fakeSource();
    const cache = new GrantCache(source);
    expect((await cache.live('cam', 'sub')).token).toBe('t1');
    expect(calls).toEqual([{ cameraId: 'cam', profile: 'sub' }]);
  });

  it('hands out a prefetched grant once, then asks again', async () => {
    const { source, calls } = fakeSource();
    const cache = new GrantCache(source);
    cache.prefetch('cam', 'main');
    expect(calls).toHaveLength(1);
    expect((await cache.live('cam', 'main')).token).toBe('t1');
    expect((await cache.live('cam', 'main')).token).toBe('t2');
    expect(calls).toHaveLength(2);
  });

  it('prefetching the same camera twice asks once; the key ignores case but not the profile', async () => {
    const { source, calls } = fakeSource();
    const cache = new GrantCache(source);
    cache.prefetch('CAM-A', 'sub');
    cache.prefetch('cam-a', 'sub');
    expect(calls).toHaveLength(1);
    cache.prefetch('cam-a', 'main');
    expect(calls).toHaveLength(2);
    expect((await cache.live('Cam-A', 'sub')).token).toBe('t1');
  });

  it(`a prefetch older than ${KEEP_MS} ms is not used`, async () => {
    const { source, calls } = fakeSource(10 * 60_000);
    const cache = new GrantCache(source);
    cache.prefetch('cam', 'sub');
    vi.advanceTimersByTime(KEEP_MS);
    expect((await cache.live('cam', 'sub')).token).toBe('t2');
    expect(calls).toHaveLength(2);
  });

  it('a prefetch just younger than the keep time is used', async () => {
    const { source } = fakeSource(10 * 60_000);
    const cache = new GrantCache(source);
    cache.prefetch('cam', 'sub');
    vi.advanceTimersByTime(KEEP_MS - 1);
    expect((await cache.live('cam', 'sub')).token).toBe('t1');
  });

  it(`a prefetched token with less than ${MIN_REMAINING_MS} ms to live is replaced`, async () => {
    const { source } = fakeSource(MIN_REMAINING_MS + 1000);
    const cache = new GrantCache(source);
    cache.prefetch('cam', 'sub');
    await Promise.resolve();
    vi.advanceTimersByTime(1000);
    expect((await cache.live('cam', 'sub')).token).toBe('t2');
  });

  it('a refused prefetch is forgotten: the tile asks again', async () => {
    const { source, calls } = fakeSource(60_000, true);
    const cache = new GrantCache(source);
    cache.prefetch('cam', 'sub');
    expect((await cache.live('cam', 'sub')).token).toBe('t2');
    expect(calls).toHaveLength(2);
  });

  it('stale prefetches are swept when another is made', async () => {
    const { source, calls } = fakeSource();
    const cache = new GrantCache(source);
    cache.prefetch('a', 'sub');
    vi.advanceTimersByTime(KEEP_MS + 1);
    cache.prefetch('b', 'sub');
    // 'a' was swept: prefetching it again asks the gateway again.
    cache.prefetch('a', 'sub');
    expect(calls.map((c) => c.cameraId)).toEqual(['a', 'b', 'a']);
  });
});
