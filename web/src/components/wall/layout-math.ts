import type { LayoutGeometry, StreamProfile, TileGeometry, WallLayout, WallTile } from '@wall/protocol';

/** A tile covering at least this share of the wall plays the main stream. */
export const MAIN_AREA_SHARE = 0.4;
/** The big tile of a 1+N layout plays the main stream once it is at least this wide on screen. */
export const LARGE_TILE_PX = 960;

/**
 * Which stream a tile plays: main when it is full-screen, covers ≥ 40 % of the wall, or is the big
 * tile of a 1+N layout on a large wall; sub otherwise (a small tile gains nothing from 720p).
 */
export function tileProfile(
  tile: TileGeometry,
  layout: LayoutGeometry,
  o: { fullscreen: boolean; tileWidthPx: number },
): StreamProfile {
  if (o.fullscreen) return 'main';
  const share = (tile.rowSpan * tile.colSpan) / (layout.rows * layout.cols);
  if (share >= MAIN_AREA_SHARE) return 'main';
  if ((tile.rowSpan > 1 || tile.colSpan > 1) && o.tileWidthPx >= LARGE_TILE_PX) return 'main';
  return 'sub';
}

/**
 * The camera a touring tile shows now: camera `floor((now − startedAt) / intervalS) mod n`, the same
 * on every console and display; and when it changes next (ms from `nowMs`).
 */
export function tourPosition(
  tour: NonNullable<WallTile['tour']>,
  nowMs: number,
): { position: number; cameraId: string; nextInMs: number } {
  const n = tour.cameraIds.length;
  const started = Date.parse(tour.startedAt);
  const periodMs = tour.intervalS * 1000;
  const elapsed = Math.max(0, nowMs - (Number.isFinite(started) ? started : nowMs));
  const step = Math.floor(elapsed / periodMs);
  const position = n > 0 ? step % n : 0;
  return {
    position,
    cameraId: tour.cameraIds[position] ?? '',
    nextInMs: periodMs - (elapsed % periodMs),
  };
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/** The tile next to `index` in a direction (nearest edge, then best overlap), or `index` itself. */
export function neighbour(layout: LayoutGeometry, index: number, dir: Direction): number {
  const cur = layout.tiles[index];
  if (!cur) return 0;
  const centre = (t: TileGeometry) => ({ r: t.row + t.rowSpan / 2, c: t.col + t.colSpan / 2 });
  const c0 = centre(cur);
  let best: { index: number; gap: number; off: number } | null = null;
  for (const t of layout.tiles) {
    if (t.index === index) continue;
    let gap: number;
    let off: number;
    const c = centre(t);
    if (dir === 'right') {
      gap = t.col - (cur.col + cur.colSpan);
      off = Math.abs(c.r - c0.r);
    } else if (dir === 'left') {
      gap = cur.col - (t.col + t.colSpan);
      off = Math.abs(c.r - c0.r);
    } else if (dir === 'down') {
      gap = t.row - (cur.row + cur.rowSpan);
      off = Math.abs(c.c - c0.c);
    } else {
      gap = cur.row - (t.row + t.rowSpan);
      off = Math.abs(c.c - c0.c);
    }
    if (gap < 0) continue;
    if (!best || gap < best.gap || (gap === best.gap && off < best.off)) best = { index: t.index, gap, off };
  }
  return best ? best.index : index;
}

/** Layout shortcuts: Shift + the key with this `KeyboardEvent.code`. */
export const LAYOUT_KEYS: Readonly<Record<string, WallLayout>> = {
  Digit1: '1',
  Digit2: '4',
  Digit3: '9',
  Digit4: '16',
  Digit5: '25',
  Digit6: '36',
  Digit7: '49',
  Digit8: '64',
  Digit9: '1+5',
  Digit0: '1+7',
  Minus: '1+12',
};

const AREAS = new WeakMap<TileGeometry, Readonly<{ gridRow: string; gridColumn: string }>>();

/** CSS grid placement of a tile (the same object for the same tile: memoised tiles stay put). */
export function gridArea(t: TileGeometry): Readonly<{ gridRow: string; gridColumn: string }> {
  let a = AREAS.get(t);
  if (!a) {
    a = Object.freeze({
      gridRow: `${t.row + 1} / span ${t.rowSpan}`,
      gridColumn: `${t.col + 1} / span ${t.colSpan}`,
    });
    AREAS.set(t, a);
  }
  return a;
}
