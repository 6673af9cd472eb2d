import type { Tier } from '@wall/protocol';
import { hasRole, inScope, withinRadius } from './scope.ts';
import {
  type CameraFacts,
  type Decision,
  type DenyDecision,
  POLICY_ROLES,
  type PolicyContext,
  type Subject,
} from './types.ts';

function deny(reason: DenyDecision['reason']): DenyDecision {
  return Object.freeze({ allow: false, reason });
}

const ALLOWED: Decision = Object.freeze({ allow: true, reason: 'allowed' });
const DENY_TIER = deny('forbidden:tier');
const DENY_GRADE = deny('forbidden:grade');
const DENY_STATE = deny('forbidden:state');
const DENY_RETRIEVAL = deny('forbidden:retrieval');
const DENY_BASIS = deny('forbidden:basis');
const DENY_CERTIFICATE = deny('forbidden:certificate');
const DENY_SAME_PERSON = deny('forbidden:same_person');

const INCIDENT_KINDS: readonly string[] = ['public_order', 'natural_disaster', 'accident', 'public_health'];
const ADMINISTRATIVE: readonly string[] = ['admin', 'regulator', 'state_security', 'emergency'];

/**
 * `retrieval:request` — may the subject ask to retrieve this camera's recordings on the basis the
 * request names (Art. 21)? Outside in, as `decide`:
 *
 *  1. scope     the tier's scope → `forbidden:tier` (the service answers it as a missing camera).
 *  2. basis     - `certificate` (¶1, R-RET-1): police holding the county-level certificate;
 *               - `approval` (¶2, R-RET-2): another administrative department — admin, regulator,
 *                 state_security, emergency; owner units are no administrative department and
 *                 police ask on their certificate;
 *               - `emergency` (¶3, R-RET-3): departments with investigation and handling powers
 *                 (police, emergency), naming an incident that has a kind (public order, natural
 *                 disaster, accident, public health) — any level, open or closed (the
 *                 investigation outlives the incident);
 *               a basis that does not fit the subject → `forbidden:basis`;
 *               an `emergency` camera outside the incident's radius → `forbidden:retrieval`.
 *  3. grade     clearance ≥ grade → `forbidden:grade`.
 *  4. state     any but `registered` (a camera never accepted has no recordings) → `forbidden:state`.
 *
 * Every request, whatever its basis, is then approved by someone `retrieval:approve` allows: the
 * approval-document number is what Art. 22(2) makes the staff show and R-RET-4 records.
 */
export function decideRetrievalRequest(
  subject: Subject,
  camera: CameraFacts,
  context: PolicyContext,
): Decision {
  if (!inScope(subject, camera, camera.ownerOrgId === subject.orgId)) return DENY_TIER;
  const r = context.retrieval;
  const kind = subject.departmentKind;
  switch (r?.basis) {
    case 'certificate':
      if (!(kind === 'police' && subject.countyPoliceCertificate === true)) return DENY_BASIS;
      break;
    case 'approval':
      if (!ADMINISTRATIVE.includes(kind)) return DENY_BASIS;
      break;
    case 'emergency': {
      if (kind !== 'police' && kind !== 'emergency') return DENY_BASIS;
      const incident = r.incident;
      if (!incident || incident.kind === null || !INCIDENT_KINDS.includes(incident.kind)) return DENY_BASIS;
      if (!(incident.openedAt.getTime() <= context.now.getTime())) return DENY_BASIS;
      if (!withinRadius(incident, camera)) return DENY_RETRIEVAL;
      break;
    }
    default:
      return DENY_BASIS;
  }
  if (!(subject.clearance >= camera.grade)) return DENY_GRADE;
  if (!isRecorded(camera)) return DENY_STATE;
  return ALLOWED;
}

/** Police holding the county-level-or-above certificate with the `approver` role (Art. 21 ¶2). */
export function mayApproveRetrievals(subject: Subject): boolean {
  return (
    subject.departmentKind === 'police' &&
    subject.countyPoliceCertificate === true &&
    hasRole(subject.roles, POLICY_ROLES.approver)
  );
}

const TIER_RANK: Record<Tier, number> = { city: 3, district: 2, unit: 1 };

/**
 * `retrieval:approve` — may the subject approve a request (`context.retrieval.requester`) that
 * names this camera? (Art. 21 ¶2: approval by county-level-or-above police of the place.)
 *
 *  1. certificate  police holding the county-level certificate, with the `approver` role
 *                  → `forbidden:certificate`.
 *  2. person       never one's own request → `forbidden:same_person`.
 *  3. tier         the approver's tier is not below the requester's (city ≥ district ≥ unit), and
 *                  the camera is in the approver's scope → `forbidden:tier`.
 *  4. grade        the approver's clearance ≥ grade → `forbidden:grade`.
 *  5. state        as for the request → `forbidden:state`.
 */
export function decideRetrievalApproval(
  subject: Subject,
  camera: CameraFacts,
  context: PolicyContext,
): Decision {
  if (!mayApproveRetrievals(subject)) return DENY_CERTIFICATE;
  const requester = context.retrieval?.requester;
  if (!requester) return DENY_RETRIEVAL;
  if (requester.userId === subject.userId) return DENY_SAME_PERSON;
  if (!((TIER_RANK[subject.tier] ?? 0) >= (TIER_RANK[requester.tier] ?? Number.POSITIVE_INFINITY)))
    return DENY_TIER;
  if (!inScope(subject, camera, camera.ownerOrgId === subject.orgId)) return DENY_TIER;
  if (!(subject.clearance >= camera.grade)) return DENY_GRADE;
  if (!isRecorded(camera)) return DENY_STATE;
  return ALLOWED;
}

/**
 * `export` — decided as the execution of a retrieval is: the subject's organisation holds an
 * approved, unexpired request naming the camera whose ranges hold [from, to] (`context.playback`),
 * the camera in the subject's scope, clearance ≥ grade, a recorded state. Else `forbidden:tier`,
 * `forbidden:retrieval`, `forbidden:grade`, `forbidden:state`. A certificate alone does not export:
 * every retrieval is registered under an approval (R-RET-4). The export itself, with its second
 * officer, is a later slice.
 */
export function decideExport(subject: Subject, camera: CameraFacts, context: PolicyContext): Decision {
  if (!inScope(subject, camera, camera.ownerOrgId === subject.orgId)) return DENY_TIER;
  const requestId = retrievalCovering(subject, camera, context);
  if (requestId === null) return DENY_RETRIEVAL;
  if (!(subject.clearance >= camera.grade)) return DENY_GRADE;
  if (!isRecorded(camera)) return DENY_STATE;
  return { allow: true, reason: 'allowed:retrieval', retrieval: { requestId } };
}

/**
 * The id of an approval of the subject's organisation that is unexpired at `now`, names the
 * camera, and has one range holding [playback.from, playback.to]; null when none does (or the
 * context has no range end). The first in the array wins, so the request named in the audit is stable.
 */
export function retrievalCovering(
  subject: Subject,
  camera: CameraFacts,
  context: PolicyContext,
): string | null {
  const playback = context.playback;
  const approvals = playback?.approvals;
  const to = playback?.to;
  if (!playback || !approvals || !to) return null;
  const from = playback.from.getTime();
  const end = to.getTime();
  const now = context.now.getTime();
  for (const a of approvals) {
    if (a.orgId !== subject.orgId) continue;
    if (!(now < a.expiresAt.getTime())) continue;
    if (!a.cameraIds.includes(camera.id)) continue;
    for (const r of a.ranges) {
      if (r.from.getTime() <= from && end <= r.to.getTime()) return a.id;
    }
  }
  return null;
}

function isRecorded(camera: CameraFacts): boolean {
  const s = camera.state;
  return s === 'accepted' || s === 'in_service' || s === 'removed';
}
