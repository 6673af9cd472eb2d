import type { WallCommand, WallLayout, WallPlayback, WallState, WallTile } from '@wall/protocol';
import { describe, expect, it } from 'vitest';
import { mayUseWall } from '../policy/index.ts';
import { applyCommand, camerasOf, tilesFor, WallVersionConflict } from './reducer.ts';

const CAM = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const NOW = new Date('2025-03-01T08:00:00.000Z');
const T0 = '2025-02-01T00:00:00.000Z';

function wall(layout: WallLayout, cams: (number | null)[], version = 3): WallState {
  return {
    id: '10000000-0000-4000-8000-000000000001',
    name: '主墙',
    ownerOrgId: '20000000-0000-4000-8000-000000000002',
    layout,
    tiles: tilesFor(
      layout,
      cams.map((c, index) => ({ index, cameraId: c === null ? null : CAM(c) })),
    ),
    playback: null,
    version,
    updatedAt: T0,
  };
}
const cams = (s: WallState) => s.tiles.map((t) => (t.cameraId ? Number(t.cameraId.slice(-12)) : null));
const tour = (ids: number[], intervalS = 10) => ({ cameraIds: ids.map(CAM), intervalS });

describe('applyCommand', () => {
  it.each<[string, WallState, WallCommand, (number | null)[]]>([
    [
      'setLayout 9 → 4 drops tiles 4…8',
      wall('9', [1, 2, 3, 4, 5, 6, 7, 8, 9]),
      { type: 'setLayout', version: 3, layout: '4' },
      [1, 2, 3, 4],
    ],
    [
      'setLayout 4 → 1+5 keeps tiles 0…3 and adds 2 empty ones',
      wall('4', [1, 2, 3, 4]),
      { type: 'setLayout', version: 3, layout: '1+5' },
      [1, 2, 3, 4, null, null],
    ],
    [
      'setLayout 1+12 → 1 keeps the big tile only',
      wall('1+12', [7, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]),
      { type: 'setLayout', version: 3, layout: '1' },
      [7],
    ],
    [
      'assign fills a tile',
      wall('4', [1]),
      { type: 'assign', version: 3, index: 3, cameraId: CAM(9) },
      [1, null, null, 9],
    ],
    [
      'assign replaces a camera',
      wall('4', [1, 2]),
      { type: 'assign', version: 3, index: 0, cameraId: CAM(5) },
      [5, 2, null, null],
    ],
    [
      'clear empties a tile',
      wall('4', [1, 2, 3]),
      { type: 'clear', version: 3, index: 1 },
      [1, null, 3, null],
    ],
    [
      'clear of an empty tile is harmless',
      wall('4', [1]),
      { type: 'clear', version: 3, index: 2 },
      [1, null, null, null],
    ],
    [
      'swap exchanges two cameras',
      wall('4', [1, 2, 3, 4]),
      { type: 'swap', version: 3, a: 0, b: 3 },
      [4, 2, 3, 1],
    ],
    [
      'swap with an empty tile moves the camera',
      wall('4', [1]),
      { type: 'swap', version: 3, a: 0, b: 2 },
      [null, null, 1, null],
    ],
  ])('%s', (_name, state, cmd, expected) => {
    const next = applyCommand(state, cmd, NOW);
    expect(cams(next)).toEqual(expected);
    expect(next.tiles.map((t) => t.index)).toEqual(expected.map((_, i) => i));
    expect(next.version).toBe(4);
    expect(next.updatedAt).toBe(NOW.toISOString());
    expect(next.layout).toBe(cmd.type === 'setLayout' ? cmd.layout : state.layout);
  });

  it('never mutates the state it is given', () => {
    const state = wall('4', [1, 2, 3, 4]);
    const before = structuredClone(state);
    applyCommand(state, { type: 'swap', version: 3, a: 0, b: 1 }, NOW);
    applyCommand(state, { type: 'setLayout', version: 3, layout: '1' }, NOW);
    applyCommand(state, { type: 'setTour', version: 3, index: 2, tour: tour([5, 6]) }, NOW);
    expect(state).toEqual(before);
  });

  it('starts a tour now and clears the tile’s camera; null ends it', () => {
    const started = applyCommand(
      wall('4', [1, 2]),
      { type: 'setTour', version: 3, index: 1, tour: tour([5, 6, 7], 15) },
      NOW,
    );
    expect(started.tiles[1]).toEqual<WallTile>({
      index: 1,
      cameraId: null,
      tour: { cameraIds: [CAM(5), CAM(6), CAM(7)], intervalS: 15, startedAt: NOW.toISOString() },
    });
    const ended = applyCommand(started, { type: 'setTour', version: 4, index: 1, tour: null }, NOW);
    expect(ended.tiles[1]).toEqual({ index: 1, cameraId: null });
    expect(ended.version).toBe(5);
  });

  it('assign over a tour ends the tour; swap moves the tour with its tile', () => {
    const touring = applyCommand(
      wall('4', [1, 2]),
      { type: 'setTour', version: 3, index: 2, tour: tour([5, 6]) },
      NOW,
    );
    const swapped = applyCommand(touring, { type: 'swap', version: 4, a: 2, b: 0 }, NOW);
    expect(swapped.tiles[0]).toEqual({ index: 0, cameraId: null, tour: touring.tiles[2]?.tour });
    expect(swapped.tiles[2]).toEqual({ index: 2, cameraId: CAM(1) });
    const assigned = applyCommand(swapped, { type: 'assign', version: 5, index: 0, cameraId: CAM(9) }, NOW);
    expect(assigned.tiles[0]).toEqual({ index: 0, cameraId: CAM(9) });
  });

  it.each<[string, WallCommand]>([
    ['a tour of one camera', { type: 'setTour', version: 3, index: 0, tour: tour([1]) }],
    ['a tour of 65 cameras', { type: 'setTour', version: 3, index: 0, tour: tour([...Array(65).keys()]) }],
    ['a tour interval of 4 s', { type: 'setTour', version: 3, index: 0, tour: tour([1, 2], 4) }],
    ['a tour interval of 3601 s', { type: 'setTour', version: 3, index: 0, tour: tour([1, 2], 3601) }],
    ['a tour naming a camera twice', { type: 'setTour', version: 3, index: 0, tour: tour([1, 1]) }],
    ['a tile beyond the layout', { type: 'assign', version: 3, index: 4, cameraId: CAM(1) }],
    ['clearing a tile beyond the layout', { type: 'clear', version: 3, index: 9 }],
    ['a swap beyond the layout', { type: 'swap', version: 3, a: 0, b: 4 }],
    ['a swap of a tile with itself', { type: 'swap', version: 3, a: 1, b: 1 }],
  ])('refuses %s with invalid:request', (_name, cmd) => {
    expect(() => applyCommand(wall('4', [1, 2]), cmd, NOW)).toThrow(
      expect.objectContaining({ code: 'invalid:request', status: 400 }),
    );
  });

  it('refuses a command made against another version, carrying the current state', () => {
    const state = wall('4', [1], 7);
    for (const version of [6, 8, 0]) {
      let thrown: unknown;
      try {
        applyCommand(state, { type: 'clear', version, index: 0 }, NOW);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(WallVersionConflict);
      expect((thrown as WallVersionConflict).code).toBe('conflict:version');
      expect((thrown as WallVersionConflict).status).toBe(409);
      expect((thrown as WallVersionConflict).current).toBe(state);
    }
  });
});

describe('applyCommand: wall playback', () => {
  const at = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
  const later = (ms: number) => new Date(NOW.getTime() + ms);
  const started = (speed = 1) =>
    applyCommand(wall('4', [1, 2, 3, 4]), { type: 'playbackStart', version: 3, at: at(20), speed }, NOW);

  it('starts the wall’s clock at the moment, anchored now; every tile follows it', () => {
    const kept = applyCommand(
      applyCommand(wall('4', [1, 2, 3, 4]), { type: 'playbackStart', version: 3, at: at(60), speed: 1 }, NOW),
      { type: 'setTileMode', version: 4, index: 2, mode: 'live' },
      NOW,
    );
    expect(kept.tiles[2]).toEqual({ index: 2, cameraId: CAM(3), mode: 'live' });
    const s = applyCommand(kept, { type: 'playbackStart', version: 5, at: at(20), speed: 2 }, NOW);
    expect(s.playback).toEqual({ at: at(20), anchor: NOW.toISOString(), speed: 2, paused: false });
    expect(s.tiles.map((t) => t.mode)).toEqual([undefined, undefined, undefined, undefined]);
    expect(cams(s)).toEqual([1, 2, 3, 4]);
    expect(s.version).toBe(6);
  });

  it.each<[string, WallCommand, number, WallPlayback | null]>([
    // Started at NOW (footage NOW − 20 s) at 2×; each command is applied 5 s later.
    [
      'pause keeps the position reached',
      { type: 'playbackPause', version: 4, paused: true },
      5_000,
      { at: at(10), anchor: later(5_000).toISOString(), speed: 2, paused: true },
    ],
    [
      'speed keeps the position reached and changes the rate from there',
      { type: 'playbackSpeed', version: 4, speed: 0.5 },
      5_000,
      { at: at(10), anchor: later(5_000).toISOString(), speed: 0.5, paused: false },
    ],
    [
      'seek jumps to the moment as of now',
      { type: 'playbackSeek', version: 4, at: at(300) },
      5_000,
      { at: at(300), anchor: later(5_000).toISOString(), speed: 2, paused: false },
    ],
    [
      'a clock that ran past the present is held at the present',
      { type: 'playbackPause', version: 4, paused: true },
      30_000,
      { at: later(30_000).toISOString(), anchor: later(30_000).toISOString(), speed: 2, paused: true },
    ],
    ['back to live drops the clock', { type: 'playbackLive', version: 4 }, 5_000, null],
  ])('%s', (_name, cmd, afterMs, expected) => {
    const next = applyCommand(started(2), cmd, later(afterMs));
    expect(next.playback).toEqual(expected);
    expect(next.version).toBe(5);
  });

  it('resuming a paused clock starts from where it was paused', () => {
    const paused = applyCommand(started(), { type: 'playbackPause', version: 4, paused: true }, later(5_000));
    const resumed = applyCommand(paused, { type: 'playbackPause', version: 5, paused: false }, later(65_000));
    expect(resumed.playback).toEqual({
      at: at(15),
      anchor: later(65_000).toISOString(),
      speed: 1,
      paused: false,
    });
  });

  it('keeps one tile live while the others play back; the mode moves with a swap, back to live clears it', () => {
    const s = applyCommand(started(), { type: 'setTileMode', version: 4, index: 1, mode: 'live' }, NOW);
    expect(s.tiles[1]).toEqual({ index: 1, cameraId: CAM(2), mode: 'live' });
    const swapped = applyCommand(s, { type: 'swap', version: 5, a: 1, b: 3 }, NOW);
    expect(swapped.tiles[3]).toEqual({ index: 3, cameraId: CAM(2), mode: 'live' });
    expect(swapped.tiles[1]).toEqual({ index: 1, cameraId: CAM(4) });
    const back = applyCommand(swapped, { type: 'setTileMode', version: 6, index: 3, mode: 'playback' }, NOW);
    expect(back.tiles[3]).toEqual({ index: 3, cameraId: CAM(2) });
    const live = applyCommand(
      applyCommand(back, { type: 'setTileMode', version: 7, index: 0, mode: 'live' }, NOW),
      { type: 'playbackLive', version: 8 },
      NOW,
    );
    expect(live.tiles.every((t) => t.mode === undefined)).toBe(true);
    expect(live.playback).toBeNull();
  });

  it.each<[string, WallCommand]>([
    ['pause', { type: 'playbackPause', version: 3, paused: true }],
    ['speed', { type: 'playbackSpeed', version: 3, speed: 2 }],
    ['seek', { type: 'playbackSeek', version: 3, at: at(5) }],
    ['a tile mode', { type: 'setTileMode', version: 3, index: 0, mode: 'live' }],
  ])('refuses %s on a live wall with conflict:state', (_name, cmd) => {
    expect(() => applyCommand(wall('4', [1]), cmd, NOW)).toThrow(
      expect.objectContaining({ code: 'conflict:state', status: 409 }),
    );
  });

  it.each<[string, WallCommand]>([
    ['a start in the future', { type: 'playbackStart', version: 3, at: at(-1), speed: 1 }],
    ['a seek into the future', { type: 'playbackSeek', version: 4, at: at(-60) }],
    ['a tile mode beyond the layout', { type: 'setTileMode', version: 4, index: 4, mode: 'live' }],
  ])('refuses %s with invalid:request', (_name, cmd) => {
    const state = cmd.type === 'playbackStart' ? wall('4', [1]) : started();
    expect(() => applyCommand(state, cmd, NOW)).toThrow(
      expect.objectContaining({ code: 'invalid:request', status: 400 }),
    );
  });
});

describe('tilesFor', () => {
  it('fits stored tiles to the layout by index', () => {
    expect(tilesFor('4', [])).toEqual([0, 1, 2, 3].map((index) => ({ index, cameraId: null })));
    expect(
      tilesFor('1', [
        { index: 0, cameraId: CAM(1) },
        { index: 1, cameraId: CAM(2) },
      ]),
    ).toEqual([{ index: 0, cameraId: CAM(1) }]);
    expect(tilesFor('4', [{ index: 2, cameraId: CAM(3) }]).map((t) => t.cameraId)).toEqual([
      null,
      null,
      CAM(3),
      null,
    ]);
  });
});

describe('camerasOf', () => {
  it('names the cameras a command puts on the wall', () => {
    expect(camerasOf({ type: 'assign', version: 0, index: 0, cameraId: CAM(1) })).toEqual([CAM(1)]);
    expect(camerasOf({ type: 'setTour', version: 0, index: 0, tour: tour([2, 3]) })).toEqual([
      CAM(2),
      CAM(3),
    ]);
    expect(camerasOf({ type: 'setTour', version: 0, index: 0, tour: null })).toEqual([]);
    expect(camerasOf({ type: 'swap', version: 0, a: 0, b: 1 })).toEqual([]);
    expect(camerasOf({ type: 'setLayout', version: 0, layout: '9' })).toEqual([]);
  });
});

describe('mayUseWall', () => {
  const w = { ownerOrgId: 'org-a' };
  it.each([
    ['a user of the owner org', { orgId: 'org-a' }, true],
    ['a user of another org', { orgId: 'org-b' }, false],
    ['a user without an org', { orgId: '' }, false],
  ])('%s → %s', (_name, user, expected) => {
    expect(mayUseWall(user, w)).toBe(expected);
  });
});
