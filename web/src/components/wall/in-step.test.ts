import { describe, expect, it } from 'vitest';
import {
  IN_STEP_DEFAULTS,
  type InStepTarget,
  spreadMs,
  steer,
  type TileReading,
  type TileSteer,
} from './in-step';

const T = Date.parse('2026-12-08T02:00:00.000Z');
const playing = (speed = 1): InStepTarget => ({ footageMs: T, speed, paused: false });
const pausedAt: InStepTarget = { footageMs: T, speed: 1, paused: true };
const tile = (presentedMs: number | null, over: Partial<TileReading> = {}): TileReading => ({
  presentedMs,
  seeking: false,
  seekLatencyMs: 0,
  ...over,
});

describe('steer', () => {
  it.each<[string, InStepTarget, TileReading, TileSteer]>([
    [
      'no frame yet: seek to the moment',
      playing(),
      tile(null),
      { seekToMs: T, rate: 1, paused: false, driftMs: null },
    ],
    [
      'no frame yet, a seek under way: wait',
      playing(),
      tile(null, { seeking: true }),
      { seekToMs: null, rate: 1, paused: false, driftMs: null },
    ],
    [
      'no frame yet, seeks take 300 ms at 2×: aim 600 ms ahead',
      playing(2),
      tile(null, { seekLatencyMs: 300 }),
      { seekToMs: T + 600, rate: 2, paused: false, driftMs: null },
    ],
    [
      'on the moment: the wall’s speed',
      playing(),
      tile(T + 10),
      { seekToMs: null, rate: 1, paused: false, driftMs: 10 },
    ],
    [
      'at 4× within the dead band: 4×',
      playing(4),
      tile(T - 15),
      { seekToMs: null, rate: 4, paused: false, driftMs: -15 },
    ],
    [
      '100 ms ahead: 10 % slower',
      playing(),
      tile(T + 100),
      { seekToMs: null, rate: 0.9, paused: false, driftMs: 100 },
    ],
    [
      '200 ms behind at 2×: 20 % faster',
      playing(2),
      tile(T - 200),
      { seekToMs: null, rate: 2.4, paused: false, driftMs: -200 },
    ],
    [
      '450 ms behind: at most 25 % faster',
      playing(),
      tile(T - 450),
      { seekToMs: null, rate: 1.25, paused: false, driftMs: -450 },
    ],
    [
      '501 ms ahead: seek back to the moment',
      playing(),
      tile(T + 501),
      { seekToMs: T, rate: 1, paused: false, driftMs: 501 },
    ],
    [
      '3 s behind, seeks take 250 ms, 8×: seek 2 s ahead of the moment',
      playing(8),
      tile(T - 3000, { seekLatencyMs: 250 }),
      { seekToMs: T + 2000, rate: 8, paused: false, driftMs: -3000 },
    ],
    [
      'far off while a seek lands: leave it',
      playing(),
      tile(T - 3000, { seeking: true }),
      { seekToMs: null, rate: 1, paused: false, driftMs: -3000 },
    ],
    [
      'paused on the frame of the moment: stay',
      pausedAt,
      tile(T - 12, { seekLatencyMs: 400 }),
      { seekToMs: null, rate: 1, paused: true, driftMs: -12 },
    ],
    [
      'paused 80 ms off: seek exactly to the moment (no lead)',
      pausedAt,
      tile(T + 80, { seekLatencyMs: 400 }),
      { seekToMs: T, rate: 1, paused: true, driftMs: 80 },
    ],
  ])('%s', (_name, target, reading, expected) => {
    const got = steer(target, reading);
    expect({ ...got, rate: Math.round(got.rate * 1e6) / 1e6 }).toEqual(expected);
  });
});

describe('steer keeps simulated tiles in step', () => {
  /**
   * Four tiles whose decoders differ: seek latency, a clock running slightly fast or slow, frames
   * at 25 fps in different phases. Each tick (100 ms, as the wall's loop) reads the presented frame,
   * steers, and the video advances at the rate set. Seeks land after their latency on the frame of
   * the position sought.
   */
  function simulate(speed: number, seconds: number, pauseAtS?: number) {
    const tiles = [
      {
        seekMs: 150,
        clock: 1.01,
        phase: 0,
        pos: T - 20_000,
        rate: 1,
        paused: false,
        landAt: -1,
        landPos: 0,
        lastSeek: 0,
      },
      {
        seekMs: 250,
        clock: 0.99,
        phase: 13,
        pos: T + 3_000,
        rate: 1,
        paused: false,
        landAt: -1,
        landPos: 0,
        lastSeek: 0,
      },
      {
        seekMs: 400,
        clock: 1.004,
        phase: 27,
        pos: T,
        rate: 1,
        paused: false,
        landAt: -1,
        landPos: 0,
        lastSeek: 0,
      },
      {
        seekMs: 600,
        clock: 0.996,
        phase: 39,
        pos: T - 700,
        rate: 1,
        paused: false,
        landAt: -1,
        landPos: 0,
        lastSeek: 0,
      },
    ];
    const frame = (t: (typeof tiles)[number]) => Math.floor((t.pos - t.phase) / 40) * 40 + t.phase;
    const spreads: { s: number; spread: number; drift: number }[] = [];
    let clockPos = T;
    const tick = 100;
    for (let ms = 0; ms <= seconds * 1000; ms += tick) {
      const paused = pauseAtS !== undefined && ms >= pauseAtS * 1000;
      const target: InStepTarget = { footageMs: clockPos, speed, paused };
      for (const t of tiles) {
        const seeking = t.landAt >= 0;
        const s = steer(target, {
          presentedMs: seeking ? null : frame(t),
          seeking,
          seekLatencyMs: t.lastSeek,
        });
        if (s.seekToMs !== null) {
          t.landAt = ms + t.seekMs;
          t.landPos = s.seekToMs;
        }
        t.rate = s.rate;
        t.paused = s.paused;
      }
      const frames = tiles.map((t) => (t.landAt >= 0 ? null : frame(t)));
      if (frames.every((f) => f !== null)) {
        const spread = spreadMs(frames) ?? 0;
        const drift = Math.max(...frames.map((f) => Math.abs((f as number) - clockPos)));
        spreads.push({ s: ms / 1000, spread, drift });
      }
      // Advance: the wall's clock and each tile's video.
      if (!paused) clockPos += tick * speed;
      for (const t of tiles) {
        if (t.landAt >= 0 && ms + tick >= t.landAt) {
          // The frame appears at landAt; the rest of the tick plays on.
          const rest = ms + tick - t.landAt;
          t.pos = t.landPos + (t.paused ? 0 : rest * t.rate * t.clock);
          t.lastSeek = t.seekMs;
          t.landAt = -1;
        } else if (t.landAt < 0 && !t.paused) {
          t.pos += tick * t.rate * t.clock;
        }
      }
    }
    return spreads;
  }

  it.each([0.5, 1, 2, 4, 8])(
    'at %s×: after 5 s the four tiles stay within ±100 ms of each other and of the wall',
    (speed) => {
      const settled = simulate(speed, 30).filter((r) => r.s >= 5);
      expect(settled.length).toBeGreaterThan(200);
      expect(Math.max(...settled.map((r) => r.spread))).toBeLessThanOrEqual(100);
      expect(Math.max(...settled.map((r) => r.drift))).toBeLessThanOrEqual(100);
    },
  );

  it('paused: every tile rests on the frame of the paused moment (within one frame)', () => {
    const rows = simulate(1, 20, 10).filter((r) => r.s >= 12);
    expect(rows.length).toBeGreaterThan(50);
    expect(Math.max(...rows.map((r) => r.spread))).toBeLessThan(40);
    expect(Math.max(...rows.map((r) => r.drift))).toBeLessThanOrEqual(IN_STEP_DEFAULTS.pausedToleranceMs);
  });
});

describe('spreadMs', () => {
  it.each<[(number | null)[], number | null]>([
    [[], null],
    [[T], null],
    [[T, null], null],
    [[T, T + 40, T - 60, null], 100],
  ])('%j → %s', (presented, expected) => {
    expect(spreadMs(presented)).toBe(expected);
  });
});
