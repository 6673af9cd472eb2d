import { EARTH_RADIUS_M, haversineMetres } from '@wall/protocol/geo';
import type { CameraFacts, IncidentFacts, Subject } from './types.ts';

const RAD = Math.PI / 180;

/** R-ACC-2 tiers: city → city-wide; district → its registered district; unit → its own org's cameras. */
export function inScope(subject: Subject, camera: CameraFacts, own: boolean): boolean {
  switch (subject.tier) {
    case 'city':
      return true;
    case 'district':
      return subject.districtCode !== null && subject.districtCode === camera.districtCode;
    case 'unit':
      return own;
    default:
      return false;
  }
}

export function hasRole(roles: readonly string[], role: string): boolean {
  for (let i = 0; i < roles.length; i++) if (roles[i] === role) return true;
  return false;
}

/** The camera lies within the incident's radius (inclusive); a malformed radius fails closed. */
export function withinRadius(incident: IncidentFacts, camera: CameraFacts): boolean {
  const r = incident.radiusM;
  if (!(r >= 0)) return false;
  // The great-circle distance is never shorter than the north–south arc: a cheap exact pre-filter.
  if (Math.abs(camera.lat - incident.lat) * RAD * EARTH_RADIUS_M > r) return false;
  return haversineMetres(incident.lon, incident.lat, camera.lon, camera.lat) <= r;
}
