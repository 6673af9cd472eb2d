import type {
  CameraItem,
  CameraState,
  DistrictCode,
  Funding,
  Grade,
  LocationKind,
  SiteCategory,
  Source,
  SourceKind,
} from '@wall/protocol';
import type { CameraFacts } from '../policy/index.ts';

/** Columns of a camera as the registry answers it; the query joins `cameras c` and `source_systems s`. */
export const ITEM_COLUMNS = `c.id, c.source_id, c.external_id, c.name, c.address, c.lon, c.lat, c.district_code,
       c.site_category, c.location_kind, c.grade, c.state, c.installer,
       coalesce(jsonb_typeof(c.profiles -> 'main') = 'object', false) AS has_main,
       coalesce(jsonb_typeof(c.profiles -> 'sub') = 'object', false) AS has_sub,
       c.created_at, c.updated_at, s.kind AS source_kind, s.funding, s.owner_org_id`;

export const ITEM_FROM = 'cameras c JOIN source_systems s ON s.id = c.source_id';

export interface ItemRow {
  id: string;
  source_id: string;
  external_id: string;
  name: string;
  address: string | null;
  lon: number;
  lat: number;
  district_code: DistrictCode;
  site_category: SiteCategory;
  location_kind: LocationKind;
  grade: number;
  state: CameraState;
  installer: string | null;
  has_main: boolean;
  has_sub: boolean;
  created_at: Date;
  updated_at: Date;
  source_kind: SourceKind;
  funding: Funding;
  owner_org_id: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export function toItem(r: ItemRow, extra?: { distanceM?: number; emergency?: boolean }): CameraItem {
  return {
    id: r.id,
    sourceId: r.source_id,
    externalId: r.external_id,
    name: r.name,
    address: r.address,
    lon: r.lon,
    lat: r.lat,
    districtCode: r.district_code,
    category: r.site_category,
    locationKind: r.location_kind,
    grade: r.grade as Grade,
    state: r.state,
    installer: r.installer,
    sourceKind: r.source_kind,
    funding: r.funding,
    ownerOrgId: r.owner_org_id,
    profiles: { main: r.has_main, sub: r.has_sub },
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    ...(extra?.distanceM !== undefined ? { distanceM: extra.distanceM } : {}),
    ...(extra?.emergency ? { emergency: true } : {}),
  };
}

export function factsOf(r: ItemRow): CameraFacts {
  return {
    id: r.id,
    ownerOrgId: r.owner_org_id,
    funding: r.funding,
    districtCode: r.district_code,
    grade: r.grade as Grade,
    state: r.state,
    lon: r.lon,
    lat: r.lat,
  };
}

export const SOURCE_COLUMNS =
  's.id, s.name, s.kind, s.owner_org_id, s.funding, s.connection, s.secret_ciphertext IS NOT NULL AS has_secret, s.created_at, s.updated_at, s.removed_at';

export interface SourceRow {
  id: string;
  name: string;
  kind: SourceKind;
  owner_org_id: string;
  funding: Funding;
  connection: Record<string, unknown>;
  has_secret: boolean;
  created_at: Date;
  updated_at: Date;
  removed_at: Date | null;
}

/** A source as answered: never its credentials, only whether there are some. */
export function toSource(r: SourceRow): Source {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    ownerOrgId: r.owner_org_id,
    funding: r.funding,
    connection: r.connection,
    hasSecret: r.has_secret,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    removedAt: r.removed_at ? iso(r.removed_at) : null,
  };
}
