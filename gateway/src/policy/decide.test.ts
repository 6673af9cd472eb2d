import {
  cameraStateSchema,
  type DepartmentKind,
  DISTRICTS,
  type DistrictCode,
  departmentKindSchema,
  fundingSchema,
  type Grade,
  tierSchema,
} from '@wall/protocol';
import { districtAt } from '@wall/protocol/districts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  type Action,
  type CameraFacts,
  type Decision,
  decide,
  EARTH_RADIUS_M,
  haversineMetres,
  type IncidentFacts,
  type PolicyContext,
  type RetrievalBasisFact,
  type RetrievalGrant,
  type RetrievalIncident,
  type Subject,
} from './index.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures: the demo data set's people, reduced to the facts the policy reads.

const NOW = new Date('2025-06-01T08:00:00Z');
const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000);

const CITY_POLICE: Subject = {
  userId: 'u-police-dispatcher',
  orgId: 'org-city-police',
  tier: 'city',
  districtCode: null,
  departmentKind: 'police',
  roles: ['operator'],
  clearance: 3,
  countyPoliceCertificate: true,
};
const CITY_POLICE_ADMIN: Subject = {
  ...CITY_POLICE,
  userId: 'u-police-admin',
  roles: ['admin', 'registrar'],
  clearance: 4,
};
const CITY_EOC: Subject = {
  userId: 'u-eoc-operator',
  orgId: 'org-city-eoc',
  tier: 'city',
  districtCode: null,
  departmentKind: 'emergency',
  roles: ['operator'],
  clearance: 3,
  countyPoliceCertificate: false,
};
const TIANNING_EOC: Subject = {
  userId: 'u-tianning-staff',
  orgId: 'org-eoc-320402',
  tier: 'district',
  districtCode: '320402',
  departmentKind: 'emergency',
  roles: ['operator'],
  clearance: 2,
  countyPoliceCertificate: false,
};
const WUJIN_POLICE: Subject = {
  userId: 'u-wujin-police',
  orgId: 'org-police-320412',
  tier: 'district',
  districtCode: '320412',
  departmentKind: 'police',
  roles: ['operator'],
  clearance: 3,
  countyPoliceCertificate: true,
};
const REGULATOR: Subject = {
  userId: 'u-transport-regulator',
  orgId: 'org-city-transport',
  tier: 'city',
  districtCode: null,
  departmentKind: 'regulator',
  roles: [],
  clearance: 2,
  countyPoliceCertificate: false,
};
const URBAN_ADMIN: Subject = {
  userId: 'u-urban-admin',
  orgId: 'org-city-urban',
  tier: 'city',
  districtCode: null,
  departmentKind: 'admin',
  roles: [],
  clearance: 1,
  countyPoliceCertificate: false,
};
const STATE_SECURITY: Subject = {
  userId: 'u-state-security',
  orgId: 'org-city-state-security',
  tier: 'city',
  districtCode: null,
  departmentKind: 'state_security',
  roles: [],
  clearance: 4,
  countyPoliceCertificate: false,
};
const BANK_OWNER: Subject = {
  userId: 'u-bank-owner',
  orgId: 'org-unit-bank',
  tier: 'unit',
  districtCode: '320402',
  departmentKind: 'owner',
  roles: ['owner'],
  clearance: 3,
  countyPoliceCertificate: false,
};
const HOTEL_OWNER: Subject = {
  userId: 'u-hotel-owner',
  orgId: 'org-unit-hotel',
  tier: 'unit',
  districtCode: '320404',
  departmentKind: 'owner',
  roles: ['owner'],
  clearance: 2,
  countyPoliceCertificate: false,
};

/** Incident centre in 天宁区; cameras are placed relative to it, in metres. */
const CENTRE = { lon: 119.9655, lat: 31.7785 } as const;
const DEG_PER_M = 180 / Math.PI / EARTH_RADIUS_M;
const north = (m: number) => ({ lon: CENTRE.lon, lat: CENTRE.lat + m * DEG_PER_M });
const east = (m: number) => ({
  lon: CENTRE.lon + (m * DEG_PER_M) / Math.cos(CENTRE.lat * (Math.PI / 180)),
  lat: CENTRE.lat,
});

const GOV_TIANNING: CameraFacts = {
  id: 'cam-gov-tianning-square',
  ownerOrgId: 'org-city-police',
  funding: 'government',
  districtCode: '320402',
  grade: 1,
  state: 'in_service',
  ...north(100),
};
const GOV_LIYANG: CameraFacts = {
  id: 'cam-gov-liyang-road',
  ownerOrgId: 'org-city-police',
  funding: 'government',
  districtCode: '320481',
  grade: 1,
  state: 'in_service',
  lon: 119.4878,
  lat: 31.4271,
};
const GOV_WUJIN: CameraFacts = {
  ...GOV_LIYANG,
  id: 'cam-gov-wujin-bridge',
  districtCode: '320412',
  lon: 119.9588,
  lat: 31.7186,
};
const BANK_CAM: CameraFacts = {
  id: 'cam-bank-hall',
  ownerOrgId: 'org-unit-bank',
  funding: 'private',
  districtCode: '320402',
  grade: 2,
  state: 'in_service',
  ...north(300),
};
const HOTEL_CAM: CameraFacts = {
  id: 'cam-hotel-lobby',
  ownerOrgId: 'org-unit-hotel',
  funding: 'private',
  districtCode: '320404',
  grade: 2,
  state: 'in_service',
  lon: 119.9569,
  lat: 31.7802,
};
/** Two points ~40 m apart on either side of the 天宁区 / 钟楼区 boundary. */
const TIANNING_SIDE = { lon: 119.9573, lat: 31.7802 } as const;
const ZHONGLOU_SIDE = { lon: 119.9569, lat: 31.7802 } as const;

const cam = (base: CameraFacts, over: Partial<CameraFacts>): CameraFacts => ({ ...base, ...over });
const sub = (base: Subject, over: Partial<Subject>): Subject => ({ ...base, ...over });

const incident = (over: Partial<IncidentFacts> = {}): IncidentFacts => ({
  id: 'inc-20250601-001',
  level: 2,
  ...CENTRE,
  radiusM: 1000,
  districtCode: '320402',
  openedAt: minutes(-60),
  closedAt: null,
  ...over,
});
const ctx = (...incidents: IncidentFacts[]): PolicyContext => ({ now: NOW, openIncidents: incidents });
const CALM = ctx();
const MAJOR = ctx(incident());

/** Playback of footage from `fromMin` minutes (relative to NOW), with the 60-minute look-back. */
const playbackCtx = (fromMin: number, ...incidents: IncidentFacts[]): PolicyContext => ({
  now: NOW,
  openIncidents: incidents,
  playback: { from: minutes(fromMin), lookbackMs: 60 * 60_000 },
});

/** An approved retrieval of 市城管局 for GOV_TIANNING and BANK_CAM, 10:00–02:00 before NOW, expiring in an hour. */
const URBAN_APPROVAL: RetrievalGrant = {
  id: 'ret-urban-1',
  orgId: URBAN_ADMIN.orgId,
  cameraIds: [GOV_TIANNING.id, BANK_CAM.id],
  ranges: [{ from: minutes(-600), to: minutes(-120) }],
  expiresAt: minutes(60),
};
/** `playback:view` / `export` of footage [fromMin, toMin] with these approvals in the context. */
const approvedCtx = (fromMin: number, toMin: number, ...approvals: RetrievalGrant[]): PolicyContext => ({
  now: NOW,
  openIncidents: [],
  playback: { from: minutes(fromMin), to: minutes(toMin), lookbackMs: 60 * 60_000, approvals },
});
/** A `retrieval:request` on a basis. */
const requestCtx = (basis: RetrievalBasisFact, inc?: RetrievalIncident | null): PolicyContext => ({
  now: NOW,
  openIncidents: [],
  retrieval: { basis, ...(inc === undefined ? {} : { incident: inc }) },
});
const kindIncident = (over: Partial<RetrievalIncident> = {}): RetrievalIncident => ({
  ...incident(),
  kind: 'accident',
  ...over,
});
const CHIEF: Subject = {
  ...CITY_POLICE,
  userId: 'u-police-chief',
  roles: ['approver'],
  clearance: 4,
};
const WUJIN_CHIEF: Subject = { ...WUJIN_POLICE, userId: 'u-wujin-chief', roles: ['approver'] };
/** A `retrieval:approve` of a request by `requester`. */
const approveCtx = (requester: Subject): PolicyContext => ({
  now: NOW,
  openIncidents: [],
  retrieval: { basis: 'approval', requester },
});
const retrievalAllow = (requestId: string): Decision => ({
  allow: true,
  reason: 'allowed:retrieval',
  retrieval: { requestId },
});

const ALLOW: Decision = { allow: true, reason: 'allowed' };
const emergencyAllow = (incidentId: string): Decision => ({
  allow: true,
  reason: 'allowed:emergency',
  emergency: { incidentId },
});
const DENY = {
  grade: { allow: false, reason: 'forbidden:grade' },
  tier: { allow: false, reason: 'forbidden:tier' },
  private: { allow: false, reason: 'forbidden:private' },
  role: { allow: false, reason: 'forbidden:role' },
  state: { allow: false, reason: 'forbidden:state' },
  retrieval: { allow: false, reason: 'forbidden:retrieval' },
  basis: { allow: false, reason: 'forbidden:basis' },
  certificate: { allow: false, reason: 'forbidden:certificate' },
  samePerson: { allow: false, reason: 'forbidden:same_person' },
} as const satisfies Record<string, Decision>;

// ---------------------------------------------------------------------------------------------
// The table, article by article. Art. 9 (no cameras in dormitories, guest rooms, bathhouses,
// changing rooms, toilets) is enforced at registration (R-REG-2) and by the database: such a
// camera never reaches the policy, which has no location-kind input.

interface Row {
  rule: string;
  case: string;
  subject: Subject;
  camera: CameraFacts;
  action: Action;
  context: PolicyContext;
  expected: Decision;
}

const rows: Row[] = [
  // R-ACC-1: deny by default; actions without a rule are refused before any camera fact is read.
  {
    rule: 'R-ACC-1',
    case: 'unknown action is denied',
    subject: CITY_POLICE_ADMIN,
    camera: GOV_TIANNING,
    action: 'camera:delete' as Action,
    context: CALM,
    expected: DENY.role,
  },

  // R-ACC-2 tiers.
  {
    rule: 'R-ACC-2 tier',
    case: 'city police view a camera anywhere in the city (溧阳市)',
    subject: CITY_POLICE,
    camera: GOV_LIYANG,
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'district police view a camera in their own district',
    subject: WUJIN_POLICE,
    camera: GOV_WUJIN,
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'district police cannot view another district',
    subject: WUJIN_POLICE,
    camera: GOV_TIANNING,
    action: 'live:view',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'district police cannot even read the catalogue entry of another district',
    subject: WUJIN_POLICE,
    camera: GOV_TIANNING,
    action: 'catalog:read',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 tier, boundary',
    case: 'camera ~20 m inside 天宁区, registered 320402: Tianning staff may view',
    subject: TIANNING_EOC,
    camera: cam(GOV_TIANNING, { ...TIANNING_SIDE, districtCode: '320402' }),
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-2 tier, boundary',
    case: 'camera ~20 m across in 钟楼区, registered 320404: Tianning staff may not',
    subject: TIANNING_EOC,
    camera: cam(GOV_TIANNING, { ...ZHONGLOU_SIDE, districtCode: '320404' }),
    action: 'live:view',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'district-tier subject without a district code sees nothing (fail closed)',
    subject: sub(TIANNING_EOC, { districtCode: null }),
    camera: GOV_TIANNING,
    action: 'catalog:read',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'unit owner views its own private camera',
    subject: BANK_OWNER,
    camera: BANK_CAM,
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-2 tier',
    case: "unit owner cannot read another unit's camera",
    subject: BANK_OWNER,
    camera: cam(HOTEL_CAM, { districtCode: '320402' }),
    action: 'catalog:read',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'unit owner cannot view a government camera in its own district',
    subject: BANK_OWNER,
    camera: GOV_TIANNING,
    action: 'live:view',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 tier',
    case: 'unit-tier police post: only its own org, even on government cameras',
    subject: sub(WUJIN_POLICE, { orgId: 'org-police-post', tier: 'unit' }),
    camera: GOV_WUJIN,
    action: 'live:view',
    context: CALM,
    expected: DENY.tier,
  },

  // R-ACC-2 clearance.
  {
    rule: 'R-ACC-2 clearance',
    case: 'clearance equal to grade (3 = 3) is enough',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { grade: 3 }),
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-2 clearance',
    case: 'clearance one below grade (3 < 4) is refused',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { grade: 4 }),
    action: 'live:view',
    context: CALM,
    expected: DENY.grade,
  },
  {
    rule: 'R-ACC-2 clearance',
    case: 'clearance 4 on a grade-4 secret site',
    subject: CITY_POLICE_ADMIN,
    camera: cam(GOV_TIANNING, { grade: 4 }),
    action: 'catalog:read',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-2 clearance',
    case: 'catalogue reads need clearance too (regulator 2 < grade 3)',
    subject: REGULATOR,
    camera: cam(GOV_TIANNING, { grade: 3 }),
    action: 'catalog:read',
    context: CALM,
    expected: DENY.grade,
  },
  {
    rule: 'R-ACC-2 order',
    case: 'tier wins over grade: out-of-district grade-4 camera says tier',
    subject: WUJIN_POLICE,
    camera: cam(GOV_TIANNING, { grade: 4 }),
    action: 'live:view',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-2 clearance',
    case: 'owners are bound by clearance on their own cameras (hotel 2 < grade 3)',
    subject: HOTEL_OWNER,
    camera: cam(HOTEL_CAM, { grade: 3 }),
    action: 'live:view',
    context: CALM,
    expected: DENY.grade,
  },

  // Art. 12 ¶2 / R-ACC-3: government-invested systems, by tier and grade.
  {
    rule: 'Art. 12 ¶2',
    case: 'city emergency-command operator views a government camera',
    subject: CITY_EOC,
    camera: GOV_LIYANG,
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 12 ¶2',
    case: 'district emergency staff view a government camera in their district',
    subject: TIANNING_EOC,
    camera: cam(GOV_TIANNING, { grade: 2 }),
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 12 ¶2 / Art. 3 ¶3',
    case: 'regulator reads the catalogue in scope',
    subject: REGULATOR,
    camera: GOV_TIANNING,
    action: 'catalog:read',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 12 ¶2 / Art. 3 ¶3',
    case: 'regulator without a granting role: no live view',
    subject: REGULATOR,
    camera: GOV_TIANNING,
    action: 'live:view',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'Art. 12 ¶2 / Art. 3 ¶2',
    case: 'other administrative department reads the catalogue',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'catalog:read',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 12 ¶2 / Art. 3 ¶2',
    case: 'administrative department without a role: no live view',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'live:view',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'Art. 12 ¶2 (rules set separately)',
    case: 'administrative department granted `viewer` views live',
    subject: sub(URBAN_ADMIN, { roles: ['viewer'] }),
    camera: GOV_TIANNING,
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 12 ¶2 (rules set separately)',
    case: '`viewer` does not grant PTZ',
    subject: sub(URBAN_ADMIN, { roles: ['viewer'] }),
    camera: GOV_TIANNING,
    action: 'ptz:control',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'Art. 12 ¶2 order',
    case: 'grade wins over role: admin clearance 1 on grade 2 says grade',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { grade: 2 }),
    action: 'live:view',
    context: CALM,
    expected: DENY.grade,
  },
  {
    rule: 'Art. 3 ¶2 / Art. 12',
    case: 'state security reads the catalogue (named with the departments of Art. 3 ¶2)',
    subject: STATE_SECURITY,
    camera: GOV_LIYANG,
    action: 'catalog:read',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 3 ¶2 / Art. 12',
    case: 'state security: no live view without a role (not named in Art. 12)',
    subject: STATE_SECURITY,
    camera: GOV_LIYANG,
    action: 'live:view',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'R-ACC-3',
    case: 'owner-kind org at district tier has no right to government cameras',
    subject: sub(BANK_OWNER, { orgId: 'org-owner-association', tier: 'district' }),
    camera: GOV_TIANNING,
    action: 'catalog:read',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'Art. 18(1)',
    case: 'administrative department views its own government camera without a role',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { ownerOrgId: 'org-city-urban' }),
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },

  // R-ACC-3: private systems belong to their owner.
  {
    rule: 'R-ACC-3',
    case: "city police cannot view a bank's private camera outside an emergency",
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: CALM,
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-3',
    case: 'nor read its catalogue entry',
    subject: CITY_POLICE_ADMIN,
    camera: BANK_CAM,
    action: 'catalog:read',
    context: CALM,
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-3',
    case: 'regulator cannot read a private camera',
    subject: REGULATOR,
    camera: HOTEL_CAM,
    action: 'catalog:read',
    context: CALM,
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-3 order',
    case: 'private wins over grade: the grade of a foreign private camera is not disclosed',
    subject: sub(CITY_POLICE, { clearance: 1 }),
    camera: cam(BANK_CAM, { grade: 4 }),
    action: 'live:view',
    context: CALM,
    expected: DENY.private,
  },

  // Art. 12 ¶1 / R-ACC-4: major public-security emergencies.
  {
    rule: 'Art. 12 ¶1 / R-ACC-4',
    case: 'level Ⅱ open: city police view a private camera 300 m away, marked emergency',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: MAJOR,
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'Art. 12 ¶1 / R-ACC-4',
    case: 'level Ⅰ open: district emergency staff in their district, marked emergency',
    subject: TIANNING_EOC,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ id: 'inc-I', level: 1 })),
    expected: emergencyAllow('inc-I'),
  },
  {
    rule: 'R-ACC-4 radius',
    case: 'camera 499.9 m north of the centre, radius 500 m: inside',
    subject: CITY_EOC,
    camera: cam(BANK_CAM, north(499.9)),
    action: 'live:view',
    context: ctx(incident({ radiusM: 500 })),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-ACC-4 radius',
    case: 'camera 500.1 m north of the centre, radius 500 m: outside',
    subject: CITY_EOC,
    camera: cam(BANK_CAM, north(500.1)),
    action: 'live:view',
    context: ctx(incident({ radiusM: 500 })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 radius',
    case: 'camera 499 m east, radius 500 m: inside',
    subject: CITY_POLICE,
    camera: cam(BANK_CAM, east(499)),
    action: 'live:view',
    context: ctx(incident({ radiusM: 500 })),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-ACC-4 radius',
    case: 'camera 501 m east, radius 500 m: outside',
    subject: CITY_POLICE,
    camera: cam(BANK_CAM, east(501)),
    action: 'live:view',
    context: ctx(incident({ radiusM: 500 })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 level',
    case: 'level Ⅲ (larger) is not major: no emergency access',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ level: 3 })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 level',
    case: 'level Ⅳ (general) is not major: no emergency access',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ level: 4 })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 time',
    case: 'incident closed a minute ago: grant over',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ closedAt: minutes(-1) })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 time',
    case: 'incident closing exactly now: grant over (closedAt exclusive)',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ closedAt: NOW })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 time',
    case: 'incident opening in a minute: grant not started',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ openedAt: minutes(1) })),
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 time',
    case: 'incident opened exactly now, closing later: grant running',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ openedAt: NOW, closedAt: minutes(30) })),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-ACC-4 maximum',
    case: 'still open, but past the set maximum of 12 h: grant over',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: { ...ctx(incident({ openedAt: minutes(-13 * 60) })), emergencyMaxMs: 12 * 3_600_000 },
    expected: DENY.private,
  },
  {
    rule: 'R-ACC-4 scope',
    case: 'emergency does not widen tier: Wujin police, radius reaching into 天宁区',
    subject: WUJIN_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ radiusM: 20_000 })),
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-4 scope',
    case: 'the same incident for city police: allowed, marked',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ radiusM: 20_000 })),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-ACC-4 / R-ACC-2',
    case: 'emergency does not lift clearance (3 < grade 4)',
    subject: CITY_POLICE,
    camera: cam(BANK_CAM, { grade: 4 }),
    action: 'live:view',
    context: MAJOR,
    expected: DENY.grade,
  },
  {
    rule: 'R-ACC-4 / Art. 14',
    case: 'emergency does not lift state: a registered private camera is not viewable',
    subject: CITY_POLICE,
    camera: cam(BANK_CAM, { state: 'registered' }),
    action: 'live:view',
    context: MAJOR,
    expected: DENY.state,
  },
  {
    rule: 'R-ACC-4',
    case: 'the catalogue entry of a camera one may view is readable, marked emergency',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'catalog:read',
    context: MAJOR,
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-ACC-4 / Art. 19(1)',
    case: 'never PTZ on a private camera via emergency, even for an operator',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'ptz:control',
    context: MAJOR,
    expected: DENY.private,
  },
  {
    rule: 'Art. 12 ¶1',
    case: 'regulator gets no emergency access',
    subject: sub(REGULATOR, { roles: ['viewer'] }),
    camera: BANK_CAM,
    action: 'live:view',
    context: MAJOR,
    expected: DENY.private,
  },
  {
    rule: 'Art. 12 ¶1',
    case: 'state security gets no emergency access (only 应急管理机构、公安机关 are named)',
    subject: STATE_SECURITY,
    camera: BANK_CAM,
    action: 'live:view',
    context: MAJOR,
    expected: DENY.private,
  },
  {
    rule: 'Art. 12 ¶1',
    case: 'unit owner gets no emergency access to another unit',
    subject: BANK_OWNER,
    camera: cam(HOTEL_CAM, { ...north(50), districtCode: '320402' }),
    action: 'live:view',
    context: MAJOR,
    expected: DENY.tier,
  },
  {
    rule: 'R-ACC-4 marking',
    case: 'a government camera inside the radius is an ordinary allow, not marked',
    subject: CITY_POLICE,
    camera: GOV_TIANNING,
    action: 'live:view',
    context: MAJOR,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-4 marking',
    case: "the owner's own view inside the radius is an ordinary allow",
    subject: BANK_OWNER,
    camera: BANK_CAM,
    action: 'live:view',
    context: MAJOR,
    expected: ALLOW,
  },
  {
    rule: 'R-ACC-4 marking',
    case: 'two major incidents cover the camera: the most severe (Ⅰ) is named',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(
      incident({ id: 'inc-II', level: 2, openedAt: minutes(-300) }),
      incident({ id: 'inc-I', level: 1 }),
    ),
    expected: emergencyAllow('inc-I'),
  },
  {
    rule: 'R-ACC-4 marking',
    case: 'two level-Ⅱ incidents: the earliest opened is named',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ id: 'inc-later', openedAt: minutes(-10) }), incident({ id: 'inc-earlier' })),
    expected: emergencyAllow('inc-earlier'),
  },
  {
    rule: 'R-ACC-4 marking',
    case: 'two level-Ⅱ incidents opened at the same instant: the first listed is named',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(incident({ id: 'inc-first' }), incident({ id: 'inc-second' })),
    expected: emergencyAllow('inc-first'),
  },
  {
    rule: 'R-ACC-4 marking',
    case: 'a closer level-Ⅲ incident does not hide a covering level-Ⅱ one',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'live:view',
    context: ctx(
      incident({ id: 'inc-III', level: 3 }),
      incident({ id: 'inc-II', radiusM: 5000, lat: CENTRE.lat + 0.01 }),
    ),
    expected: emergencyAllow('inc-II'),
  },

  // Art. 14 / R-REG-3: lifecycle.
  {
    rule: 'Art. 14 / R-REG-3',
    case: 'registered camera: catalogue readable in scope',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'registered' }),
    action: 'catalog:read',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 14 / R-REG-3',
    case: 'registered camera: not viewable before acceptance',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'registered' }),
    action: 'live:view',
    context: CALM,
    expected: DENY.state,
  },
  {
    rule: 'Art. 14 / R-REG-3',
    case: 'accepted camera is viewable',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'accepted' }),
    action: 'live:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 15 ¶1 / R-REG-4',
    case: 'removed camera: not viewable',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'removed' }),
    action: 'live:view',
    context: CALM,
    expected: DENY.state,
  },
  {
    rule: 'Art. 15 ¶1 / R-REG-4',
    case: 'removed camera: its file stays readable in scope (removal filing, audit)',
    subject: BANK_OWNER,
    camera: cam(BANK_CAM, { state: 'removed' }),
    action: 'catalog:read',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'Art. 15 ¶1 order',
    case: 'removed camera out of scope says tier, not state',
    subject: WUJIN_POLICE,
    camera: cam(GOV_TIANNING, { state: 'removed' }),
    action: 'catalog:read',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'Art. 14 order',
    case: 'grade wins over state: clearance 2 on a removed grade-3 camera says grade',
    subject: TIANNING_EOC,
    camera: cam(GOV_TIANNING, { state: 'removed', grade: 3 }),
    action: 'live:view',
    context: CALM,
    expected: DENY.grade,
  },
  {
    rule: 'Art. 14 / R-REG-3',
    case: 'unknown lifecycle state is not even catalogue-readable (fail closed)',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'decommissioned' as CameraFacts['state'] }),
    action: 'catalog:read',
    context: CALM,
    expected: DENY.state,
  },

  // PTZ: live view plus a role granting control.
  {
    rule: 'PTZ',
    case: 'city police operator steers a government camera',
    subject: CITY_POLICE,
    camera: GOV_LIYANG,
    action: 'ptz:control',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'PTZ',
    case: 'city police admin without `operator` may view but not steer',
    subject: CITY_POLICE_ADMIN,
    camera: GOV_LIYANG,
    action: 'ptz:control',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'PTZ',
    case: 'emergency operator steers a government camera during an incident (ordinary allow)',
    subject: CITY_EOC,
    camera: GOV_TIANNING,
    action: 'ptz:control',
    context: MAJOR,
    expected: ALLOW,
  },
  {
    rule: 'PTZ',
    case: 'owner with only the `owner` role cannot steer its own camera',
    subject: BANK_OWNER,
    camera: BANK_CAM,
    action: 'ptz:control',
    context: CALM,
    expected: DENY.role,
  },
  {
    rule: 'PTZ',
    case: 'owner granted `operator` steers its own camera',
    subject: sub(BANK_OWNER, { roles: ['owner', 'operator'] }),
    camera: BANK_CAM,
    action: 'ptz:control',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'PTZ / Art. 14',
    case: 'no PTZ on a camera not yet accepted',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'registered' }),
    action: 'ptz:control',
    context: CALM,
    expected: DENY.state,
  },
  {
    rule: 'PTZ / R-ACC-2',
    case: 'PTZ needs clearance like live view',
    subject: TIANNING_EOC,
    camera: cam(GOV_TIANNING, { grade: 3 }),
    action: 'ptz:control',
    context: CALM,
    expected: DENY.grade,
  },

  // R-RET-1: police holding a county-level-or-above certificate view recorded footage, in scope.
  {
    rule: 'R-RET-1',
    case: 'playback by certified city police of a government camera',
    subject: CITY_POLICE,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: playbackCtx(-600),
    expected: ALLOW,
  },
  {
    rule: 'R-RET-1',
    case: 'certified police play back a private camera of another org, no incident needed',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'playback:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-RET-1',
    case: 'certified police inside a major incident get a plain allow, not an emergency one',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'playback:view',
    context: playbackCtx(-600, incident()),
    expected: ALLOW,
  },
  {
    rule: 'R-RET-1 / R-ACC-2',
    case: 'certified district police cannot play back another district (tier, answered as missing)',
    subject: WUJIN_POLICE,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-RET-1 / R-ACC-2',
    case: 'certified police below the camera’s grade are refused',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { grade: 4 }),
    action: 'playback:view',
    context: CALM,
    expected: DENY.grade,
  },
  {
    rule: 'R-RET-1 / R-REC-1',
    case: 'footage of a removed camera stays viewable',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'removed' }),
    action: 'playback:view',
    context: CALM,
    expected: ALLOW,
  },
  {
    rule: 'R-RET-1 / Art. 14',
    case: 'a camera never accepted has no footage to play back',
    subject: CITY_POLICE,
    camera: cam(GOV_TIANNING, { state: 'registered' }),
    action: 'playback:view',
    context: CALM,
    expected: DENY.state,
  },
  {
    rule: 'R-RET-1',
    case: 'police without the certificate need another basis',
    subject: sub(CITY_POLICE, { countyPoliceCertificate: false }),
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: CALM,
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-1',
    case: 'a certificate on a non-police user gives nothing',
    subject: sub(CITY_EOC, { countyPoliceCertificate: true }),
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: CALM,
    expected: DENY.retrieval,
  },

  // R-RET-3: emergencies open footage of the incident area to police and emergency users.
  {
    rule: 'R-RET-3',
    case: 'emergency operator plays back a private camera inside a major incident, from 30 min before it opened',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'playback:view',
    context: playbackCtx(-90, incident()),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-RET-3',
    case: 'emergency operator plays back a government camera inside the incident (emergency basis)',
    subject: CITY_EOC,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: playbackCtx(-120, incident()),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-RET-3',
    case: 'uncertified police inside the incident area, exactly at the look-back limit',
    subject: sub(CITY_POLICE, { countyPoliceCertificate: false }),
    camera: BANK_CAM,
    action: 'playback:view',
    context: playbackCtx(-120, incident()),
    expected: emergencyAllow('inc-20250601-001'),
  },
  {
    rule: 'R-RET-3',
    case: 'footage from before the look-back window needs a retrieval right',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'playback:view',
    context: playbackCtx(-121, incident()),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-3',
    case: 'without the requested range (no playback context) the incident basis does not apply',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'playback:view',
    context: MAJOR,
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-3',
    case: 'a camera outside the incident radius is refused',
    subject: CITY_EOC,
    camera: cam(BANK_CAM, north(1500)),
    action: 'playback:view',
    context: playbackCtx(-30, incident()),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-3',
    case: 'a level Ⅲ incident gives no playback',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'playback:view',
    context: playbackCtx(-30, incident({ level: 3 })),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-3',
    case: 'a closed incident gives no playback',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'playback:view',
    context: playbackCtx(-30, incident({ closedAt: minutes(-1) })),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-3 / R-ACC-2',
    case: 'district emergency staff: the incident does not widen their scope',
    subject: TIANNING_EOC,
    camera: HOTEL_CAM,
    action: 'playback:view',
    context: playbackCtx(-30, incident()),
    expected: DENY.tier,
  },
  {
    rule: 'R-RET-3 / R-ACC-2',
    case: 'the incident does not lift the grade',
    subject: TIANNING_EOC,
    camera: cam(BANK_CAM, { grade: 3 }),
    action: 'playback:view',
    context: playbackCtx(-30, incident()),
    expected: DENY.grade,
  },
  {
    rule: 'R-RET-2 / R-RET-3',
    case: 'a regulator has no investigation power in emergencies: needs an approval',
    subject: REGULATOR,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: playbackCtx(-30, incident()),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'an owner unit does not play back even its own camera without an approval',
    subject: BANK_OWNER,
    camera: BANK_CAM,
    action: 'playback:view',
    context: CALM,
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'an owner unit asking for another org’s camera is out of scope first',
    subject: BANK_OWNER,
    camera: HOTEL_CAM,
    action: 'playback:view',
    context: CALM,
    expected: DENY.tier,
  },

  // Art. 21 ¶2 / R-RET-2: footage under an approved retrieval of the subject's organisation.
  {
    rule: 'R-RET-2',
    case: 'an administrative department plays back a camera its approval names, inside its range',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: retrievalAllow('ret-urban-1'),
  },
  {
    rule: 'R-RET-2',
    case: 'the approval covers exactly its range ends, of a private camera of another org',
    subject: URBAN_ADMIN,
    camera: cam(BANK_CAM, { grade: 1 }),
    action: 'playback:view',
    context: approvedCtx(-600, -120, URBAN_APPROVAL),
    expected: retrievalAllow('ret-urban-1'),
  },
  {
    rule: 'R-RET-2',
    case: 'footage ending after the approved range is refused',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: approvedCtx(-500, -119, URBAN_APPROVAL),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'footage starting before the approved range is refused',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: approvedCtx(-601, -200, URBAN_APPROVAL),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'a camera the approval does not name is refused',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { id: 'cam-gov-other' }),
    action: 'playback:view',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'an expired approval (expiresAt is exclusive) gives nothing',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: approvedCtx(-500, -200, { ...URBAN_APPROVAL, expiresAt: NOW }),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'another organisation’s approval gives nothing',
    subject: REGULATOR,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2',
    case: 'without the range end no approval covers',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: {
      now: NOW,
      openIncidents: [],
      playback: { from: minutes(-500), lookbackMs: 0, approvals: [URBAN_APPROVAL] },
    },
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-2 / R-ACC-2',
    case: 'an approval does not lift the grade',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { grade: 2 }),
    action: 'playback:view',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: DENY.grade,
  },
  {
    rule: 'R-RET-1 / R-RET-2',
    case: 'a certified officer’s plain allow comes before an approval',
    subject: sub(CITY_POLICE, { orgId: URBAN_ADMIN.orgId }),
    camera: GOV_TIANNING,
    action: 'playback:view',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: ALLOW,
  },

  // Export (Art. 21/22, R-RET-4): decided as the execution of an approved retrieval.
  {
    rule: 'R-RET-4',
    case: 'export under an approved, unexpired retrieval covering camera and range',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'export',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: retrievalAllow('ret-urban-1'),
  },
  {
    rule: 'R-RET-4',
    case: 'export by certified city police without an approval is refused',
    subject: CITY_POLICE,
    camera: GOV_TIANNING,
    action: 'export',
    context: CALM,
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-4 / R-ACC-2',
    case: 'out-of-scope export says tier',
    subject: WUJIN_POLICE,
    camera: GOV_TIANNING,
    action: 'export',
    context: CALM,
    expected: DENY.tier,
  },
  {
    rule: 'R-RET-4',
    case: 'export after the approval expired is refused',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'export',
    context: approvedCtx(-500, -200, { ...URBAN_APPROVAL, expiresAt: minutes(-1) }),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-4',
    case: 'export outside the approved range is refused',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'export',
    context: approvedCtx(-700, -200, URBAN_APPROVAL),
    expected: DENY.retrieval,
  },
  {
    rule: 'R-RET-4 / R-ACC-2',
    case: 'export does not lift the grade',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { grade: 3 }),
    action: 'export',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: DENY.grade,
  },
  {
    rule: 'R-RET-4 / Art. 14',
    case: 'no export from a camera never accepted',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { state: 'registered' }),
    action: 'export',
    context: approvedCtx(-500, -200, URBAN_APPROVAL),
    expected: DENY.state,
  },

  // retrieval:request, Art. 21 ¶1–3: the basis must fit the requester.
  {
    rule: 'Art. 21 ¶1 / R-RET-1',
    case: 'certified police request on their certificate',
    subject: CITY_POLICE,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('certificate'),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶1 / R-RET-1',
    case: 'police without the certificate cannot request on it',
    subject: sub(CITY_POLICE, { countyPoliceCertificate: false }),
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx('certificate'),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶1 / R-RET-1',
    case: 'a certificate on a non-police user is no basis',
    subject: sub(URBAN_ADMIN, { countyPoliceCertificate: true }),
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx('certificate'),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'an administrative department requests for approval',
    subject: URBAN_ADMIN,
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'a regulator requests for approval',
    subject: REGULATOR,
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'an owner unit is no administrative department',
    subject: BANK_OWNER,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'police ask on their certificate, not as another department',
    subject: CITY_POLICE,
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶2 / R-ACC-2',
    case: 'cameras outside the requester’s tier are refused (tier)',
    subject: TIANNING_EOC,
    camera: GOV_LIYANG,
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: DENY.tier,
  },
  {
    rule: 'Art. 21 ¶2 / R-ACC-2',
    case: 'a request above the requester’s clearance is refused',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { grade: 2 }),
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: DENY.grade,
  },
  {
    rule: 'Art. 21 / Art. 14',
    case: 'a camera never accepted has nothing to retrieve',
    subject: URBAN_ADMIN,
    camera: cam(GOV_TIANNING, { state: 'registered' }),
    action: 'retrieval:request',
    context: requestCtx('approval'),
    expected: DENY.state,
  },
  {
    rule: 'Art. 21',
    case: 'no basis named is refused',
    subject: CITY_POLICE,
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: CALM,
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'an emergency department requests inside an accident’s area',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('emergency', kindIncident()),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'a public-health incident of level Ⅳ, closed, still supports the investigation',
    subject: sub(CITY_POLICE, { countyPoliceCertificate: false }),
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx(
      'emergency',
      kindIncident({ kind: 'public_health', level: 4, closedAt: minutes(-10) }),
    ),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'an incident without a kind is no basis',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('emergency', kindIncident({ kind: null })),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'an incident of an unknown kind is no basis',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('emergency', kindIncident({ kind: 'festival' })),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'no incident named is no basis',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('emergency', null),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'an incident not yet opened is no basis',
    subject: CITY_EOC,
    camera: BANK_CAM,
    action: 'retrieval:request',
    context: requestCtx('emergency', kindIncident({ openedAt: minutes(1) })),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'a regulator has no investigation and handling powers',
    subject: REGULATOR,
    camera: GOV_TIANNING,
    action: 'retrieval:request',
    context: requestCtx('emergency', kindIncident()),
    expected: DENY.basis,
  },
  {
    rule: 'Art. 21 ¶3 / R-RET-3',
    case: 'a camera outside the incident’s radius is refused',
    subject: CITY_EOC,
    camera: cam(BANK_CAM, north(1500)),
    action: 'retrieval:request',
    context: requestCtx('emergency', kindIncident()),
    expected: DENY.retrieval,
  },

  // retrieval:approve, Art. 21 ¶2: county-level-or-above police approve.
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'the city police approver approves a city department’s request',
    subject: CHIEF,
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: approveCtx(URBAN_ADMIN),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'a district police approver approves a request of its district',
    subject: WUJIN_CHIEF,
    camera: GOV_WUJIN,
    action: 'retrieval:approve',
    context: approveCtx(sub(TIANNING_EOC, { districtCode: '320412', orgId: 'org-eoc-320412' })),
    expected: ALLOW,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'an approver without the certificate is refused',
    subject: sub(CHIEF, { countyPoliceCertificate: false }),
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: approveCtx(URBAN_ADMIN),
    expected: DENY.certificate,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'certified police without the approver role do not approve',
    subject: CITY_POLICE,
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: approveCtx(URBAN_ADMIN),
    expected: DENY.certificate,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-2',
    case: 'an approver role outside the police is no approval',
    subject: sub(CITY_EOC, { roles: ['approver'], countyPoliceCertificate: true }),
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: approveCtx(URBAN_ADMIN),
    expected: DENY.certificate,
  },
  {
    rule: 'Art. 21 ¶2 / R-RET-4',
    case: 'nobody approves their own request',
    subject: CHIEF,
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: approveCtx(CHIEF),
    expected: DENY.samePerson,
  },
  {
    rule: 'Art. 21 ¶2 / R-ACC-2',
    case: 'a district approver cannot approve a city department’s request (lower tier)',
    subject: WUJIN_CHIEF,
    camera: GOV_WUJIN,
    action: 'retrieval:approve',
    context: approveCtx(URBAN_ADMIN),
    expected: DENY.tier,
  },
  {
    rule: 'Art. 21 ¶2 / R-ACC-2',
    case: 'a district approver cannot approve a camera of another district',
    subject: WUJIN_CHIEF,
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: approveCtx(TIANNING_EOC),
    expected: DENY.tier,
  },
  {
    rule: 'Art. 21 ¶2 / R-ACC-2',
    case: 'an approver below the camera’s grade is refused',
    subject: sub(CHIEF, { clearance: 1 }),
    camera: cam(GOV_TIANNING, { grade: 2 }),
    action: 'retrieval:approve',
    context: approveCtx(URBAN_ADMIN),
    expected: DENY.grade,
  },
  {
    rule: 'Art. 21 ¶2',
    case: 'without the requester the approval is refused',
    subject: CHIEF,
    camera: GOV_TIANNING,
    action: 'retrieval:approve',
    context: CALM,
    expected: DENY.retrieval,
  },
];

describe('decide: article by article', () => {
  it('has at least 40 cases and unique names', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(new Set(rows.map((r) => `${r.rule} — ${r.case}`)).size).toBe(rows.length);
  });

  it('boundary fixtures sit on either side of the 天宁区 / 钟楼区 boundary', () => {
    expect(districtAt(TIANNING_SIDE.lon, TIANNING_SIDE.lat)).toBe('320402');
    expect(districtAt(ZHONGLOU_SIDE.lon, ZHONGLOU_SIDE.lat)).toBe('320404');
    expect(
      haversineMetres(TIANNING_SIDE.lon, TIANNING_SIDE.lat, ZHONGLOU_SIDE.lon, ZHONGLOU_SIDE.lat),
    ).toBeLessThan(40);
  });

  it.each(rows)('$rule — $case', ({ subject, camera, action, context, expected }) => {
    const decision = decide(subject, camera, action, context);
    expect(decision).toStrictEqual(expected);
    if (!decision.allow || decision.reason === 'allowed') expect(Object.isFrozen(decision)).toBe(true);
  });
});

describe('haversineMetres', () => {
  it.each([
    { name: 'same point', a: [119.97, 31.78], b: [119.97, 31.78], metres: 0 },
    {
      name: 'one degree of latitude',
      a: [119.97, 31],
      b: [119.97, 32],
      metres: (EARTH_RADIUS_M * Math.PI) / 180,
    },
    {
      name: 'one degree of longitude on the equator',
      a: [0, 0],
      b: [1, 0],
      metres: (EARTH_RADIUS_M * Math.PI) / 180,
    },
    { name: 'antipodes', a: [0, 0], b: [180, 0], metres: EARTH_RADIUS_M * Math.PI },
  ] as const)('$name', ({ a, b, metres }) => {
    expect(haversineMetres(a[0], a[1], b[0], b[1])).toBeCloseTo(metres, 3);
    expect(haversineMetres(b[0], b[1], a[0], a[1])).toBeCloseTo(metres, 3);
  });

  it('常州 centre to 溧阳 centre is 62.8 km', () => {
    const d = haversineMetres(119.9741, 31.8112, 119.4878, 31.4271);
    expect(d).toBeGreaterThan(62_700);
    expect(d).toBeLessThan(62_900);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random subjects, cameras and incidents around the same few kilometres.

const ORGS = ['org-a', 'org-b', 'org-c'] as const;
const DISTRICT_CODES = DISTRICTS.map((d) => d.code) as DistrictCode[];
const gradeArb = fc.constantFrom<Grade>(1, 2, 3, 4);
const districtArb = fc.constantFrom(...DISTRICT_CODES);
const lonArb = fc.double({ min: 119.9, max: 120.0, noNaN: true });
const latArb = fc.double({ min: 31.7, max: 31.8, noNaN: true });

const subjectArb: fc.Arbitrary<Subject> = fc.record({
  userId: fc.constant('u-prop'),
  orgId: fc.constantFrom(...ORGS),
  tier: fc.constantFrom(...tierSchema.options),
  districtCode: fc.option(districtArb, { nil: null }),
  departmentKind: fc.constantFrom(...departmentKindSchema.options),
  roles: fc.subarray(['operator', 'viewer', 'owner', 'admin', 'registrar', 'auditor']),
  clearance: gradeArb,
  countyPoliceCertificate: fc.boolean(),
});

const cameraArb: fc.Arbitrary<CameraFacts> = fc.record({
  id: fc.constant('cam-prop'),
  ownerOrgId: fc.constantFrom(...ORGS),
  funding: fc.constantFrom(...fundingSchema.options),
  districtCode: districtArb,
  grade: gradeArb,
  state: fc.constantFrom(...cameraStateSchema.options),
  lon: lonArb,
  lat: latArb,
});

const incidentArb: fc.Arbitrary<IncidentFacts> = fc.record({
  id: fc.constant('inc'),
  level: fc.constantFrom<IncidentFacts['level']>(1, 2, 3, 4),
  lon: lonArb,
  lat: latArb,
  radiusM: fc.integer({ min: 0, max: 8000 }),
  openedAt: fc.integer({ min: -600, max: 60 }).map(minutes),
  closedAt: fc.option(fc.integer({ min: -60, max: 600 }).map(minutes), { nil: null }),
});

const contextArb: fc.Arbitrary<PolicyContext> = fc.record({
  now: fc.constant(NOW),
  openIncidents: fc
    .array(incidentArb, { maxLength: 3 })
    .map((list) => list.map((inc, i) => ({ ...inc, id: `inc-${i}` }))),
});

const actionArb = fc.constantFrom(...ACTIONS);
const RUNS = { numRuns: 2000 };

describe('decide: properties', () => {
  it('is deterministic, and denials are shared frozen objects', () => {
    fc.assert(
      fc.property(subjectArb, cameraArb, actionArb, contextArb, (s, c, a, x) => {
        const first = decide(s, c, a, x);
        const second = decide(structuredClone(s), structuredClone(c), a, structuredClone(x));
        expect(second).toStrictEqual(first);
        if (!first.allow) expect(decide(s, c, a, x)).toBe(first);
      }),
      RUNS,
    );
  });

  it('raising clearance never turns an allow into a deny', () => {
    fc.assert(
      fc.property(subjectArb, gradeArb, cameraArb, actionArb, contextArb, (s, raise, c, a, x) => {
        const higher: Subject = { ...s, clearance: Math.max(s.clearance, raise) as Grade };
        if (decide(s, c, a, x).allow) expect(decide(higher, c, a, x).allow).toBe(true);
      }),
      RUNS,
    );
  });

  it('granting a role never turns an allow into a deny', () => {
    fc.assert(
      fc.property(
        subjectArb,
        fc.constantFrom('viewer', 'operator'),
        cameraArb,
        actionArb,
        contextArb,
        (s, role, c, a, x) => {
          if (decide(s, c, a, x).allow)
            expect(decide({ ...s, roles: [...s.roles, role] }, c, a, x).allow).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it("an `owner` org never reaches another org's government camera, whatever the context", () => {
    fc.assert(
      fc.property(subjectArb, cameraArb, actionArb, contextArb, (s, c, a, x) => {
        const owner: Subject = { ...s, departmentKind: 'owner' };
        const gov: CameraFacts = { ...c, funding: 'government', ownerOrgId: 'org-someone-else' };
        expect(decide(owner, gov, a, x).allow).toBe(false);
      }),
      RUNS,
    );
  });

  it('PTZ implies live view, and live view implies the catalogue entry', () => {
    fc.assert(
      fc.property(subjectArb, cameraArb, contextArb, (s, c, x) => {
        if (decide(s, c, 'ptz:control', x).allow) expect(decide(s, c, 'live:view', x).allow).toBe(true);
        if (decide(s, c, 'live:view', x).allow) expect(decide(s, c, 'catalog:read', x).allow).toBe(true);
      }),
      RUNS,
    );
  });

  it('incidents only add access, and only R-ACC-4 access is marked emergency', () => {
    fc.assert(
      fc.property(subjectArb, cameraArb, actionArb, contextArb, (s, c, a, x) => {
        const calm = decide(s, c, a, { now: NOW, openIncidents: [] });
        const d = decide(s, c, a, x);
        if (calm.allow) expect(d).toStrictEqual(calm);
        expect(calm.reason).not.toBe('allowed:emergency');
        if (d.reason === 'allowed:emergency') {
          const kind: DepartmentKind = s.departmentKind;
          expect(['police', 'emergency']).toContain(kind);
          // Playback's incident basis (R-RET-3) covers every camera of the area; live's only others' private ones.
          if (a !== 'playback:view') {
            expect(c.funding).toBe('private');
            expect(c.ownerOrgId).not.toBe(s.orgId);
          }
          expect(['live:view', 'catalog:read', 'playback:view']).toContain(a);
          const named = x.openIncidents.find((i) => i.id === d.emergency.incidentId);
          expect(named).toBeDefined();
          expect(named?.level).toBeLessThanOrEqual(2);
          expect(haversineMetres(named?.lon ?? 0, named?.lat ?? 0, c.lon, c.lat)).toBeLessThanOrEqual(
            named?.radiusM ?? -1,
          );
        }
      }),
      RUNS,
    );
  });

  it('export is never allowed without an approved retrieval', () => {
    fc.assert(
      fc.property(subjectArb, cameraArb, contextArb, (s, c, x) => {
        expect([DENY.tier, DENY.retrieval]).toContainEqual(decide(s, c, 'export', x));
      }),
      RUNS,
    );
  });

  it('playback is allowed only to certified police, or to police and emergency users under an incident', () => {
    fc.assert(
      fc.property(
        subjectArb,
        cameraArb,
        contextArb,
        fc.integer({ min: -600, max: 0 }),
        (s, c, x, fromMin) => {
          const d = decide(s, c, 'playback:view', {
            ...x,
            playback: { from: minutes(fromMin), lookbackMs: 3_600_000 },
          });
          if (!d.allow) return;
          expect(d.reason).not.toBe('allowed:retrieval');
          if (d.reason === 'allowed') {
            expect([s.departmentKind, s.countyPoliceCertificate]).toEqual(['police', true]);
          } else if (d.reason === 'allowed:emergency') {
            expect(['police', 'emergency']).toContain(s.departmentKind);
            const named = x.openIncidents.find((i) => i.id === d.emergency.incidentId);
            expect(minutes(fromMin).getTime()).toBeGreaterThanOrEqual(
              (named?.openedAt.getTime() ?? 0) - 3_600_000,
            );
          }
          expect(s.clearance).toBeGreaterThanOrEqual(c.grade);
          expect(decide(s, c, 'catalog:read', x).reason).not.toBe('forbidden:tier');
        },
      ),
      RUNS,
    );
  });
});
