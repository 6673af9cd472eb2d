import type { DistrictCode, Incident, Tier } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, inMultiPolygon, type Ring } from '@wall/protocol/districts';

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export const INCIDENTS_CITY_ROOM = 'incidents:city';
export const incidentsDistrictRoom = (code: string) => `incidents:district:${code}`;

/**
 * Who is told about incidents (`incident:opened`, `incident:closed`): the command users — police
 * and emergency-management departments, the ones that declare incidents and get emergency access
 * (Art. 12) —
 *  - of city tier: every incident;
 *  - of district tier: incidents whose centre lies in their district or whose circle reaches it;
 *  - nobody else (units, regulators, administrative departments, state security; a district user
 *    without a district).
 * Returns the rooms a user's sockets join; `incidentAudience` gives the rooms an incident goes to.
 */
export function incidentRoomsOf(user: {
  tier: Tier;
  districtCode: string | null;
  departmentKind: string;
}): string[] {
  if (user.departmentKind !== 'police' && user.departmentKind !== 'emergency') return [];
  if (user.tier === 'city') return [INCIDENTS_CITY_ROOM];
  if (user.tier === 'district' && user.districtCode) return [incidentsDistrictRoom(user.districtCode)];
  return [];
}

/** True when the circle (centre lon/lat, radius in metres) touches the polygons (inside or across an edge). */
export function circleReaches(polygons: Ring[][], lon: number, lat: number, radiusM: number): boolean {
  if (!(radiusM >= 0) || !Number.isFinite(lon) || !Number.isFinite(lat)) return false;
  if (inMultiPolygon(polygons, lon, lat)) return true;
  // Local equirectangular metres around the centre: exact enough for radii up to 100 km.
  const kx = Math.cos(lat * RAD) * RAD * EARTH_RADIUS_M;
  const ky = RAD * EARTH_RADIUS_M;
  const r2 = radiusM * radiusM;
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
        if (px * px + py * py <= r2) return true;
      }
    }
  }
  return false;
}

/** The districts an incident concerns: the one recorded for it, and every one its circle reaches. */
export function incidentDistricts(
  incident: Pick<Incident, 'lon' | 'lat' | 'radiusM' | 'districtCode'>,
): DistrictCode[] {
  const codes = new Set<string>();
  if (incident.districtCode) codes.add(incident.districtCode);
  for (const f of CHANGZHOU_DISTRICTS.features) {
    if (circleReaches(f.geometry.coordinates, incident.lon, incident.lat, incident.radiusM)) {
      codes.add(String(f.properties.adcode));
    }
  }
  return [...codes].sort() as DistrictCode[];
}

/** The rooms an incident's events go to. */
export function incidentAudience(
  incident: Pick<Incident, 'lon' | 'lat' | 'radiusM' | 'districtCode'>,
): string[] {
  return [INCIDENTS_CITY_ROOM, ...incidentDistricts(incident).map(incidentsDistrictRoom)];
}
