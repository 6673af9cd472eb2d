import type { WallCommand, WallLayout, WallState, WallTile } from '@wall/protocol';
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
