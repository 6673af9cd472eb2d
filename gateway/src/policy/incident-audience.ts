import type { DistrictCode, Incident, Tier } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, circleReaches } from '@wall/protocol/districts';

export { circleReaches };

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
