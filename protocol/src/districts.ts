import districts from '../data/changzhou-320400-districts.json' with { type: 'json' };
import type { DistrictCode } from './domain.ts';
import { circlePoints, circleWithin, inMultiPolygon, type Ring } from './geo.ts';

export { circleReaches, circleWithin, inMultiPolygon, type Ring } from './geo.ts';
export interface DistrictFeature {
  type: 'Feature';
  properties: { adcode: number; name: string; center: [number, number]; centroid: [number, number] };
  geometry: { type: 'MultiPolygon'; coordinates: Ring[][] };
}

/** Changzhou's six districts (DataV.GeoAtlas GeoJSON, WGS-84-ish GCJ coordinates as published). */
export const CHANGZHOU_DISTRICTS = districts as unknown as {
  type: 'FeatureCollection';
  features: DistrictFeature[];
};

export function districtAt(lon: number, lat: number): DistrictCode | undefined {
  const f = CHANGZHOU_DISTRICTS.features.find((d) => inMultiPolygon(d.geometry.coordinates, lon, lat));
  return f ? (String(f.properties.adcode) as DistrictCode) : undefined;
}

export function districtBounds(code: DistrictCode): [number, number, number, number] {
  const f = CHANGZHOU_DISTRICTS.features.find((d) => String(d.properties.adcode) === code);
  if (!f) throw new Error(`unknown district ${code}`);
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of f.geometry.coordinates)
    for (const ring of poly)
      for (const [x, y] of ring) {
        minX = Math.min(minX, x);
        minY = Math.min(minY, y);
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, y);
      }
  return [minX, minY, maxX, maxY];
}

function featureOf(code: DistrictCode): DistrictFeature | undefined {
  return CHANGZHOU_DISTRICTS.features.find((d) => String(d.properties.adcode) === code);
}

/** True when the whole circle lies inside the district (exact: centre inside, no edge nearer than r). */
export function circleWithinDistrict(code: DistrictCode, lon: number, lat: number, radiusM: number): boolean {
  const f = featureOf(code);
  return f !== undefined && circleWithin(f.geometry.coordinates, lon, lat, radiusM);
}

/**
 * True when the whole circle lies inside the city (the union of its districts). The districts'
 * shared edges are not known to match exactly, so the circle is tested at its centre and at 256
 * points of its rim (spacing ≤ 500 m for a 20 km radius), each in some district.
 */
export function circleWithinCity(lon: number, lat: number, radiusM: number): boolean {
  if (!(radiusM >= 0) || !Number.isFinite(lon) || !Number.isFinite(lat)) return false;
  const points: [number, number][] = [[lon, lat], ...circlePoints(lon, lat, radiusM, 256)];
  return points.every(([x, y]) =>
    CHANGZHOU_DISTRICTS.features.some((d) => inMultiPolygon(d.geometry.coordinates as Ring[][], x, y)),
  );
}
