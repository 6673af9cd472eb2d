import { z } from 'zod';
import type { EmergencyUseNotice } from './emergency.ts';
import type { Ack, ErrorBody } from './errors.ts';
import type { StreamStatus } from './media.ts';
import type { CapacityChange } from './recording-api.ts';
import { incidentKindSchema } from './retrieval.ts';
import { clientText } from './text.ts';

// ——— Layouts ———

/**
 * Wall layouts: N×N grids (1 … 64 tiles) and "one big + small" layouts. In a big+small layout tile 0
 * is always the big tile; the small tiles follow in row-major order of the cells they occupy.
 *
 * | layout | grid | big tile (row, col, span)   | tiles |
 * |--------|------|-----------------------------|-------|
 * | `1+5`  | 3×3  | (0, 0) 2×2, top left        | 6     |
 * | `1+7`  | 4×4  | (0, 0) 3×3, top left        | 8     |
 * | `1+12` | 4×4  | (1, 1) 2×2, centre          | 13    |
 */
export const WALL_LAYOUTS = ['1', '4', '9', '16', '25', '36', '49', '64', '1+5', '1+7', '1+12'] as const;
export const wallLayoutSchema = z.enum(WALL_LAYOUTS);
export type WallLayout = z.infer<typeof wallLayoutSchema>;

/** Most tiles a wall can have (layout `64`). */
export const MAX_WALL_TILES = 64;

/** Where one tile sits in the layout's grid (0-based row and column of its top-left cell). */
export interface TileGeometry {
  index: number;
  row: number;
  col: number;
  rowSpan: number;
  colSpan: number;
}

export interface LayoutGeometry {
  layout: WallLayout;
  rows: number;
  cols: number;
  /** Number of tiles (= `tiles.length`). */
  count: number;
  tiles: readonly TileGeometry[];
}

const BIG: Partial<Record<WallLayout, { grid: number; row: number; col: number; span: number }>> = {
  '1+5': { grid: 3, row: 0, col: 0, span: 2 },
  '1+7': { grid: 4, row: 0, col: 0, span: 3 },
  '1+12': { grid: 4, row: 1, col: 1, span: 2 },
};

function geometry(layout: WallLayout): LayoutGeometry {
  const big = BIG[layout];
  const grid = big ? big.grid : Math.round(Math.sqrt(Number(layout)));
  const tiles: TileGeometry[] = [];
  if (big) tiles.push({ index: 0, row: big.row, col: big.col, rowSpan: big.span, colSpan: big.span });
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const covered =
        big !== undefined &&
        row >= big.row &&
        row < big.row + big.span &&
        col >= big.col &&
        col < big.col + big.span;
      if (!covered) tiles.push({ index: tiles.length, row, col, rowSpan: 1, colSpan: 1 });
    }
  }
  return Object.freeze({ layout, rows: grid, cols: grid, count: tiles.length, tiles: Object.freeze(tiles) });
}

const GEOMETRIES = new Map<WallLayout, LayoutGeometry>(WALL_LAYOUTS.map((l) => [l, geometry(l)]));

/** Grid geometry of a layout: rows, columns, and each tile's cell and span. Pure and cached. */
export function layoutTiles(layout: WallLayout): LayoutGeometry {
  const g = GEOMETRIES.get(layout);
  if (!g) throw new RangeError(`unknown wall layout ${String(layout)}`);
  return g;
}

// ——— Wall state ———

const idSchema = z.guid();
export const wallNameSchema = clientText({ trim: true, min: 1, max: 100 });

export const TILE_MODES = ['live', 'playback'] as const;
export type TileMode = (typeof TILE_MODES)[number];

const uniqueIds = (ids: readonly string[]) => new Set(ids.map((i) => i.toLowerCase())).size === ids.length;

/** A tour: a group of cameras cycling through one tile, `intervalS` seconds each. */
export const wallTourSchema = z
  .object({
    cameraIds: z.array(idSchema).min(2).max(64).refine(uniqueIds, 'a camera appears twice in the tour'),
    intervalS: z.number().int().min(5).max(3600),
  })
  .strict();
export type WallTour = z.infer<typeof wallTourSchema>;

/**
 * A tile. `cameraId` is the camera shown, or null. A touring tile has `tour` (with the server time
 * it started, so every display shows the same camera at the same moment: camera
 * `floor((now − startedAt) / intervalS) mod n`) and `cameraId` null.
 */
export const wallTileSchema = z.object({
  index: z
    .number()
    .int()
    .min(0)
    .max(MAX_WALL_TILES - 1),
  cameraId: idSchema.nullable(),
  tour: wallTourSchema.extend({ startedAt: z.iso.datetime({ offset: true }) }).optional(),
  /**
   * What the tile shows while the wall plays back: absent or `playback` — the wall's playback clock;
   * `live` — live, although the wall plays back. A live wall shows every tile live.
   */
  mode: z.enum(TILE_MODES).optional(),
});
export type WallTile = z.infer<typeof wallTileSchema>;

// ——— Wall playback (issue 13) ———

/** The speeds a wall plays back at (the console offers these; commands accept any in between). */
export const WALL_PLAYBACK_SPEEDS = [0.5, 1, 2, 4, 8] as const;
export const wallPlaybackSpeedSchema = z.number().min(0.5).max(8);

/**
 * The wall's playback clock, shared by every display of the wall: at server time `anchor` the wall
 * shows the footage of wall-clock time `at`, and from there advances `speed` footage seconds per
 * server second (unless `paused`). Every tile in playback mode shows the footage of
 * {@link wallPlaybackPosition} — displays compute it from the server's clock (`time:now`), so
 * they agree whatever their own clocks say.
 */
export const wallPlaybackSchema = z
  .object({
    at: z.iso.datetime({ offset: true }),
    anchor: z.iso.datetime({ offset: true }),
    speed: wallPlaybackSpeedSchema,
    paused: z.boolean(),
  })
  .strict();
export type WallPlayback = z.infer<typeof wallPlaybackSchema>;

/** The footage wall-clock time (epoch ms) the wall shows at server time `serverNowMs`. */
export function wallPlaybackPosition(p: WallPlayback, serverNowMs: number): number {
  const at = Date.parse(p.at);
  if (p.paused) return at;
  return at + (serverNowMs - Date.parse(p.anchor)) * p.speed;
}

/** What a tile of the wall shows: live on a live wall, else its own mode (playback by default). */
export function tileMode(wall: Pick<WallState, 'playback'>, tile: Pick<WallTile, 'mode'>): TileMode {
  return wall.playback ? (tile.mode ?? 'playback') : 'live';
}

/** A wall as every console and display sees it; `tiles` has exactly `layoutTiles(layout).count` entries. */
export const wallStateSchema = z.object({
  id: idSchema,
  name: wallNameSchema,
  ownerOrgId: idSchema,
  layout: wallLayoutSchema,
  tiles: z.array(wallTileSchema).max(MAX_WALL_TILES),
  /** The playback clock while the wall plays back; null when it is live. */
  playback: wallPlaybackSchema.nullable(),
  /** Bumped by every change; commands carry the version they were made against. */
  version: z.number().int().min(0),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type WallState = z.infer<typeof wallStateSchema>;

/** `POST /api/walls`. */
export const createWallSchema = z.object({ name: wallNameSchema, layout: wallLayoutSchema }).strict();
export type CreateWall = z.infer<typeof createWallSchema>;

// ——— Commands (HTTP `POST /api/walls/:id/commands` and socket `wall:command`) ———

const version = z.number().int().min(0);
const tileIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_WALL_TILES - 1);
/** A footage moment (not in the future: the server refuses one later than its clock). */
const footageTime = z.iso.datetime({ offset: true });
const speedOrOne = wallPlaybackSpeedSchema.default(1);

/**
 * A change to a wall, made against `version` (optimistic concurrency: another version answers
 * `conflict:version` with the current state).
 */
export const wallCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('setLayout'), version, layout: wallLayoutSchema }).strict(),
  z.object({ type: z.literal('assign'), version, index: tileIndex, cameraId: idSchema }).strict(),
  z.object({ type: z.literal('clear'), version, index: tileIndex }).strict(),
  z.object({ type: z.literal('swap'), version, a: tileIndex, b: tileIndex }).strict(),
  z
    .object({ type: z.literal('setTour'), version, index: tileIndex, tour: wallTourSchema.nullable() })
    .strict(),
  // Wall playback: rewind to a moment (every tile follows the wall's clock), pause or resume,
  // change speed, jump to another moment, back to live; one tile live or playback.
  z.object({ type: z.literal('playbackStart'), version, at: footageTime, speed: speedOrOne }).strict(),
  z.object({ type: z.literal('playbackPause'), version, paused: z.boolean() }).strict(),
  z.object({ type: z.literal('playbackSpeed'), version, speed: wallPlaybackSpeedSchema }).strict(),
  z.object({ type: z.literal('playbackSeek'), version, at: footageTime }).strict(),
  z.object({ type: z.literal('playbackLive'), version }).strict(),
  z.object({ type: z.literal('setTileMode'), version, index: tileIndex, mode: z.enum(TILE_MODES) }).strict(),
]);
export type WallCommand = z.infer<typeof wallCommandSchema>;
export type WallCommandType = WallCommand['type'];

/** Body of a `conflict:version` answer (HTTP 409) and of a refused `wall:command` ack. */
export interface WallConflict extends ErrorBody {
  code: 'conflict:version';
  current: WallState;
}

// ——— Incidents as pushed to sockets ———

export const incidentSchema = z.object({
  id: idSchema,
  title: z.string(),
  /** 1 = Ⅰ especially major … 4 = Ⅳ general. */
  level: z.number().int().min(1).max(4),
  lon: z.number(),
  lat: z.number(),
  radiusM: z.number(),
  districtCode: z.string().nullable(),
  openedAt: z.iso.datetime({ offset: true }),
  closedAt: z.iso.datetime({ offset: true }).nullable(),
  /**
   * When the emergency grant of a major (Ⅰ/Ⅱ) incident ends (R-ACC-4): its closing or the set
   * maximum after its opening, whichever comes first. null when there is no grant (level Ⅲ/Ⅳ) or
   * when only closing the incident will end it.
   */
  grantEndsAt: z.iso.datetime({ offset: true }).nullable(),
  /**
   * A major incident's grant needs a second command user's confirmation by this instant, else it
   * lapses; null when none is needed (level Ⅲ/Ⅳ).
   */
  confirmBy: z.iso.datetime({ offset: true }).nullable(),
  confirmedAt: z.iso.datetime({ offset: true }).nullable(),
  /** Who confirmed (username); null until confirmed. */
  confirmedBy: z.string().nullable(),
  /** The kind of sudden public event (Art. 21 ¶3); null when declared without one. */
  kind: incidentKindSchema.nullable().optional(),
});
export type Incident = z.infer<typeof incidentSchema>;

/** `GET /api/incidents`: newest first, at most 200. */
export const incidentListSchema = z.object({ incidents: z.array(incidentSchema) });

/**
 * `grantEndsAt` of an incident (see `incidentSchema`); `grantMaxMs` 0: no maximum. A major
 * incident that waits for its confirmation (`confirmBy` set, `confirmedAt` null) has a grant that
 * lapses at `confirmBy` unless confirmed before.
 */
export function grantEndsAt(
  i: {
    level: number;
    openedAt: string;
    closedAt: string | null;
    confirmBy?: string | null;
    confirmedAt?: string | null;
  },
  grantMaxMs: number,
): string | null {
  if (i.level > 2) return null;
  const max = grantMaxMs > 0 ? Date.parse(i.openedAt) + grantMaxMs : Number.POSITIVE_INFINITY;
  const closed = i.closedAt === null ? Number.POSITIVE_INFINITY : Date.parse(i.closedAt);
  const lapse =
    i.confirmBy != null && i.confirmedAt == null ? Date.parse(i.confirmBy) : Number.POSITIVE_INFINITY;
  const end = Math.min(max, closed, lapse);
  return Number.isFinite(end) ? new Date(end).toISOString() : null;
}

// ——— Realtime (socket.io namespace `/realtime` on the gateway) ———

export const REALTIME_NAMESPACE = '/realtime';
export const REALTIME_PATH = '/socket.io';
/** Most cameras one `camera:watch` may name. */
export const MAX_WATCH_PER_REQUEST = 64;
/** Most camera rooms one socket may be in. */
export const MAX_WATCHED_CAMERAS = 256;

export const wallRefSchema = z.object({ wallId: idSchema }).strict();
export const wallCommandRequestSchema = z.object({ wallId: idSchema, command: wallCommandSchema }).strict();
export const cameraWatchSchema = z
  .object({ cameraIds: z.array(idSchema).min(1).max(MAX_WATCH_PER_REQUEST) })
  .strict();

export type WallCommandAck =
  | { ok: true; data: WallState }
  | { ok: false; error: ErrorBody; current?: WallState };

/** `time:now`: the server's clock (epoch ms), for the displays' offset to it. */
export const serverTimeSchema = z.object({ now: z.number() }).strict();
export type ServerTime = z.infer<typeof serverTimeSchema>;

export interface RealtimeClientToServerEvents {
  /** The server's clock: a display estimates its offset from it (round trip halved) to follow a wall's playback clock. */
  'time:now': (ack: (res: Ack<ServerTime>) => void) => void;
  /** Join the wall's room (only a user who may use the wall); answers its state. */
  'wall:join': (req: { wallId: string }, ack: (res: Ack<WallState>) => void) => void;
  'wall:leave': (req: { wallId: string }, ack: (res: Ack<null>) => void) => void;
  /** Change a wall; answers the new state (also sent to the room as `wall:updated`). */
  'wall:command': (req: { wallId: string; command: WallCommand }, ack: (res: WallCommandAck) => void) => void;
  /** Receive `camera:status` for these cameras; answers those accepted (the user may read them). */
  'camera:watch': (req: { cameraIds: string[] }, ack: (res: Ack<{ accepted: string[] }>) => void) => void;
  /** Stop; answers the cameras still watched. */
  'camera:unwatch': (req: { cameraIds: string[] }, ack: (res: Ack<{ watching: string[] }>) => void) => void;
}

export interface RealtimeServerToClientEvents {
  'wall:updated': (state: WallState) => void;
  'camera:status': (status: StreamStatus) => void;
  /** An incident opened (or changed while open: clients key incidents by id). */
  'incident:opened': (incident: Incident) => void;
  'incident:closed': (incident: Incident) => void;
  /** A camera of the user's organisation was just opened to a command user under a major incident (R-ACC-4). */
  'access:emergency': (notice: EmergencyUseNotice) => void;
  /** Administrators: a storage alarm was raised or cleared (R-REC-3); the report as it is now. */
  'recording:capacity': (change: CapacityChange) => void;
}
