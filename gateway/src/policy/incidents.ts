import type { DistrictCode, ErrorCode, Tier } from '@wall/protocol';
import { circleWithinCity, circleWithinDistrict } from '@wall/protocol/districts';
import { incidentAudience, incidentRoomsOf } from './incident-audience.ts';

// Who declares, confirms, closes, lists and reviews incidents (R-ACC-4, Art. 12). Pure.

/** What these rules read of a user. */
export interface IncidentActor {
  id: string;
  tier: Tier;
  districtCode: string | null;
  departmentKind: string;
  roles: readonly string[];
}

/** What these rules read of an incident. */
export interface IncidentArea {
  level: number;
  lon: number;
  lat: number;
  radiusM: number;
  districtCode: string | null;
}

/** Largest radius (metres) an incident of each level may declare: Ⅰ, Ⅱ, Ⅲ, Ⅳ. */
export type RadiusLimits = Readonly<Record<1 | 2 | 3 | 4, number>>;

export const DEFAULT_RADIUS_LIMITS: RadiusLimits = Object.freeze({
  1: 30_000,
  2: 15_000,
  3: 5_000,
  4: 2_000,
});

/** Parses `1:30000,2:15000,3:5000,4:2000` (every level named once, 1 … 100 000 m); throws on anything else. */
export function parseRadiusLimits(text: string): RadiusLimits {
  const out: Partial<Record<1 | 2 | 3 | 4, number>> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([1-4])\s*:\s*(\d{1,6})\s*$/.exec(part);
    if (!m) throw new Error(`expected level:metres, got "${part.trim()}"`);
    const level = Number(m[1]) as 1 | 2 | 3 | 4;
    const metres = Number(m[2]);
    if (out[level] !== undefined) throw new Error(`level ${level} is named twice`);
    if (metres < 1 || metres > 100_000) throw new Error(`level ${level}: 1 to 100000 metres`);
    out[level] = metres;
  }
  for (const level of [1, 2, 3, 4] as const) {
    if (out[level] === undefined) throw new Error(`level ${level} has no limit`);
  }
  return Object.freeze(out as Record<1 | 2 | 3 | 4, number>);
}

/** Levels Ⅰ and Ⅱ are major public-security emergencies (Art. 12): they open an emergency grant. */
export function isMajor(level: number): boolean {
  return level === 1 || level === 2;
}

/**
 * Who commands incidents (declares, confirms, closes): police and emergency-management users with
 * the `operator` role; city tier anywhere, district tier inside their district only.
 */
export function mayCommand(u: IncidentActor, districtCode: string | null | undefined): boolean {
  if (u.departmentKind !== 'police' && u.departmentKind !== 'emergency') return false;
  if (!u.roles.includes('operator')) return false;
  if (u.tier === 'city') return true;
  return u.tier === 'district' && districtCode != null && u.districtCode === districtCode;
}

export interface Refusal {
  code: ErrorCode;
  message: string;
}

/**
 * Why a declaration of this area by this user is refused, or null. The whole circle must lie in
 * the declarer's scope — a district user's district, a city user's city — and its radius within
 * the level's limit, so that no declaration opens cameras beyond the declarer's reach.
 */
export function declarationRefusal(
  u: IncidentActor,
  area: IncidentArea,
  limits: RadiusLimits,
): Refusal | null {
  if (!mayCommand(u, area.districtCode)) {
    return { code: 'forbidden:role', message: 'only command-centre operators in scope declare incidents' };
  }
  const max = limits[area.level as 1 | 2 | 3 | 4];
  if (max === undefined || area.radiusM > max) {
    return {
      code: 'invalid:incident_radius',
      message: `a level ${area.level} incident covers at most ${max ?? 0} m around its centre`,
    };
  }
  const inside =
    u.tier === 'city'
      ? circleWithinCity(area.lon, area.lat, area.radiusM)
      : u.districtCode !== null &&
        circleWithinDistrict(u.districtCode as DistrictCode, area.lon, area.lat, area.radiusM);
  if (!inside) {
    return {
      code: 'forbidden:area',
      message:
        u.tier === 'city'
          ? 'the incident area reaches outside the city'
          : 'the incident area reaches outside your district',
    };
  }
  return null;
}

/** The confirmation a major incident's grant waits for, as the rules see it. */
export interface PendingConfirmation {
  openedBy: string;
  /** Deadline of the confirmation; null when none is needed (level Ⅲ/Ⅳ). */
  confirmBy: Date | null;
  confirmedAt: Date | null;
  closedAt: Date | null;
}

/**
 * Why this user may not confirm the incident now, or null. A second command user in scope — not
 * the declarer — or a superior (city tier) confirms a major incident before its deadline.
 */
export function confirmationRefusal(
  u: IncidentActor,
  area: IncidentArea,
  c: PendingConfirmation,
  now: Date,
): Refusal | null {
  if (!mayCommand(u, area.districtCode)) {
    return { code: 'forbidden:role', message: 'only command-centre operators in scope confirm incidents' };
  }
  if (c.closedAt !== null) return { code: 'invalid:request', message: 'the incident is already closed' };
  if (c.confirmBy === null) {
    return { code: 'invalid:request', message: 'only level Ⅰ and Ⅱ incidents need a confirmation' };
  }
  if (c.confirmedAt !== null)
    return { code: 'conflict:confirmed', message: 'the incident is already confirmed' };
  if (u.id === c.openedBy) {
    return { code: 'forbidden:same_person', message: 'a second person confirms: not the one who declared' };
  }
  if (!(now.getTime() < c.confirmBy.getTime())) {
    return {
      code: 'conflict:lapsed',
      message: 'the confirmation window has passed and the emergency grant lapsed: declare again',
    };
  }
  return null;
}

/**
 * Who reads an incident (the list, its review): auditors, and the command users (police, emergency
 * management) it concerns — city tier every incident, district tier those reaching their district
 * (the audience of `incident:opened`).
 */
export function mayReadIncident(u: IncidentActor, area: Omit<IncidentArea, 'level'>): boolean {
  if (u.roles.includes('auditor')) return true;
  const mine = new Set(incidentRoomsOf(u));
  if (mine.size === 0) return false;
  return incidentAudience(area).some((room) => mine.has(room));
}
