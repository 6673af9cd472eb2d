import { EARTH_RADIUS_M, haversineMetres } from '@wall/protocol/geo';
import {
  decideExport,
  decideRetrievalApproval,
  decideRetrievalRequest,
  retrievalCovering,
} from './retrieval.ts';
import { hasRole, inScope, withinRadius } from './scope.ts';
import {
  type Action,
  type CameraFacts,
  type Decision,
  type DenyDecision,
  type IncidentFacts,
  POLICY_ROLES,
  type PolicyContext,
  type Subject,
} from './types.ts';

export { EARTH_RADIUS_M, haversineMetres };

// Shared, frozen results: a search calls `decide` once per camera and must not allocate for them.
function deny(reason: DenyDecision['reason']): DenyDecision {
  return Object.freeze({ allow: false, reason });
}

const ALLOWED: Decision = Object.freeze({ allow: true, reason: 'allowed' });
const DENY_GRADE = deny('forbidden:grade');
const DENY_TIER = deny('forbidden:tier');
const DENY_PRIVATE = deny('forbidden:private');
const DENY_ROLE = deny('forbidden:role');
const DENY_STATE = deny('forbidden:state');
const DENY_RETRIEVAL = deny('forbidden:retrieval');

/**
 * The one access decision of the platform (R-ACC-1): pure, no I/O, no clock (time comes in the
 * context), no allocation except the result of an emergency allow. Denials and the plain allow are
 * shared frozen objects.
 *
 * Order of checks — the first failing check gives the reason, always the same one for the same
 * input. The order runs from the outside in: each check only looks at facts about the camera that
 * the previous checks have established the subject is entitled to learn, so a reason code never
 * leaks the grade or lifecycle of a camera the subject has no business with.
 *
 *  1. action     anything unknown → `forbidden:role`. No camera fact is read. `playback:view` is
 *                decided by {@link decidePlayback}; `export`, `retrieval:request` and
 *                `retrieval:approve` by the rules of Art. 21/22 in `retrieval.ts`.
 *  2. scope      R-ACC-2 tiers: city → city-wide; district → cameras whose registered district is
 *                the subject's; unit → cameras of the subject's own org → `forbidden:tier`.
 *                Emergencies never widen scope ("police and emergency users in scope").
 *  3. reach      who may reach this camera at all (Art. 12, R-ACC-3, R-ACC-4):
 *                - own org's camera (any funding): yes — the using unit monitors its own system
 *                  (Art. 18(1));
 *                - government camera: police and emergency yes (Art. 12 ¶2); admin, regulator and
 *                  state_security catalogue only, live needs a role (checked in 6); owner kind
 *                  → `forbidden:role`;
 *                - private camera of another org → `forbidden:private`, unless police/emergency ask
 *                  for `live:view` (or its catalogue entry) inside an open level Ⅰ/Ⅱ incident's
 *                  radius (Art. 12 ¶1, R-ACC-4): then the allow is marked emergency. Never PTZ.
 *  4. grade      clearance ≥ grade, for every action, emergency included → `forbidden:grade`
 *                (R-ACC-2; Art. 5: no disclosure of state secrets, an emergency does not lift it).
 *  5. state      `catalog:read`: registered, accepted, in_service, removed (the file stays —
 *                Art. 15 ¶1 removal filing, R-REG-4, audit); live and PTZ: accepted or in_service
 *                only (Art. 14, R-REG-3) → `forbidden:state`.
 *  6. role       live view of a government camera for admin/regulator/state_security needs
 *                `viewer` or `operator`; PTZ needs `operator` for everyone → `forbidden:role`.
 *  7. allow      `allowed`, or `allowed:emergency` with the incident id when step 3 used R-ACC-4.
 *
 * Where the measures are silent:
 *  - state_security is named only among the departments of Art. 3 ¶2 / Art. 6, not in Art. 12
 *    (which names 应急管理机构 and 公安机关): it is treated like other administrative departments —
 *    catalogue in scope, live by role, no emergency access.
 *  - PTZ never rides on an emergency: Art. 12 ¶1 lets agencies "接入" (connect and watch); steering
 *    a unit's camera would change what its own system records (Art. 18(1) duty monitoring, Art. 19(1)).
 *  - Emergency access also covers the catalogue entry of the cameras it makes viewable (a camera
 *    that cannot be found cannot be pulled onto a wall); so live ⇒ catalogue holds everywhere.
 *  - The incident's `districtCode` does not matter: the radius is the area, scope is the tier's.
 *
 * Every comparison is written so that a malformed fact (NaN, unknown enum string, invalid Date,
 * missing district) fails closed.
 */
export function decide(
  subject: Subject,
  camera: CameraFacts,
  action: Action,
  context: PolicyContext,
): Decision {
  // 1. action
  let viewable: boolean;
  let control = false;
  switch (action) {
    case 'catalog:read':
      viewable = false;
      break;
    case 'live:view':
      viewable = true;
      break;
    case 'ptz:control':
      viewable = true;
      control = true;
      break;
    case 'playback:view':
      return decidePlayback(subject, camera, context);
    case 'export':
      return decideExport(subject, camera, context);
    case 'retrieval:request':
      return decideRetrievalRequest(subject, camera, context);
    case 'retrieval:approve':
      return decideRetrievalApproval(subject, camera, context);
    default:
      // Any string that is not an Action at run time.
      return DENY_ROLE;
  }

  // 2. scope
  const own = camera.ownerOrgId === subject.orgId;
  if (!inScope(subject, camera, own)) return DENY_TIER;

  // 3. reach
  let incident: IncidentFacts | null = null;
  let liveNeedsRole = false;
  if (!own) {
    const kind = subject.departmentKind;
    const commandUser = kind === 'police' || kind === 'emergency';
    if (camera.funding === 'government') {
      if (!commandUser) {
        if (kind === 'admin' || kind === 'regulator' || kind === 'state_security') liveNeedsRole = true;
        else return DENY_ROLE; // 'owner' units and unknown kinds have no right to government cameras
      }
    } else {
      // 'private', or an unknown funding value (treated as private: fail closed).
      if (control || !commandUser) return DENY_PRIVATE;
      incident = emergencyIncident(camera, context);
      if (incident === null) return DENY_PRIVATE;
    }
  }

  // 4. grade (negated so that NaN denies)
  if (!(subject.clearance >= camera.grade)) return DENY_GRADE;

  // 5. state
  const state = camera.state;
  if (viewable) {
    if (state !== 'accepted' && state !== 'in_service') return DENY_STATE;
  } else if (
    state !== 'registered' &&
    state !== 'accepted' &&
    state !== 'in_service' &&
    state !== 'removed'
  ) {
    return DENY_STATE;
  }

  // 6. role
  if (control) {
    if (!hasRole(subject.roles, POLICY_ROLES.operator)) return DENY_ROLE;
  } else if (
    viewable &&
    liveNeedsRole &&
    !hasRole(subject.roles, POLICY_ROLES.viewer) &&
    !hasRole(subject.roles, POLICY_ROLES.operator)
  ) {
    return DENY_ROLE;
  }

  // 7. allow
  if (incident === null) return ALLOWED;
  return { allow: true, reason: 'allowed:emergency', emergency: { incidentId: incident.id } };
}

/**
 * `playback:view` — recorded footage (R-RET-1, R-RET-3), in the same outside-in order:
 *
 *  2. scope      as live: the tier's scope → `forbidden:tier` (answered as a missing camera).
 *  3. basis      - police holding a county-level-or-above certificate: any camera in scope, own,
 *                  government or private (R-RET-1: they "may view, copy, retrieve");
 *                - police and emergency users: a camera inside an open level Ⅰ/Ⅱ incident's radius
 *                  (the same incident rule as live, `emergencyMaxMs` included), for footage from
 *                  `playback.lookbackMs` before the incident opened onwards (R-RET-3) → the allow is
 *                  marked emergency; footage from earlier, or no `playback` context → refused;
 *                - anyone of an organisation holding an approved, unexpired retrieval request
 *                  (R-RET-2, `retrieval.ts`) that names the camera and whose ranges hold
 *                  [from, to] → `allowed:retrieval` with the request id. (Viewing under an approval
 *                  is one user's act here; the two-person confirmation of R-RET-4 is a later slice.)
 *                - everyone else → `forbidden:retrieval`.
 *  4. grade      clearance ≥ grade → `forbidden:grade` (an incident does not lift it).
 *  5. state      any state but `registered`: footage outlives a camera's removal (R-REC-1), and a
 *                camera never accepted has none → `forbidden:state`.
 *
 * A certified officer's plain allow comes first, so an incident never turns it into an emergency
 * one; an approval comes before an incident, so footage it covers is not marked emergency.
 */
function decidePlayback(subject: Subject, camera: CameraFacts, context: PolicyContext): Decision {
  const own = camera.ownerOrgId === subject.orgId;
  if (!inScope(subject, camera, own)) return DENY_TIER;
  const kind = subject.departmentKind;
  let incident: IncidentFacts | null = null;
  let approval: string | null = null;
  if (!(kind === 'police' && subject.countyPoliceCertificate === true)) {
    approval = retrievalCovering(subject, camera, context);
  }
  if (approval === null && !(kind === 'police' && subject.countyPoliceCertificate === true)) {
    if (kind !== 'police' && kind !== 'emergency') return DENY_RETRIEVAL;
    const playback = context.playback;
    if (playback === undefined) return DENY_RETRIEVAL;
    incident = emergencyIncident(camera, context);
    if (incident === null) return DENY_RETRIEVAL;
    // Negated so that NaN (an invalid date or lookback) denies.
    if (!(playback.from.getTime() >= incident.openedAt.getTime() - playback.lookbackMs))
      return DENY_RETRIEVAL;
  }
  if (!(subject.clearance >= camera.grade)) return DENY_GRADE;
  const state = camera.state;
  if (state !== 'accepted' && state !== 'in_service' && state !== 'removed') return DENY_STATE;
  if (approval !== null)
    return { allow: true, reason: 'allowed:retrieval', retrieval: { requestId: approval } };
  if (incident === null) return ALLOWED;
  return { allow: true, reason: 'allowed:emergency', emergency: { incidentId: incident.id } };
}

/**
 * Whether a refusal must be answered as if the camera did not exist (404 `not_found:camera`, the
 * same body as a missing camera): a camera outside the subject's tier, whose existence the subject
 * has no business learning. Scope is the policy's second check, before any fact but the camera's
 * district and owner, and the same for every action — so a camera hidden from `catalog:read` (the
 * 404 of `GET /api/cameras/:id`) is hidden from live view, PTZ and walls alike, and no other
 * refusal hides it. The audit keeps the real reason.
 */
export function hidesCamera(decision: Decision): boolean {
  return !decision.allow && decision.reason === 'forbidden:tier';
}

/**
 * The incident that gives R-ACC-4 access to `camera` now, or null: level Ⅰ or Ⅱ, opened at or
 * before `now`, not closed (closedAt is exclusive), within `emergencyMaxMs` of opening when set,
 * camera within `radiusM` (inclusive). Several qualify: the most severe, then the earliest opened,
 * then the first in the array — so the incident named in the audit is stable.
 */
function emergencyIncident(camera: CameraFacts, context: PolicyContext): IncidentFacts | null {
  const now = context.now.getTime();
  const maxMs = context.emergencyMaxMs;
  const incidents = context.openIncidents;
  let best: IncidentFacts | null = null;
  let bestOpened = 0;
  for (let i = 0; i < incidents.length; i++) {
    const incident = incidents[i];
    if (incident === undefined) continue;
    const level = incident.level;
    if (level !== 1 && level !== 2) continue;
    const opened = incident.openedAt.getTime();
    if (!(opened <= now)) continue;
    const closedAt = incident.closedAt;
    if (closedAt != null && !(now < closedAt.getTime())) continue;
    if (maxMs !== undefined && !(now < opened + maxMs)) continue;
    if (best !== null && (level > best.level || (level === best.level && opened >= bestOpened))) continue;
    if (!withinRadius(incident, camera)) continue;
    best = incident;
    bestOpened = opened;
  }
  return best;
}
