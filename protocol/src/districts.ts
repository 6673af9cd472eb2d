import districts from '../data/changzhou-320400-districts.json' with { type: 'json' };
import type { DistrictCode } from './domain.ts';

export type Ring = [number, number][];
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

function inRing(ring: Ring, lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (!a || !b) continue;
    if (a[1] > lat !== b[1] > lat && lon < ((b[0] - a[0]) * (lat - a[1])) / (b[1] - a[1]) + a[0]) {
      inside = !inside;
    }
  }
  return inside;
}

/** Even-odd point-in-polygon over a MultiPolygon (outer rings with holes). */
export function inMultiPolygon(polygons: Ring[][], lon: number, lat: number): boolean {
  return polygons.some((rings) => {
    const [outer, ...holes] = rings;
    return outer !== undefined && inRing(outer, lon, lat) && !holes.some((h) => inRing(h, lon, lat));
  });
}

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
