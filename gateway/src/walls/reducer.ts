import {
  AppError,
  layoutTiles,
  type WallCommand,
  type WallLayout,
  type WallPlayback,
  type WallState,
  type WallTile,
  wallPlaybackPosition,
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

/** Content of a tile without its position (its mode moves with it). */
function content(t: WallTile): Omit<WallTile, 'index'> {
  const mode = t.mode ? { mode: t.mode } : {};
  return t.tour ? { cameraId: null, tour: t.tour, ...mode } : { cameraId: t.cameraId, ...mode };
}

/** Every tile back to following the wall's clock. */
function followWall(tiles: WallTile[]): WallTile[] {
  return tiles.map(({ mode: _mode, ...t }) => t);
}

/** A footage moment later than the server's clock cannot have been recorded. */
function checkFootageTime(at: string, now: Date): string {
  const ms = Date.parse(at);
  if (ms > now.getTime()) throw new AppError('invalid:request', `playback moment ${at} is in the future`);
  return new Date(ms).toISOString();
}

function playingBack(state: WallState): WallPlayback {
  if (!state.playback) throw new AppError('conflict:state', 'the wall is live: start playback first');
  return state.playback;
}

/** The clock re-anchored at `now` (its position kept), then changed by `change`. */
function rebase(p: WallPlayback, now: Date, change: Partial<WallPlayback>): WallPlayback {
  const at = new Date(Math.min(wallPlaybackPosition(p, now.getTime()), now.getTime())).toISOString();
  return { ...p, at, anchor: now.toISOString(), ...change };
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
 * - `playbackStart`: the wall plays back from footage time `at` (not in the future) as of `now`, at
 *   `speed`; every tile follows the wall's clock (`mode` cleared).
 * - `playbackPause`, `playbackSpeed`: the clock is re-anchored at `now` where it is (never later
 *   than `now`), then paused/resumed or sped; `playbackSeek`: the clock shows `at` as of `now`. These
 *   need a wall that plays back (`conflict:state` otherwise).
 * - `playbackLive`: the wall is live again (every tile follows it).
 * - `setTileMode`: one tile live or back to the wall's playback (needs a wall that plays back).
 *
 * Throws `WallVersionConflict` when the command was made against another version, `invalid:request`
 * for a tile outside the layout, an invalid tour or a footage moment in the future.
 */
export function applyCommand(state: WallState, cmd: WallCommand, now: Date): WallState {
  if (cmd.version !== state.version) throw new WallVersionConflict(state);
  let layout = state.layout;
  let tiles = state.tiles.map((t) => ({ ...t }));
  let playback = state.playback;
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
    case 'playbackStart':
      playback = {
        at: checkFootageTime(cmd.at, now),
        anchor: now.toISOString(),
        speed: cmd.speed,
        paused: false,
      };
      tiles = followWall(tiles);
      break;
    case 'playbackPause':
      playback = rebase(playingBack(state), now, { paused: cmd.paused });
      break;
    case 'playbackSpeed':
      playback = rebase(playingBack(state), now, { speed: cmd.speed });
      break;
    case 'playbackSeek':
      playback = { ...playingBack(state), at: checkFootageTime(cmd.at, now), anchor: now.toISOString() };
      break;
    case 'playbackLive':
      playback = null;
      tiles = followWall(tiles);
      break;
    case 'setTileMode': {
      checkIndex(state, cmd.index);
      playingBack(state);
      const { mode: _mode, ...tile } = tiles[cmd.index] as WallTile;
      tiles[cmd.index] = cmd.mode === 'live' ? { ...tile, mode: 'live' } : tile;
      break;
    }
    default: {
      const never: never = cmd;
      throw new AppError('invalid:request', `unknown command ${(never as { type: string }).type}`);
    }
  }
  return { ...state, layout, tiles, playback, version: state.version + 1, updatedAt: now.toISOString() };
}

/** The cameras a command puts on the wall (each must be readable by the user who sends it). */
export function camerasOf(cmd: WallCommand): string[] {
  if (cmd.type === 'assign') return [cmd.cameraId];
  if (cmd.type === 'setTour' && cmd.tour) return [...cmd.tour.cameraIds];
  return [];
}
