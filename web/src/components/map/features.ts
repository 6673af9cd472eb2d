import { DISTRICTS, type Incident, MAP_CATEGORIES } from '@wall/protocol';
import { circlePoints } from '@wall/protocol/geo';
import type { FilterMasks } from './feature-json';
import type { CameraFilters, CameraMapData, MapStatus } from './types';

/** Whether any filter is set. */
export function filtersActive(f: CameraFilters): boolean {
  return f.districts.length + f.categories.length + f.grades.length + f.statuses.length > 0;
}

const STATUS_CODES: Readonly<Record<MapStatus, number>> = {
  none: 0,
  live: 1,
  starting: 2,
  stalled: 3,
  offline: 4,
};

/**
 * The filters as masks over the camera columns (an empty list of a kind means "all"); the status
 * filter becomes a per-camera mask from the live statuses.
 */
export function filterMasks(
  data: CameraMapData,
  filters: CameraFilters,
  statuses: Readonly<Record<string, MapStatus | undefined>> | undefined,
): FilterMasks {
  const masks: FilterMasks = {
    district: mask(
      DISTRICTS.length,
      filters.districts.map((c) => DISTRICTS.findIndex((d) => d.code === c)),
    ),
    category: mask(
      MAP_CATEGORIES.length,
      filters.categories.map((c) => MAP_CATEGORIES.indexOf(c)),
    ),
    grade: mask(5, filters.grades),
  };
  if (filters.statuses.length > 0) {
    const want = mask(
      5,
      filters.statuses.map((s) => STATUS_CODES[s]),
    );
    const camera = new Uint8Array(data.count);
    if (want?.[STATUS_CODES.none] === 1) camera.fill(1);
    for (const [id, s] of Object.entries(statuses ?? {})) {
      const i = data.indexOf.get(id);
      if (i !== undefined) camera[i] = want?.[STATUS_CODES[s ?? 'none']] ?? 0;
    }
    masks.camera = camera;
  }
  return masks;
}

function mask(size: number, indexes: readonly number[]): Uint8Array | undefined {
  if (indexes.length === 0) return undefined;
  const m = new Uint8Array(size);
  for (const i of indexes) if (i >= 0 && i < size) m[i] = 1;
  return m;
}

/** A circle of `radiusM` metres around a point, as a closed ring of `vertices` + 1 positions. */
export function circleRing(lon: number, lat: number, radiusM: number, vertices = 64): [number, number][] {
  const points = circlePoints(lon, lat, radiusM, vertices);
  const first = points[0];
  return first ? [...points, first] : points;
}

/** Open incidents as circle polygons (64 vertices) with their level and title. */
export function incidentFeatures(incidents: readonly Incident[]) {
  return {
    type: 'FeatureCollection' as const,
    features: incidents
      .filter((i) => i.closedAt === null)
      .map((i, k) => ({
        type: 'Feature' as const,
        id: k,
        properties: { level: i.level, title: i.title, id: i.id },
        geometry: { type: 'Polygon' as const, coordinates: [circleRing(i.lon, i.lat, i.radiusM, 64)] },
      })),
  };
}

/** Incident centres (for their labels). */
export function incidentCentres(incidents: readonly Incident[]) {
  return {
    type: 'FeatureCollection' as const,
    features: incidents
      .filter((i) => i.closedAt === null)
      .map((i, k) => ({
        type: 'Feature' as const,
        id: k,
        properties: { level: i.level, title: i.title, id: i.id },
        geometry: { type: 'Point' as const, coordinates: [i.lon, i.lat] },
      })),
  };
}
