import type { MediaNodeInfo } from '@wall/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { GbRecordingSessions, type PlannedGbRecording } from './recording-sessions.ts';

const node = (id: string): MediaNodeInfo => ({
  id,
  publicUrl: `http://${id}`,
  controlUrl: `http://${id}:9`,
  workers: 1,
  streams: 0,
  consumers: 0,
  load: 0,
  heartbeatAt: 0,
});
const planned = (cameraId: string, nodeId = 'n1'): PlannedGbRecording => ({
  cameraId,
  profile: 'main',
  node: node(nodeId),
  controlSecret: 's',
});

// The keeper's schedule (when each planned channel is ensured again), on fake timers: the ensure
// itself is the live path's (GbStreams), exercised against a real device in gb28181-recording.int.
describe('GbRecordingSessions', () => {
  let calls: { at: number; cameraId: string; node: string }[];
  let failing: Set<string>;
  let sessions: GbRecordingSessions;
  const t0 = Date.UTC(2026, 0, 1);

  beforeEach(() => {
    vi.useFakeTimers({ now: t0 });
    calls = [];
    failing = new Set();
    sessions = new GbRecordingSessions({
      ensure: async (p) => {
        calls.push({ at: Date.now() - t0, cameraId: p.cameraId, node: p.node.id });
        if (failing.has(p.cameraId)) throw new Error('the camera’s GB/T 28181 device is offline');
      },
      logger: createLogger('silent', 'test'),
      checkMs: 1000,
      backoffMs: 1000,
      maxBackoffMs: 8000,
    });
  });
  afterEach(() => {
    sessions.close();
    vi.useRealTimers();
  });
  const at = (cameraId: string) => calls.filter((c) => c.cameraId === cameraId).map((c) => c.at);

  it('ensures a planned channel at once, then at every check', async () => {
    sessions.keep([planned('a')]);
    await vi.advanceTimersByTimeAsync(3500);
    expect(at('a')).toEqual([0, 1000, 2000, 3000]);
    expect(sessions.keys()).toEqual(['a:main']);
  });

  it('backs off 1 s, 2 s, 4 s … up to the largest wait while the device is away; at once when it registers', async () => {
    failing.add('b');
    sessions.keep([planned('b')]);
    await vi.advanceTimersByTimeAsync(24_000);
    expect(at('b')).toEqual([0, 1000, 3000, 7000, 15_000, 23_000]);
    failing.delete('b');
    sessions.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(at('b').at(-1)).toBe(24_000);
    // Back: the regular checks again.
    await vi.advanceTimersByTimeAsync(2000);
    expect(at('b').slice(-3)).toEqual([24_000, 25_000, 26_000]);
  });

  it('stops ensuring a channel that left the plan; a move to another node is tried at once', async () => {
    sessions.keep([planned('c'), planned('d')]);
    await vi.advanceTimersByTimeAsync(500);
    sessions.keep([planned('d', 'n2')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(sessions.keys()).toEqual(['d:main']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(at('c')).toEqual([0]);
    expect(calls.filter((c) => c.cameraId === 'd').map((c) => [c.at, c.node])).toEqual([
      [0, 'n1'],
      [500, 'n2'],
      // Checked on the keeper's one-second ticks: due at 1500, taken at 2000.
      [2000, 'n2'],
    ]);
  });

  it('ensures nothing once closed', async () => {
    sessions.keep([planned('e')]);
    sessions.close();
    sessions.keep([planned('f')]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.map((c) => c.cameraId)).toEqual(['e']);
    expect(sessions.keys()).toEqual([]);
  });
});
