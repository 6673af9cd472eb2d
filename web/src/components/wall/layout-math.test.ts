import { layoutTiles, WALL_LAYOUTS, type WallLayout } from '@wall/protocol';
import { describe, expect, it } from 'vitest';
import {
  type Direction,
  gridArea,
  LARGE_TILE_PX,
  LAYOUT_KEYS,
  neighbour,
  tileProfile,
  tourPosition,
} from './layout-math';

/** The tiles that play the main stream, per layout, on a small screen and on a large one. */
const MAIN_TILES: Record<WallLayout, { small: number[]; large: number[] }> = {
  '1': { small: [0], large: [0] },
  '4': { small: [], large: [] },
  '9': { small: [], large: [] },
  '16': { small: [], large: [] },
  '25': { small: [], large: [] },
  '36': { small: [], large: [] },
  '49': { small: [], large: [] },
  '64': { small: [], large: [] },
  // The big tile covers 4/9 and 9/16 of the wall (≥ 40 %): main at any size.
  '1+5': { small: [0], large: [0] },
  '1+7': { small: [0], large: [0] },
  // 4/16 of the wall: main only once it is large on screen.
  '1+12': { small: [], large: [0] },
};

describe('tileProfile', () => {
  it.each(WALL_LAYOUTS)('layout %s: main for the big tiles only', (layout) => {
    const geo = layoutTiles(layout);
    const mains = (tileWidthPx: number) =>
      geo.tiles
        .filter((t) => tileProfile(t, geo, { fullscreen: false, tileWidthPx }) === 'main')
        .map((t) => t.index);
    expect(mains(LARGE_TILE_PX - 1)).toEqual(MAIN_TILES[layout].small);
    expect(mains(LARGE_TILE_PX)).toEqual(MAIN_TILES[layout].large);
  });

  it.each(WALL_LAYOUTS)('layout %s: every tile is main when full screen', (layout) => {
    const geo = layoutTiles(layout);
    for (const t of geo.tiles)
      expect(tileProfile(t, geo, { fullscreen: true, tileWidthPx: 10 })).toBe('main');
  });

  it('a 1×1 tile of a 64 wall stays sub however wide it is', () => {
    const geo = layoutTiles('64');
    const tile = geo.tiles[0];
    if (!tile) throw new Error('no tile');
    expect(tileProfile(tile, geo, { fullscreen: false, tileWidthPx: 4000 })).toBe('sub');
  });
});

const DIRECTIONS: Direction[] = ['left', 'right', 'up', 'down'];

describe('neighbour', () => {
  it.each(WALL_LAYOUTS)(
    'layout %s: every step lands on a tile on that side, or stays at the edge',
    (layout) => {
      const geo = layoutTiles(layout);
      for (const cur of geo.tiles) {
        for (const dir of DIRECTIONS) {
          const next = neighbour(geo, cur.index, dir);
          const t = geo.tiles[next];
          if (!t) throw new Error(`no tile ${next}`);
          if (next === cur.index) {
            // Nothing on that side.
            const edge = {
              left: cur.col === 0,
              up: cur.row === 0,
              right: cur.col + cur.colSpan === geo.cols,
              down: cur.row + cur.rowSpan === geo.rows,
            };
            expect(edge[dir], `${layout} tile ${cur.index} ${dir}`).toBe(true);
            continue;
          }
          if (dir === 'right') expect(t.col).toBe(cur.col + cur.colSpan);
          if (dir === 'left') expect(t.col + t.colSpan).toBe(cur.col);
          if (dir === 'down') expect(t.row).toBe(cur.row + cur.rowSpan);
          if (dir === 'up') expect(t.row + t.rowSpan).toBe(cur.row);
        }
      }
    },
  );

  it.each(['4', '9', '16', '25', '36', '49', '64'] as const)(
    'layout %s: a square grid walks row by row',
    (layout) => {
      const geo = layoutTiles(layout);
      const n = geo.cols;
      for (const t of geo.tiles) {
        expect(neighbour(geo, t.index, 'right')).toBe(t.col === n - 1 ? t.index : t.index + 1);
        expect(neighbour(geo, t.index, 'down')).toBe(t.row === n - 1 ? t.index : t.index + n);
      }
    },
  );

  it.each([
    ['1+5', 0, 'right', 1],
    ['1+5', 0, 'down', 3],
    ['1+5', 4, 'up', 0],
    ['1+5', 2, 'left', 0],
    ['1+5', 5, 'up', 2],
    ['1+7', 0, 'right', 2],
    ['1+7', 6, 'up', 0],
    ['1+12', 0, 'up', 2],
    ['1+12', 0, 'left', 5],
    ['1', 0, 'right', 0],
  ] as const)('layout %s: from tile %i going %s → %i', (layout, from, dir, to) => {
    expect(neighbour(layoutTiles(layout), from, dir)).toBe(to);
  });

  it('an index outside the layout goes to the first tile', () => {
    expect(neighbour(layoutTiles('4'), 9, 'right')).toBe(0);
  });
});

describe('gridArea', () => {
  it('places a tile on its 1-based grid lines with its spans', () => {
    const big = layoutTiles('1+12').tiles[0];
    if (!big) throw new Error('no tile');
    expect(gridArea(big)).toEqual({ gridRow: '2 / span 2', gridColumn: '2 / span 2' });
    const last = layoutTiles('64').tiles[63];
    if (!last) throw new Error('no tile');
    expect(gridArea(last)).toEqual({ gridRow: '8 / span 1', gridColumn: '8 / span 1' });
  });

  it('answers the same frozen object for the same tile', () => {
    const t = layoutTiles('9').tiles[4];
    if (!t) throw new Error('no tile');
    expect(gridArea(t)).toBe(gridArea(t));
    expect(Object.isFrozen(gridArea(t))).toBe(true);
  });
});

describe('LAYOUT_KEYS', () => {
  it('reaches every layout with exactly one key', () => {
    expect(Object.values(LAYOUT_KEYS).sort()).toEqual([...WALL_LAYOUTS].sort());
  });
});

describe('tourPosition', () => {
  const ids = ['a', 'b', 'c'];
  const startedAt = '2026-01-01T00:00:00.000Z';
  const t0 = Date.parse(startedAt);
  const tour = { cameraIds: ids, intervalS: 10, startedAt };

  it.each([
    // ms after the start, position, next change in ms
    [0, 0, 10_000],
    [9_999, 0, 1],
    [10_000, 1, 10_000],
    [25_000, 2, 5_000],
    [30_000, 0, 10_000],
    [3_600_000 + 10_000, 1, 10_000],
  ])('%i ms after the start: camera %i, next in %i ms', (after, position, nextInMs) => {
    expect(tourPosition(tour, t0 + after)).toEqual({ position, cameraId: ids[position], nextInMs });
  });

  it('a clock behind the start shows the first camera (no negative turn)', () => {
    expect(tourPosition(tour, t0 - 5000)).toEqual({ position: 0, cameraId: 'a', nextInMs: 10_000 });
  });

  it('an unreadable start counts from now', () => {
    expect(tourPosition({ ...tour, startedAt: 'yesterday' }, t0)).toEqual({
      position: 0,
      cameraId: 'a',
      nextInMs: 10_000,
    });
  });

  it('every console computes the same camera for the same moment', () => {
    const at = t0 + 123_456;
    expect(tourPosition(tour, at)).toEqual(tourPosition({ ...tour, cameraIds: [...ids] }, at));
  });
});
