import type { CurrentUser } from '../lib/current-user.ts';
import { haversineSql, radiusBox } from './geo.ts';
import type { IncidentFacts, Subject } from './types.ts';

/** What the prefilter needs of a statement builder: a placeholder for each new parameter. */
export interface SqlParams {
  p(value: unknown): string;
}

/** The role that may register, change and remove cameras and source systems. */
export const REGISTRY_ADMIN_ROLE = 'registry_admin';

// Department kinds that may read the catalogue entries of government cameras of other orgs
// (decide.ts step 3: police and emergency by right; admin, regulator, state_security catalogue only).
const GOVERNMENT_CATALOG_READERS = new Set(['police', 'emergency', 'admin', 'regulator', 'state_security']);
// Department kinds that an open major incident lets reach private cameras of other orgs (R-ACC-4).
const EMERGENCY_READERS = new Set(['police', 'emergency']);

/**
 * What `decide(subject, camera, 'catalog:read', context)` allows, as SQL conditions over
 * `cameras c JOIN source_systems s` (ANDed). It mirrors decide.ts step by step so that the database
 * does the narrowing with its indexes; it is a prefilter only — every row it returns still goes
 * through `decide()`, so a mistake here can hide a camera but never show one.
 *
 *  - scope (R-ACC-2): district tier → the subject's district; unit tier → the subject's org;
 *  - reach: own org's cameras; government cameras for the departments that may read them; other
 *    orgs' private cameras for police/emergency only inside an open level Ⅰ/Ⅱ incident's circle
 *    (index box, then the same haversine as the policy);
 *  - grade: clearance ≥ grade;
 *  - state: catalogue reads cover every state, so no condition.
 */
export function catalogConditions(
  sql: SqlParams,
  subject: Subject,
  incidents: readonly IncidentFacts[],
  now: Date,
): string[] {
  const out: string[] = [];
  switch (subject.tier) {
    case 'city':
      break;
    case 'district':
      out.push(subject.districtCode === null ? 'false' : `c.district_code = ${sql.p(subject.districtCode)}`);
      break;
    case 'unit':
      out.push(`s.owner_org_id = ${sql.p(subject.orgId)}`);
      break;
    default:
      out.push('false');
  }

  const reach = [`s.owner_org_id = ${sql.p(subject.orgId)}`];
  if (GOVERNMENT_CATALOG_READERS.has(subject.departmentKind)) reach.push(`s.funding = 'government'`);
  if (EMERGENCY_READERS.has(subject.departmentKind)) {
    const areas = majorIncidents(incidents, now).map((i) => incidentArea(sql, i));
    if (areas.length) reach.push(`s.funding <> 'government' AND (${areas.join(' OR ')})`);
  }
  out.push(reach.map((r) => `(${r})`).join(' OR '));

  out.push(Number.isInteger(subject.clearance) ? `c.grade <= ${sql.p(subject.clearance)}` : 'false');
  return out;
}

/** Incidents whose emergency grant is in force at `now` (decide.ts `emergencyIncident`, without max). */
function majorIncidents(incidents: readonly IncidentFacts[], now: Date): IncidentFacts[] {
  const t = now.getTime();
  return incidents.filter(
    (i) =>
      (i.level === 1 || i.level === 2) &&
      i.openedAt.getTime() <= t &&
      (i.closedAt == null || t < i.closedAt.getTime()) &&
      i.radiusM >= 0,
  );
}

function incidentArea(sql: SqlParams, i: IncidentFacts): string {
  const box = radiusBox(i.lon, i.lat, i.radiusM);
  return `c.lon BETWEEN ${sql.p(box.minLon)} AND ${sql.p(box.maxLon)}
      AND c.lat BETWEEN ${sql.p(box.minLat)} AND ${sql.p(box.maxLat)}
      AND ${haversineSql(sql.p(i.lon), sql.p(i.lat))} <= ${sql.p(i.radiusM)}::float8`;
}

/**
 * Whether a registry administrator may write a record: city tier everything; district tier what
 * lies in their district (a camera's district, a source owner's district); unit tier what their own
 * org owns. Writes are not catalogue reads: a registry administrator files private systems and
 * secret sites whose pictures they may never see.
 */
export function mayAdminister(
  user: CurrentUser,
  target: { districtCode: string | null; ownerOrgId: string },
): boolean {
  if (!user.roles.includes(REGISTRY_ADMIN_ROLE)) return false;
  switch (user.tier) {
    case 'city':
      return true;
    case 'district':
      return user.districtCode !== null && target.districtCode === user.districtCode;
    case 'unit':
      return target.ownerOrgId === user.orgId;
    default:
      return false;
  }
}
