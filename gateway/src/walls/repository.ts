import {
  type WallLayout,
  type WallState,
  type WallTile,
  wallLayoutSchema,
  wallStateSchema,
} from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import { tilesFor } from './reducer.ts';

interface WallRow {
  id: string;
  name: string;
  owner_org_id: string;
  layout: string;
  tiles: unknown;
  playback: unknown;
  version: number;
  updated_at: Date | string;
}

const COLUMNS = 'id, name, owner_org_id, layout, tiles, playback, version, updated_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A stored wall as the API shows it. Tiles are fitted to the layout (a row written with fewer or
 * more tiles, e.g. by a seed, reads as the layout's tiles); a row that is not a valid wall throws.
 */
export function toState(r: WallRow): WallState {
  const layout: WallLayout = wallLayoutSchema.parse(r.layout);
  const tiles = Array.isArray(r.tiles) ? (r.tiles as WallTile[]) : [];
  return wallStateSchema.parse({
    id: r.id,
    name: r.name,
    ownerOrgId: r.owner_org_id,
    layout,
    tiles: tilesFor(
      layout,
      tiles.map((t) => ({
        index: t.index,
        cameraId: t.cameraId ?? null,
        ...(t.tour ? { tour: t.tour } : {}),
        ...(t.mode ? { mode: t.mode } : {}),
      })),
    ),
    playback: r.playback ?? null,
    version: r.version,
    updatedAt: new Date(r.updated_at).toISOString(),
  });
}

export async function loadWall(q: Queryable, id: string): Promise<WallState | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<WallRow>(`SELECT ${COLUMNS} FROM walls WHERE id = $1`, [id]);
  return rows[0] ? toState(rows[0]) : undefined;
}

export async function listWalls(q: Queryable, ownerOrgId: string): Promise<WallState[]> {
  const { rows } = await q.query<WallRow>(
    `SELECT ${COLUMNS} FROM walls WHERE owner_org_id = $1 ORDER BY name, id LIMIT 500`,
    [ownerOrgId],
  );
  return rows.map(toState);
}

export async function insertWall(
  q: Queryable,
  wall: { name: string; ownerOrgId: string; layout: WallLayout },
): Promise<WallState> {
  const { rows } = await q.query<WallRow>(
    `INSERT INTO walls (name, owner_org_id, layout, tiles, version)
     VALUES ($1, $2, $3, $4::jsonb, 0) RETURNING ${COLUMNS}`,
    [wall.name, wall.ownerOrgId, wall.layout, JSON.stringify(tilesFor(wall.layout, []))],
  );
  return toState(rows[0] as WallRow);
}

/**
 * Stores `next` only if the wall is still at `expectedVersion` (optimistic concurrency in SQL:
 * two writers of the same version cannot both win). Returns the stored state, or undefined when
 * the version had moved on (or the wall is gone).
 */
export async function saveWall(
  q: Queryable,
  next: WallState,
  expectedVersion: number,
): Promise<WallState | undefined> {
  const { rows } = await q.query<WallRow>(
    `UPDATE walls SET layout = $3, tiles = $4::jsonb, playback = $6::jsonb, version = version + 1,
            updated_at = $5::timestamptz
      WHERE id = $1 AND version = $2 RETURNING ${COLUMNS}`,
    [
      next.id,
      expectedVersion,
      next.layout,
      JSON.stringify(next.tiles),
      next.updatedAt,
      next.playback === null ? null : JSON.stringify(next.playback),
    ],
  );
  return rows[0] ? toState(rows[0]) : undefined;
}
