import type { DepartmentKind, Grade, Tier } from '@wall/protocol';

// In lib/, the lowest layer: policy reads it, identity builds it; neither imports the other for it.
/** The signed-in user as the rest of the gateway sees them (the policy's subject). */
export interface CurrentUser {
  id: string;
  username: string;
  displayName: string;
  orgId: string;
  orgName: string;
  tier: Tier;
  districtCode: string | null;
  departmentKind: DepartmentKind;
  roles: string[];
  clearance: Grade;
  workId: string;
  countyPoliceCertificate: boolean;
}
