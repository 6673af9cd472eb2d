import {
  type CameraState,
  type DistrictCode,
  type Funding,
  type Grade,
  grantEndsAt,
  type SourceKind,
  type StreamProfile,
  type StreamRef,
} from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import type { CameraFacts, IncidentFacts } from '../policy/index.ts';

/** A source system as stream URLs need it. */
export interface SourceStreamRow {
  id: string;
  kind: SourceKind;
  connection: Record<string, unknown>;
  /** `secret_ciphertext` as the driver returns it (Buffer from pg, Uint8Array from PGlite). */
  secretCiphertext: Uint8Array | null;
}

export interface CameraRecord {
  facts: CameraFacts;
  name: string;
  /** The camera's ID in its source system (a GB channel's 20 digits). */
  externalId: string;
  sourceKind: SourceKind;
  /** The camera's stream profiles as registered (a path under the source's base, or a URL). */
  profiles: Partial<Record<StreamProfile, StreamRef>>;
  /** Its source system as stream URLs need it; the credentials stay sealed (opened at ingest). */
  source: SourceStreamRow;
}

interface Row {
  id: string;
  name: string;
  external_id: string;
  lon: number;
  lat: number;
  district_code: DistrictCode;
  grade: number;
  state: CameraState;
  profiles: Partial<Record<StreamProfile, StreamRef>>;
  source_id: string;
  owner_org_id: string;
  funding: Funding;
  kind: SourceKind;
  connection: Record<string, unknown>;
  secret_ciphertext: Uint8Array | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SELECT = `SELECT c.id, c.name, c.external_id, c.lon, c.lat, c.district_code, c.grade, c.state, c.profiles,
            c.source_id, s.owner_org_id, s.funding, s.kind, s.connection, s.secret_ciphertext
       FROM cameras c JOIN source_systems s ON s.id = c.source_id`;

/** A camera with what the policy needs and where its streams come from. */
export async function loadCamera(db: Queryable, id: string): Promise<CameraRecord | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Several cameras in one query, by id; ids that are not UUIDs or not cameras are absent. */
export async function loadCameras(db: Queryable, ids: readonly string[]): Promise<Map<string, CameraRecord>> {
  const valid = ids.filter((id) => UUID.test(id));
  const out = new Map<string, CameraRecord>();
  if (valid.length === 0) return out;
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.id = ANY($1::uuid[])`, [valid]);
  // Ids come back in PostgreSQL's lower-case form; callers asked in theirs.
  const byLower = new Map(rows.map((r) => [r.id.toLowerCase(), r]));
  for (const id of valid) {
    const r = byLower.get(id.toLowerCase());
    if (r) out.set(id, toRecord(r));
  }
  return out;
}

function toRecord(r: Row): CameraRecord {
  return {
    facts: {
      id: r.id,
      ownerOrgId: r.owner_org_id,
      funding: r.funding,
      districtCode: r.district_code,
      grade: r.grade as Grade,
      state: r.state,
      lon: r.lon,
      lat: r.lat,
    },
    name: r.name,
    externalId: r.external_id,
    sourceKind: r.kind,
    profiles: r.profiles,
    source: {
      id: r.source_id,
      kind: r.kind,
      connection: r.connection,
      secretCiphertext: r.secret_ciphertext,
    },
  };
}

/**
 * The open incidents as the policy sees them: `closedAt` is the end of the emergency grant
 * (exclusive) when it ends while the incident stays open — `grantMaxMs` (> 0) after its opening
 * (R-ACC-4 "or a set maximum"), or its confirmation deadline while a major incident waits for one.
 */
export async function openIncidents(db: Queryable, grantMaxMs = 0): Promise<IncidentFacts[]> {
  const { rows } = await db.query<{
    id: string;
    level: number;
    lon: number;
    lat: number;
    radius_m: number;
    district_code: DistrictCode | null;
    opened_at: Date;
    confirm_by: Date | null;
    confirmed_at: Date | null;
  }>(
    `SELECT id, level, lon, lat, radius_m, district_code, opened_at, confirm_by, confirmed_at
       FROM incidents WHERE closed_at IS NULL`,
  );
  return rows.map((r) => {
    const end = grantEndsAt(
      {
        level: r.level,
        openedAt: new Date(r.opened_at).toISOString(),
        closedAt: null,
        confirmBy: r.confirm_by ? new Date(r.confirm_by).toISOString() : null,
        confirmedAt: r.confirmed_at ? new Date(r.confirmed_at).toISOString() : null,
      },
      grantMaxMs,
    );
    return {
      id: r.id,
      level: r.level as IncidentFacts['level'],
      lon: r.lon,
      lat: r.lat,
      radiusM: r.radius_m,
      ...(r.district_code ? { districtCode: r.district_code } : {}),
      openedAt: new Date(r.opened_at),
      closedAt: end === null ? null : new Date(end),
    };
  });
}
