import type { DepartmentKind, Grade, Tier } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';

import type { CurrentUser } from '../lib/current-user.ts';

export type { CurrentUser };

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  disabled: boolean;
  org_id: string;
  org_name: string;
  tier: Tier;
  district_code: string | null;
  department_kind: DepartmentKind;
  roles: string[];
  clearance: number;
  work_id: string;
  county_police_certificate: boolean;
}

const SELECT = `SELECT u.id, u.username, u.display_name, u.password_hash, u.disabled, u.org_id, o.name AS org_name,
       o.tier, o.district_code, o.department_kind, u.roles, u.clearance, u.work_id, u.county_police_certificate
  FROM users u JOIN organisations o ON o.id = u.org_id`;

function toUser(r: UserRow): CurrentUser {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    orgId: r.org_id,
    orgName: r.org_name,
    tier: r.tier,
    districtCode: r.district_code,
    departmentKind: r.department_kind,
    roles: r.roles,
    clearance: r.clearance as Grade,
    workId: r.work_id,
    countyPoliceCertificate: r.county_police_certificate,
  };
}

export async function findUserForLogin(
  db: Queryable,
  username: string,
): Promise<{ user: CurrentUser; passwordHash: string; disabled: boolean } | undefined> {
  const { rows } = await db.query<UserRow>(`${SELECT} WHERE u.username = $1`, [username]);
  const r = rows[0];
  return r ? { user: toUser(r), passwordHash: r.password_hash, disabled: r.disabled } : undefined;
}

export async function findUserById(db: Queryable, id: string): Promise<CurrentUser | undefined> {
  const { rows } = await db.query<UserRow>(`${SELECT} WHERE u.id = $1 AND NOT u.disabled`, [id]);
  return rows[0] ? toUser(rows[0]) : undefined;
}
