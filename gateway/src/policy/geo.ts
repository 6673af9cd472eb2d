import { EARTH_RADIUS_M } from './decide.ts';

const DEG = 180 / Math.PI;

export interface LonLatBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/**
 * A lon/lat box holding every point within `radiusM` of (lon, lat) on the policy's sphere, a little
 * larger than needed: an index prefilter, never the answer (the exact distance decides). Near a
 * pole or across the antimeridian it widens to every longitude.
 */
export function radiusBox(lon: number, lat: number, radiusM: number): LonLatBox {
  const angle = Math.max(0, radiusM) / EARTH_RADIUS_M;
  const dLat = angle * DEG * (1 + 1e-9) + 1e-9;
  const minLat = Math.max(-90, lat - dLat);
  const maxLat = Math.min(90, lat + dLat);
  const sinAngle = Math.sin(Math.min(angle, Math.PI / 2));
  const cosLat = Math.cos(lat / DEG);
  if (minLat <= -90 || maxLat >= 90 || sinAngle >= cosLat)
    return { minLon: -180, minLat, maxLon: 180, maxLat };
  const dLon = Math.asin(sinAngle / cosLat) * DEG * (1 + 1e-9) + 1e-9;
  if (lon - dLon < -180 || lon + dLon > 180) return { minLon: -180, minLat, maxLon: 180, maxLat };
  return { minLon: lon - dLon, minLat, maxLon: lon + dLon, maxLat };
}

/**
 * The policy's great-circle distance (decide.ts `haversineMetres`: same sphere, same formula) as a
 * SQL expression from camera `c` to the point in parameters `lon`/`lat` (placeholders).
 */
export function haversineSql(lon: string, lat: string): string {
  return `(2 * ${EARTH_RADIUS_M} * asin(least(1, sqrt(
            power(sin(radians(c.lat - ${lat}::float8) / 2), 2)
            + cos(radians(${lat}::float8)) * cos(radians(c.lat)) * power(sin(radians(c.lon - ${lon}::float8) / 2), 2)))))`;
}
