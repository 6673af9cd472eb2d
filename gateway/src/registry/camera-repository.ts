import type { CameraState, DistrictCode } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import { ITEM_COLUMNS, ITEM_FROM, type ItemRow } from './rows.ts';

/** A camera as the registry answers it, or undefined. */
export async function loadItem(db: Queryable, id: string): Promise<ItemRow | undefined> {
  const { rows } = await db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM ${ITEM_FROM} WHERE c.id = $1`, [id]);
  return rows[0];
}

export interface SourceForWrite {
  id: string;
  owner_org_id: string;
  removed_at: Date | null;
}

export interface CameraForWrite {
  id: string;
  lon: number;
  lat: number;
  district_code: DistrictCode;
  site_category: string;
  location_kind: string;
  grade: number;
  state: CameraState;
  name: string;
  address: string | null;
  installer: string | null;
  profiles: Record<string, unknown>;
  owner_org_id: string;
}

/** The source a camera is filed under, held (FOR SHARE) while the camera is registered. */
export async function sourceForCamera(tx: Queryable, sourceId: string): Promise<SourceForWrite | undefined> {
  const { rows } = await tx.query<SourceForWrite>(
    'SELECT id, owner_org_id, removed_at FROM source_systems WHERE id = $1 FOR SHARE',
    [sourceId],
  );
  return rows[0];
}

export async function externalIdTaken(tx: Queryable, sourceId: string, externalId: string): Promise<boolean> {
  const { rows } = await tx.query('SELECT 1 FROM cameras WHERE source_id = $1 AND external_id = $2', [
    sourceId,
    externalId,
  ]);
  return rows.length > 0;
}

export interface CameraFields {
  name: string;
  address: string | null;
  lon: number;
  lat: number;
  districtCode: string;
  category: string;
  locationKind: string;
  grade: number;
  installer: string | null;
  profiles: unknown;
}

/** Files a new camera; returns its id. */
export async function insertCamera(
  tx: Queryable,
  c: CameraFields & { sourceId: string; externalId: string },
): Promise<string> {
  const ins = await tx.query<{ id: string }>(
    `INSERT INTO cameras (source_id, external_id, name, address, lon, lat, district_code, site_category,
                          location_kind, grade, installer, profiles)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [
      c.sourceId,
      c.externalId,
      c.name,
      c.address,
      c.lon,
      c.lat,
      c.districtCode,
      c.category,
      c.locationKind,
      c.grade,
      c.installer,
      JSON.stringify(c.profiles),
    ],
  );
  return ins.rows[0]?.id as string;
}

/** A camera with its owner, locked FOR UPDATE for a change. */
export async function cameraForUpdate(tx: Queryable, id: string): Promise<CameraForWrite | undefined> {
  const found = await tx.query<CameraForWrite>(
    `SELECT c.id, c.lon, c.lat, c.district_code, c.site_category, c.location_kind, c.grade, c.state,
          c.name, c.address, c.installer, c.profiles, s.owner_org_id
     FROM cameras c JOIN source_systems s ON s.id = c.source_id WHERE c.id = $1 FOR UPDATE OF c`,
    [id],
  );
  return found.rows[0];
}

export async function updateCamera(
  tx: Queryable,
  id: string,
  c: CameraFields & { state: string },
): Promise<void> {
  await tx.query(
    `UPDATE cameras SET name = $2, address = $3, lon = $4, lat = $5, district_code = $6, site_category = $7,
          location_kind = $8, grade = $9, installer = $10, profiles = $11, state = $12, updated_at = now()
    WHERE id = $1`,
    [
      id,
      c.name,
      c.address,
      c.lon,
      c.lat,
      c.districtCode,
      c.category,
      c.locationKind,
      c.grade,
      c.installer,
      JSON.stringify(c.profiles),
      c.state,
    ],
  );
}
