import { describe, expect, it } from 'vitest';
import {
  createWallSchema,
  grantEndsAt,
  layoutTiles,
  tileMode,
  WALL_LAYOUTS,
  type WallLayout,
  type WallPlayback,
  wallCommandSchema,
  wallPlaybackPosition,
  wallPlaybackSchema,
  wallStateSchema,
} from './walls.ts';

const CAM = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('layoutTiles', () => {
  it.each<[WallLayout, number, number]>([
    ['1', 1, 1],
    ['4', 2, 4],
    ['9', 3, 9],
    ['16', 4, 16],
    ['25', 5, 25],
    ['36', 6, 36],
    ['49', 7, 49],
    ['64', 8, 64],
    ['1+5', 3, 6],
    ['1+7', 4, 8],
    ['1+12', 4, 13],
  ])('%s: %i×%i grid, %i tiles', (layout, grid, count) => {
    const g = layoutTiles(layout);
    expect(g.rows).toBe(grid);
    expect(g.cols).toBe(grid);
    expect(g.count).toBe(count);
    expect(g.tiles.map((t) => t.index)).toEqual([...Array(count).keys()]);
  });

  it('lays out N×N grids row-major with 1×1 tiles', () => {
    expect(layoutTiles('4').tiles).toEqual([
      { index: 0, row: 0, col: 0, rowSpan: 1, colSpan: 1 },
      { index: 1, row: 0, col: 1, rowSpan: 1, colSpan: 1 },
      { index: 2, row: 1, col: 0, rowSpan: 1, colSpan: 1 },
      { index: 3, row: 1, col: 1, rowSpan: 1, colSpan: 1 },
    ]);
    expect(layoutTiles('64').tiles[63]).toEqual({ index: 63, row: 7, col: 7, rowSpan: 1, colSpan: 1 });
  });

  it('1+5: a 2×2 big tile top left of a 3×3 grid, then 5 small tiles row-major', () => {
    expect(layoutTiles('1+5').tiles.map((t) => [t.row, t.col, t.rowSpan, t.colSpan])).toEqual([
      [0, 0, 2, 2],
      [0, 2, 1, 1],
      [1, 2, 1, 1],
      [2, 0, 1, 1],
      [2, 1, 1, 1],
      [2, 2, 1, 1],
    ]);
  });

  it('1+7: a 3×3 big tile top left of a 4×4 grid, then 7 small tiles row-major', () => {
    expect(layoutTiles('1+7').tiles.map((t) => [t.row, t.col, t.rowSpan, t.colSpan])).toEqual([
      [0, 0, 3, 3],
      [0, 3, 1, 1],
      [1, 3, 1, 1],
      [2, 3, 1, 1],
      [3, 0, 1, 1],
      [3, 1, 1, 1],
      [3, 2, 1, 1],
      [3, 3, 1, 1],
    ]);
  });

  it('1+12: a 2×2 big tile in the centre of a 4×4 grid, then the 12 border tiles row-major', () => {
    expect(layoutTiles('1+12').tiles.map((t) => [t.row, t.col, t.rowSpan, t.colSpan])).toEqual([
      [1, 1, 2, 2],
      [0, 0, 1, 1],
      [0, 1, 1, 1],
      [0, 2, 1, 1],
      [0, 3, 1, 1],
      [1, 0, 1, 1],
      [1, 3, 1, 1],
      [2, 0, 1, 1],
      [2, 3, 1, 1],
      [3, 0, 1, 1],
      [3, 1, 1, 1],
      [3, 2, 1, 1],
      [3, 3, 1, 1],
    ]);
  });

  it.each(WALL_LAYOUTS)('%s covers every cell of its grid exactly once', (layout) => {
    const g = layoutTiles(layout);
    const cells = new Map<string, number>();
    for (const t of g.tiles)
      for (let r = t.row; r < t.row + t.rowSpan; r++)
        for (let c = t.col; c < t.col + t.colSpan; c++)
          cells.set(`${r},${c}`, (cells.get(`${r},${c}`) ?? 0) + 1);
    expect(cells.size).toBe(g.rows * g.cols);
    expect([...cells.values()].every((n) => n === 1)).toBe(true);
  });

  it('refuses an unknown layout', () => {
    expect(() => layoutTiles('2' as WallLayout)).toThrow(RangeError);
  });
});

describe('wall commands', () => {
  const tour = (n: number, intervalS = 10) => ({ cameraIds: [...Array(n).keys()].map(CAM), intervalS });

  it.each([
    { type: 'setLayout', version: 0, layout: '1+12' },
    { type: 'assign', version: 3, index: 63, cameraId: CAM(1) },
    { type: 'clear', version: 1, index: 0 },
    { type: 'swap', version: 2, a: 0, b: 5 },
    { type: 'setTour', version: 2, index: 1, tour: tour(2, 5) },
    { type: 'setTour', version: 2, index: 1, tour: tour(64, 3600) },
    { type: 'setTour', version: 2, index: 1, tour: null },
    { type: 'playbackStart', version: 4, at: '2026-12-08T01:59:40.000Z', speed: 1 },
    { type: 'playbackStart', version: 4, at: '2026-12-08T09:59:40.500+08:00', speed: 8 },
    { type: 'playbackPause', version: 5, paused: true },
    { type: 'playbackSpeed', version: 5, speed: 0.5 },
    { type: 'playbackSeek', version: 5, at: '2026-12-08T01:00:00.000Z' },
    { type: 'playbackLive', version: 6 },
    { type: 'setTileMode', version: 6, index: 3, mode: 'live' },
    { type: 'setTileMode', version: 6, index: 3, mode: 'playback' },
  ])('accepts %j', (cmd) => {
    expect(wallCommandSchema.parse(cmd)).toEqual(cmd);
  });

  it.each([
    ['no version', { type: 'clear', index: 0 }],
    ['a negative version', { type: 'clear', version: -1, index: 0 }],
    ['an unknown type', { type: 'rotate', version: 0 }],
    ['an unknown layout', { type: 'setLayout', version: 0, layout: '2' }],
    ['an index beyond 63', { type: 'clear', version: 0, index: 64 }],
    ['a fractional index', { type: 'clear', version: 0, index: 1.5 }],
    ['a camera id that is no UUID', { type: 'assign', version: 0, index: 0, cameraId: 'cam01' }],
    ['an extra key', { type: 'clear', version: 0, index: 0, cameraId: CAM(1) }],
    ['a tour of one camera', { type: 'setTour', version: 0, index: 0, tour: tour(1) }],
    ['a tour of 65 cameras', { type: 'setTour', version: 0, index: 0, tour: tour(65) }],
    ['a tour interval of 4 s', { type: 'setTour', version: 0, index: 0, tour: tour(2, 4) }],
    ['a tour interval of 3601 s', { type: 'setTour', version: 0, index: 0, tour: tour(2, 3601) }],
    [
      'a camera twice in a tour',
      { type: 'setTour', version: 0, index: 0, tour: { cameraIds: [CAM(1), CAM(1)], intervalS: 10 } },
    ],
    ['playback from no moment', { type: 'playbackStart', version: 0 }],
    [
      'playback from a moment without offset',
      { type: 'playbackStart', version: 0, at: '2026-12-08T01:59:40' },
    ],
    ['playback at 0.25×', { type: 'playbackStart', version: 0, at: '2026-12-08T01:59:40Z', speed: 0.25 }],
    ['playback at 16×', { type: 'playbackSpeed', version: 0, speed: 16 }],
    ['a pause without paused', { type: 'playbackPause', version: 0 }],
    ['back to live with a moment', { type: 'playbackLive', version: 0, at: '2026-12-08T01:59:40Z' }],
    [
      'a tile mode that is neither live nor playback',
      { type: 'setTileMode', version: 0, index: 0, mode: 'off' },
    ],
  ])('refuses %s', (_name, cmd) => {
    expect(wallCommandSchema.safeParse(cmd).success).toBe(false);
  });

  it('starts playback at 1× unless a speed is given', () => {
    expect(
      wallCommandSchema.parse({ type: 'playbackStart', version: 0, at: '2026-12-08T01:59:40Z' }),
    ).toEqual({
      type: 'playbackStart',
      version: 0,
      at: '2026-12-08T01:59:40Z',
      speed: 1,
    });
  });
});

describe('wall playback clock', () => {
  const clock = (over: Partial<WallPlayback> = {}): WallPlayback => ({
    at: '2026-12-08T02:00:00.000Z',
    anchor: '2026-12-08T02:10:00.000Z',
    speed: 1,
    paused: false,
    ...over,
  });
  const anchor = Date.parse('2026-12-08T02:10:00.000Z');
  const at = Date.parse('2026-12-08T02:00:00.000Z');

  it.each([
    ['at the anchor', clock(), 0, at],
    ['1×, 10 s after', clock(), 10_000, at + 10_000],
    ['2×, 10 s after', clock({ speed: 2 }), 10_000, at + 20_000],
    ['0.5×, 10 s after', clock({ speed: 0.5 }), 10_000, at + 5_000],
    ['8×, 1.25 s after', clock({ speed: 8 }), 1_250, at + 10_000],
    ['paused, 10 s after: still at', clock({ paused: true, speed: 4 }), 10_000, at],
    ['a display whose estimate is before the anchor', clock(), -200, at - 200],
  ])('%s', (_name, p, afterMs, expected) => {
    expect(wallPlaybackPosition(p, anchor + afterMs)).toBe(expected);
  });

  it('accepts only a whole clock', () => {
    expect(wallPlaybackSchema.parse(clock())).toEqual(clock());
    expect(wallPlaybackSchema.safeParse({ at: clock().at, speed: 1, paused: false }).success).toBe(false);
    expect(wallPlaybackSchema.safeParse(clock({ speed: 9 })).success).toBe(false);
  });

  it('a tile plays back only on a wall that plays back, unless it is kept live', () => {
    expect(tileMode({ playback: null }, {})).toBe('live');
    expect(tileMode({ playback: null }, { mode: 'playback' })).toBe('live');
    expect(tileMode({ playback: clock() }, {})).toBe('playback');
    expect(tileMode({ playback: clock() }, { mode: 'live' })).toBe('live');
    expect(tileMode({ playback: clock() }, { mode: 'playback' })).toBe('playback');
  });
});

describe('wall state and creation', () => {
  it('parses a state with a touring tile', () => {
    const state = {
      id: CAM(100),
      name: '指挥大厅主墙',
      ownerOrgId: CAM(200),
      layout: '1',
      tiles: [
        {
          index: 0,
          cameraId: null,
          tour: { ...{ cameraIds: [CAM(1), CAM(2)], intervalS: 10 }, startedAt: '2025-01-01T00:00:00.000Z' },
        },
      ],
      playback: null,
      version: 4,
      updatedAt: '2025-01-01T00:00:00.000Z',
    };
    expect(wallStateSchema.parse(state)).toEqual(state);
  });

  it('parses a wall playing back with one tile kept live, and refuses one without its playback field', () => {
    const state = {
      id: CAM(100),
      name: '复盘墙',
      ownerOrgId: CAM(200),
      layout: '4',
      tiles: [
        { index: 0, cameraId: CAM(1) },
        { index: 1, cameraId: CAM(2), mode: 'live' },
        { index: 2, cameraId: null },
        { index: 3, cameraId: null },
      ],
      playback: {
        at: '2026-12-08T02:00:00.000Z',
        anchor: '2026-12-08T02:10:00.000Z',
        speed: 2,
        paused: false,
      },
      version: 9,
      updatedAt: '2026-12-08T02:10:00.000Z',
    };
    expect(wallStateSchema.parse(state)).toEqual(state);
    const { playback: _p, ...without } = state;
    expect(wallStateSchema.safeParse(without).success).toBe(false);
  });

  it('trims the name and requires a layout', () => {
    expect(createWallSchema.parse({ name: '  墙 1 ', layout: '9' })).toEqual({ name: '墙 1', layout: '9' });
    expect(createWallSchema.safeParse({ name: '墙' }).success).toBe(false);
    expect(createWallSchema.safeParse({ name: '   ', layout: '9' }).success).toBe(false);
    expect(createWallSchema.safeParse({ name: 'x'.repeat(101), layout: '9' }).success).toBe(false);
  });
});

describe('grantEndsAt (R-ACC-4: the grant ends with the incident or at the set maximum)', () => {
  const H = 3_600_000;
  const opened = '2026-11-29T00:00:00.000Z';
  it.each([
    ['level Ⅲ: no grant', 3, null, 72 * H, null],
    ['level Ⅳ closed: no grant', 4, '2026-11-29T01:00:00.000Z', 72 * H, null],
    ['level Ⅱ open, no maximum: only closing ends it', 2, null, 0, null],
    ['level Ⅱ open: the maximum', 2, null, 72 * H, '2026-12-02T00:00:00.000Z'],
    [
      'level Ⅰ closed before the maximum: the closing',
      1,
      '2026-11-29T05:30:00.000Z',
      72 * H,
      '2026-11-29T05:30:00.000Z',
    ],
    [
      'level Ⅰ closed after the maximum: the maximum',
      1,
      '2026-12-05T00:00:00.000Z',
      72 * H,
      '2026-12-02T00:00:00.000Z',
    ],
    ['level Ⅰ closed, no maximum: the closing', 1, '2026-12-05T00:00:00.000Z', 0, '2026-12-05T00:00:00.000Z'],
  ] as const)('%s', (_name, level, closedAt, max, expected) => {
    expect(grantEndsAt({ level, openedAt: opened, closedAt }, max)).toBe(expected);
  });
});
