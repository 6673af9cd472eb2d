import {
  AppError,
  layoutTiles,
  type WallCommand,
  type WallLayout,
  type WallState,
  type WallTile,
  wallTourSchema,
} from '@wall/protocol';

/** A command made against another version than the wall's: answered 409 with the current state. */
export class WallVersionConflict extends AppError {
  readonly current: WallState;

  constructor(current: WallState) {
    super('conflict:version', `the wall has changed: it is at version ${current.version}`);
    this.name = 'WallVersionConflict';
    this.current = current;
  }
}

const empty = (index: number): WallTile => ({ index, cameraId: null });

/** Exactly the layout's tiles: existing ones kept by index, missing ones empty, extra ones dropped. */
export function tilesFor(layout: WallLayout, tiles: readonly WallTile[]): WallTile[] {
  const byIndex = new Map(tiles.map((t) => [t.index, t]));
  return layoutTiles(layout).tiles.map((g) => {
    const t = byIndex.get(g.index);
    return t ? { ...t, index: g.index } : empty(g.index);
  });
}

function checkIndex(state: WallState, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= state.tiles.length) {
    throw new AppError(
      'invalid:request',
      `tile ${index} does not exist in layout ${state.layout} (tiles 0–${state.tiles.length - 1})`,
    );
  }
}

/** Content of a tile without its position. */
function content(t: WallTile): Omit<WallTile, 'index'> {
  return t.tour ? { cameraId: null, tour: t.tour } : { cameraId: t.cameraId };
}

/**
 * Applies a command to a wall: pure, never mutates `state`. The result has the next version and
 * `updatedAt = now`; the repository stores it only if the stored version is still `state.version`.
 *
 * - `setLayout`: tiles beyond the new count are dropped, new tiles are empty.
 * - `assign`: the tile shows the camera (a tour on it ends).
 * - `clear`: the tile is empty (camera and tour).
 * - `swap`: two tiles exchange their contents (camera or tour); the same tile twice is refused.
 * - `setTour`: the tile cycles through the cameras from `now` (its camera is cleared); `null` ends it.
 *
 * Throws `WallVersionConflict` when the command was made against another version, `invalid:request`
 * for a tile outside the layout or an invalid tour.
 */
export function applyCommand(state: WallState, cmd: WallCommand, now: Date): WallState {
  if (cmd.version !== state.version) throw new WallVersionConflict(state);
  let layout = state.layout;
  let tiles = state.tiles.map((t) => ({ ...t }));
  switch (cmd.type) {
    case 'setLayout':
      layout = cmd.layout;
      tiles = tilesFor(layout, tiles);
      break;
    case 'assign':
      checkIndex(state, cmd.index);
      tiles[cmd.index] = { index: cmd.index, cameraId: cmd.cameraId };
      break;
    case 'clear':
      checkIndex(state, cmd.index);
      tiles[cmd.index] = empty(cmd.index);
      break;
    case 'swap': {
      checkIndex(state, cmd.a);
      checkIndex(state, cmd.b);
      if (cmd.a === cmd.b) throw new AppError('invalid:request', 'swap needs two different tiles');
      const a = tiles[cmd.a] as WallTile;
      const b = tiles[cmd.b] as WallTile;
      tiles[cmd.a] = { index: cmd.a, ...content(b) };
      tiles[cmd.b] = { index: cmd.b, ...content(a) };
      break;
    }
    case 'setTour': {
      checkIndex(state, cmd.index);
      if (cmd.tour === null) {
        tiles[cmd.index] = empty(cmd.index);
        break;
      }
      const tour = wallTourSchema.safeParse(cmd.tour);
      if (!tour.success) {
        throw new AppError(
          'invalid:request',
          tour.error.issues.map((i) => `tour.${i.path.join('.')}: ${i.message}`).join('; '),
        );
      }
      tiles[cmd.index] = {
        index: cmd.index,
        cameraId: null,
        tour: { ...tour.data, startedAt: now.toISOString() },
      };
      break;
    }
    default: {
      const never: never = cmd;
      throw new AppError('invalid:request', `unknown command ${(never as { type: string }).type}`);
    }
  }
  return { ...state, layout, tiles, version: state.version + 1, updatedAt: now.toISOString() };
}

/** The cameras a command puts on the wall (each must be readable by the user who sends it). */
export function camerasOf(cmd: WallCommand): string[] {
  if (cmd.type === 'assign') return [cmd.cameraId];
  if (cmd.type === 'setTour' && cmd.tour) return [...cmd.tour.cameraIds];
  return [];
}
