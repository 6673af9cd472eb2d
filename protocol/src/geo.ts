// Geometry on the policy's sphere, in one place: distances, circles against polygons. Pure.

/** Mean Earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export type Ring = [number, number][];

/** Great-circle distance in metres between two WGS-84 points (haversine, spherical Earth). */
export function haversineMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const sinDLat = Math.sin(((lat2 - lat1) * RAD) / 2);
  const sinDLon = Math.sin(((lon2 - lon1) * RAD) / 2);
  const h = sinDLat * sinDLat + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * sinDLon * sinDLon;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

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

/**
 * The shortest distance in metres from (lon, lat) to any edge of the polygons (outer rings and
 * holes), in local equirectangular metres around the point: exact enough for distances up to
 * 100 km at this latitude.
 */
export function distanceToEdges(polygons: Ring[][], lon: number, lat: number): number {
  const kx = Math.cos(lat * RAD) * RAD * EARTH_RADIUS_M;
  const ky = RAD * EARTH_RADIUS_M;
  let best = Number.POSITIVE_INFINITY;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i++) {
        const a = ring[i - 1];
        const b = ring[i];
        if (!a || !b) continue;
        const ax = (a[0] - lon) * kx;
        const ay = (a[1] - lat) * ky;
        const dx = (b[0] - lon) * kx - ax;
        const dy = (b[1] - lat) * ky - ay;
        const len2 = dx * dx + dy * dy;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
        const px = ax + t * dx;
        const py = ay + t * dy;
        const d2 = px * px + py * py;
        if (d2 < best) best = d2;
      }
    }
  }
  return Math.sqrt(best);
}

/** True when the circle (centre lon/lat, radius in metres) touches the polygons (inside or across an edge). */
export function circleReaches(polygons: Ring[][], lon: number, lat: number, radiusM: number): boolean {
  if (!(radiusM >= 0) || !Number.isFinite(lon) || !Number.isFinite(lat)) return false;
  if (inMultiPolygon(polygons, lon, lat)) return true;
  return distanceToEdges(polygons, lon, lat) <= radiusM;
}

/** True when the whole circle lies inside the polygons: its centre inside, no edge nearer than the radius. */
export function circleWithin(polygons: Ring[][], lon: number, lat: number, radiusM: number): boolean {
  if (!(radiusM >= 0) || !Number.isFinite(lon) || !Number.isFinite(lat)) return false;
  if (!inMultiPolygon(polygons, lon, lat)) return false;
  return distanceToEdges(polygons, lon, lat) >= radiusM;
}

/**
 * `n` points on the circle (centre lon/lat, radius in metres), on the sphere: for tests of a
 * circle against a union of polygons whose shared edges are not known to match exactly.
 */
export function circlePoints(lon: number, lat: number, radiusM: number, n: number): [number, number][] {
  const delta = radiusM / EARTH_RADIUS_M;
  const phi1 = lat * RAD;
  const lambda1 = lon * RAD;
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const theta = (2 * Math.PI * i) / n;
    const phi2 = Math.asin(
      Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta),
    );
    const lambda2 =
      lambda1 +
      Math.atan2(
        Math.sin(theta) * Math.sin(delta) * Math.cos(phi1),
        Math.cos(delta) - Math.sin(phi1) * Math.sin(phi2),
      );
    out.push([lambda2 / RAD, phi2 / RAD]);
  }
  return out;
}
