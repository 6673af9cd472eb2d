import type { CurrentUser } from '../lib/current-user.ts';
import type { Subject } from './types.ts';

/** The policy's view of a signed-in user. */
export function subjectOf(u: CurrentUser): Subject {
  return {
    userId: u.id,
    orgId: u.orgId,
    tier: u.tier,
    districtCode: u.districtCode as Subject['districtCode'],
    departmentKind: u.departmentKind,
    roles: u.roles,
    clearance: u.clearance,
    countyPoliceCertificate: u.countyPoliceCertificate,
  };
}
