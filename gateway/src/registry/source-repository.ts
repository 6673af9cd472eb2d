import type { Db, Queryable } from '../db/index.ts';
import type { CurrentUser } from '../identity/index.ts';
import { REGISTRY_ADMIN_ROLE } from '../policy/index.ts';
import { SOURCE_COLUMNS, type SourceRow } from './rows.ts';
import { Sql, where } from './sql.ts';

const SOURCE_FROM = 'source_systems s JOIN organisations o ON o.id = s.owner_org_id';

/** A source row with its owner's district (the administrative scope of writes). */
export type SourceForWrite = SourceRow & { owner_district: string | null };

/** An organisation's district (`null` for city-tier orgs), or undefined when there is no such org. */
export async function orgDistrict(
  tx: Queryable,
  orgId: string,
): Promise<{ district: string | null } | undefined> {
  const { rows } = await tx.query<{ district_code: string | null }>(
    'SELECT district_code FROM organisations WHERE id = $1',
    [orgId],
  );
  const r = rows[0];
  return r ? { district: r.district_code } : undefined;
}

/** One source with its owner's district; `lock` takes it FOR UPDATE (in a transaction). */
export async function loadSource(
  db: Queryable,
  id: string,
  lock = false,
): Promise<SourceForWrite | undefined> {
  const { rows } = await db.query<SourceForWrite>(
    `SELECT ${SOURCE_COLUMNS}, o.district_code AS owner_district FROM ${SOURCE_FROM} WHERE s.id = $1
       ${lock ? 'FOR UPDATE OF s' : ''}`,
    [id],
  );
  return rows[0];
}

/**
 * The sources a user may see: registry administrators those in their administrative scope, anyone
 * else their own org's (a unit sees the systems it filed). Connection settings name hosts on the
 * private video network, so they are not a catalogue for everyone.
 */
function visibility(sql: Sql, user: CurrentUser): string[] {
  if (user.roles.includes(REGISTRY_ADMIN_ROLE)) {
    if (user.tier === 'city') return [];
    if (user.tier === 'district' && user.districtCode !== null)
      return [`o.district_code = ${sql.p(user.districtCode)}`];
  }
  return [`s.owner_org_id = ${sql.p(user.orgId)}`];
}

/** The sources `user` may see, by name. */
export async function listVisibleSources(db: Db, user: CurrentUser): Promise<SourceRow[]> {
  const sql = new Sql();
  const { rows } = await db.query<SourceRow>(
    `SELECT ${SOURCE_COLUMNS} FROM ${SOURCE_FROM} ${where(visibility(sql, user))} ORDER BY s.name, s.id`,
    sql.params,
  );
  return rows;
}

/** One source if `user` may see it. */
export async function findVisibleSource(
  db: Db,
  user: CurrentUser,
  id: string,
): Promise<SourceRow | undefined> {
  const sql = new Sql();
  const conditions = [`s.id = ${sql.p(id)}::uuid`, ...visibility(sql, user)];
  const { rows } = await db.query<SourceRow>(
    `SELECT ${SOURCE_COLUMNS} FROM ${SOURCE_FROM} ${where(conditions)}`,
    sql.params,
  );
  return rows[0];
}

export async function insertSource(
  tx: Queryable,
  s: {
    id: string;
    name: string;
    kind: string;
    ownerOrgId: string;
    funding: string;
    connection: unknown;
    sealed: Uint8Array | null;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO source_systems (id, name, kind, owner_org_id, funding, connection, secret_ciphertext)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [s.id, s.name, s.kind, s.ownerOrgId, s.funding, JSON.stringify(s.connection), s.sealed],
  );
}

/** Writes a source's fields; the sealed secret only when `replaceSecret` (null clears it). */
export async function updateSource(
  tx: Queryable,
  id: string,
  next: { name: string; owner_org_id: string; funding: string; connection: unknown },
  secret: { replace: boolean; sealed: Uint8Array | null },
): Promise<void> {
  await tx.query(
    `UPDATE source_systems SET name = $2, owner_org_id = $3, funding = $4, connection = $5,
            secret_ciphertext = CASE WHEN $6::boolean THEN $7::bytea ELSE secret_ciphertext END,
            updated_at = now()
      WHERE id = $1`,
    [
      id,
      next.name,
      next.owner_org_id,
      next.funding,
      JSON.stringify(next.connection),
      secret.replace,
      secret.sealed,
    ],
  );
}

/** Cameras of the source not removed yet. */
export async function activeCameraCount(tx: Queryable, sourceId: string): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM cameras WHERE source_id = $1 AND state <> 'removed'",
    [sourceId],
  );
  return rows[0]?.n ?? 0;
}

export async function markSourceRemoved(tx: Queryable, id: string): Promise<void> {
  await tx.query('UPDATE source_systems SET removed_at = now(), updated_at = now() WHERE id = $1', [id]);
}
