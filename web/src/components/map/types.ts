import type { CameraState, DistrictCode, Grade, SiteCategory, StreamState } from '@wall/protocol';
import type { Lang } from '../../lib/i18n';

/**
 * The map's compact client model of every camera the user may see (built from
 * `GET /api/cameras/geojson?format=compact`): parallel typed arrays, one entry per camera, so
 * 100 000 cameras cost a few MB and no per-camera object.
 */
export interface CameraMapData {
  readonly count: number;
  readonly ids: readonly string[];
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  /** 1 … 4. */
  readonly grade: Uint8Array;
  /** Index into `MAP_STATES` (registry lifecycle state). */
  readonly state: Uint8Array;
  /** Index into `MAP_CATEGORIES`. */
  readonly category: Uint8Array;
  /** Index into `DISTRICTS`. */
  readonly district: Uint8Array;
  /** 1 when privately funded. */
  readonly private: Uint8Array;
  /** 1 when readable only through a major incident's emergency grant. */
  readonly emergency: Uint8Array;
  /** Camera id → index. */
  readonly indexOf: ReadonlyMap<string, number>;
  /** When the list was loaded (ms since the epoch). */
  readonly loadedAt: number;
}

/** One camera of {@link CameraMapData} as a plain object. `name` is known only once fetched. */
export interface MapCamera {
  id: string;
  name: string | undefined;
  lon: number;
  lat: number;
  districtCode: DistrictCode;
  category: SiteCategory;
  grade: Grade;
  state: CameraState;
  private: boolean;
  emergency: boolean;
}

/** Live stream state shown on the map: the media status, or `none` when nobody watches it. */
export type MapStatus = StreamState | 'none';

/** Which base map to draw (chosen on the server from the web settings). */
export type MapStyleSetting =
  | { kind: 'offline' }
  | { kind: 'url'; url: string }
  | { kind: 'mapbox'; url: string; token: string };

/** What the map components need from the server (pass to {@link MapProvider}). */
export interface MapSettings {
  gatewayUrl: string;
  lang: Lang;
  style: MapStyleSetting;
}

export interface CameraFilters {
  districts: readonly DistrictCode[];
  categories: readonly SiteCategory[];
  grades: readonly Grade[];
  statuses: readonly MapStatus[];
}

export const NO_FILTERS: CameraFilters = { districts: [], categories: [], grades: [], statuses: [] };
