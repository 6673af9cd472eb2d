import type {
  CameraState,
  DepartmentKind,
  DistrictCode,
  ErrorCode,
  Funding,
  Grade,
  Tier,
} from '@wall/protocol';

/**
 * Every action the gateway decides (R-ACC-1). `playback:view` follows R-RET-1, R-RET-3 and approved
 * retrievals; `retrieval:request`, `retrieval:approve` and `export` follow Art. 21/22 (`retrieval.ts`).
 */
export const ACTIONS = [
  'catalog:read',
  'live:view',
  'ptz:control',
  'playback:view',
  'export',
  'retrieval:request',
  'retrieval:approve',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Roles the policy reads. A role only ever adds a right (never removes one). They encode the
 * "specific rules of tiered permissions" that Art. 12 ¶2 leaves to the city emergency agency and
 * the police to lay down separately.
 */
export const POLICY_ROLES = {
  /** Live view for departments without a statutory live right (admin, regulator, state_security). */
  viewer: 'viewer',
  /** Live view as `viewer`, plus PTZ control of every camera the subject may view live. */
  operator: 'operator',
  /** Approves retrieval requests (with the county-level police certificate, Art. 21 ¶2). */
  approver: 'approver',
} as const;

/** The user asking, with the facts of their organisation. */
export interface Subject {
  userId: string;
  orgId: string;
  tier: Tier;
  /** The org's district; `null` for city-tier orgs. A district-tier subject without one sees nothing. */
  districtCode: DistrictCode | null;
  departmentKind: DepartmentKind;
  roles: readonly string[];
  /** 1 … 4; compared with the camera's grade (R-ACC-2). */
  clearance: Grade;
  /** County-level-or-above police certificate (Art. 21 ¶1, R-RET-1): recorded footage in scope. */
  countyPoliceCertificate: boolean;
}

/** The facts about a camera the policy needs; nothing else (no name, no URL, no credentials). */
export interface CameraFacts {
  id: string;
  /** Owner org of the camera's source system. */
  ownerOrgId: string;
  funding: Funding;
  /** The district recorded at registration. The policy trusts this code, not the coordinates. */
  districtCode: DistrictCode;
  grade: Grade;
  state: CameraState;
  /** WGS-84. */
  lon: number;
  lat: number;
}

/** National emergency levels: 1 = Ⅰ especially major, 2 = Ⅱ major, 3 = Ⅲ larger, 4 = Ⅳ general. */
export type IncidentLevel = 1 | 2 | 3 | 4;

export interface IncidentFacts {
  id: string;
  level: IncidentLevel;
  /** Centre of the incident area, WGS-84. */
  lon: number;
  lat: number;
  /** Radius of the incident area in metres; a camera at exactly this distance is inside. */
  radiusM: number;
  /** Informational: scope is decided by the camera's district and the subject's tier, not by this. */
  districtCode?: DistrictCode;
  openedAt: Date;
  /** The grant ends at this instant (exclusive). `null`/absent while the incident is open. */
  closedAt?: Date | null;
}

export interface PolicyContext {
  now: Date;
  /** Incidents to consider; closed or not-yet-open ones may be passed and are ignored. */
  openIncidents: readonly IncidentFacts[];
  /**
   * Optional ceiling on an emergency grant, in ms from the incident's opening (R-ACC-4 "or a set
   * maximum"). Absent: the grant lasts until the incident closes.
   */
  emergencyMaxMs?: number;
  /**
   * `playback:view` only: the start of the requested footage and how far before a major incident's
   * opening its footage opens to police and emergency users (R-RET-3). Absent: no incident basis.
   */
  playback?: PlaybackContext;
  /** `retrieval:request` and `retrieval:approve` only: the request being decided. */
  retrieval?: RetrievalContext;
}

export interface PlaybackContext {
  /** Start of the requested range. */
  from: Date;
  /** Footage from this long before the incident opened is covered (PLAYBACK_INCIDENT_LOOKBACK_MIN). */
  lookbackMs: number;
  /** End of the requested range; an approved retrieval must cover [from, to]. Absent: none covers. */
  to?: Date;
  /** Approved, not executed retrievals of the subject's organisation (`playback:view`, `export`). */
  approvals?: readonly RetrievalGrant[];
}

/** An approved retrieval request as the policy reads it. */
export interface RetrievalGrant {
  id: string;
  /** The requesting organisation: its users act under the approval. */
  orgId: string;
  cameraIds: readonly string[];
  ranges: readonly { from: Date; to: Date }[];
  /** Not executed by this instant (exclusive), the approval has expired. */
  expiresAt: Date;
}

/** The legal basis of a retrieval request (Art. 21 ¶1–3). */
export type RetrievalBasisFact = 'certificate' | 'approval' | 'emergency';

/** An incident named by an `emergency` request, with its kind (Art. 21 ¶3). */
export interface RetrievalIncident extends IncidentFacts {
  /** public_order | natural_disaster | accident | public_health; null when declared without one. */
  kind: string | null;
}

export interface RetrievalContext {
  basis: RetrievalBasisFact;
  /** The incident an `emergency` request names. */
  incident?: RetrievalIncident | null;
  /** `retrieval:approve`: who asked. */
  requester?: Subject;
}

export type DenyReason = Extract<
  ErrorCode,
  | 'forbidden:grade'
  | 'forbidden:tier'
  | 'forbidden:private'
  | 'forbidden:role'
  | 'forbidden:state'
  | 'forbidden:retrieval'
  | 'forbidden:basis'
  | 'forbidden:certificate'
  | 'forbidden:same_person'
>;

export interface EmergencyGrant {
  readonly incidentId: string;
}

export interface RetrievalUse {
  readonly requestId: string;
}

export type AllowDecision =
  | {
      readonly allow: true;
      readonly reason: 'allowed';
      readonly emergency?: undefined;
      readonly retrieval?: undefined;
    }
  | {
      readonly allow: true;
      readonly reason: 'allowed:emergency';
      readonly emergency: EmergencyGrant;
      readonly retrieval?: undefined;
    }
  | {
      readonly allow: true;
      readonly reason: 'allowed:retrieval';
      readonly emergency?: undefined;
      /** The approved retrieval request the access rides on (R-RET-2). */
      readonly retrieval: RetrievalUse;
    };

export interface DenyDecision {
  readonly allow: false;
  readonly reason: DenyReason;
}

export type Decision = AllowDecision | DenyDecision;
