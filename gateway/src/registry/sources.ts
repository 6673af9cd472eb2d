import { randomUUID } from 'node:crypto';
import {
  AppError,
  parseSourceConnection,
  type SourceKind,
  type SourceSecret,
  sourceCreateSchema,
  sourceUpdateSchema,
} from '@wall/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/index.ts';
import { type CurrentUser, requireAuth } from '../identity/index.ts';
import { mayAdminister, REGISTRY_ADMIN_ROLE } from '../policy/index.ts';
import type { RegistryDeps } from './deps.ts';
import { SOURCE_COLUMNS, type SourceRow, toSource } from './rows.ts';
import type { SourceSecretBox } from './secrets.ts';
import { Sql, where } from './sql.ts';
import { auditedWrite, idParam, invalidBody } from './write.ts';

async function orgDistrict(tx: Queryable, orgId: string): Promise<{ district: string | null } | undefined> {
  const { rows } = await tx.query<{ district_code: string | null }>(
    'SELECT district_code FROM organisations WHERE id = $1',
    [orgId],
  );
  const r = rows[0];
  return r ? { district: r.district_code } : undefined;
}

function boxOrFail(box: SourceSecretBox | undefined): SourceSecretBox {
  if (!box) {
    throw new AppError(
      'unavailable:dependency',
      'source credentials cannot be stored: the gateway has no SOURCE_SECRET_KEY',
    );
  }
  return box;
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

const SOURCE_FROM = 'source_systems s JOIN organisations o ON o.id = s.owner_org_id';

export function registerSourceRoutes(app: FastifyInstance, deps: RegistryDeps): void {
  const changed = async (id: string) => {
    try {
      await deps.onChange?.({ kind: 'source', id });
    } catch (err) {
      app.log.error({ err, sourceId: id }, 'registry change listener failed');
    }
  };
  const load = async (db: Queryable, id: string, lock = false) => {
    const { rows } = await db.query<SourceRow & { owner_district: string | null }>(
      `SELECT ${SOURCE_COLUMNS}, o.district_code AS owner_district FROM ${SOURCE_FROM} WHERE s.id = $1
       ${lock ? 'FOR UPDATE OF s' : ''}`,
      [id],
    );
    return rows[0];
  };
  const requireAdmin = async (req: FastifyRequest, user: CurrentUser, action: string, id: string | null) => {
    if (user.roles.includes(REGISTRY_ADMIN_ROLE)) return;
    await auditedWrite(
      deps.db,
      req,
      user,
      { action: `source.${action}`, targetKind: 'source', targetId: id },
      (w) => w.refuse('forbidden:role', 'only registry administrators manage source systems'),
    );
  };

  app.get('/api/sources', async (req) => {
    const { user } = requireAuth(req);
    const sql = new Sql();
    const { rows } = await deps.db.query<SourceRow>(
      `SELECT ${SOURCE_COLUMNS} FROM ${SOURCE_FROM} ${where(visibility(sql, user))} ORDER BY s.name, s.id`,
      sql.params,
    );
    return { sources: rows.map(toSource) };
  });

  app.get('/api/sources/:id', async (req) => {
    const { user } = requireAuth(req);
    const id = idParam(req);
    const sql = new Sql();
    const conditions = [`s.id = ${sql.p(id ?? null)}::uuid`, ...visibility(sql, user)];
    const { rows } = id
      ? await deps.db.query<SourceRow>(
          `SELECT ${SOURCE_COLUMNS} FROM ${SOURCE_FROM} ${where(conditions)}`,
          sql.params,
        )
      : { rows: [] };
    const row = rows[0];
    if (!row) throw new AppError('not_found:source', 'no such source system');
    return toSource(row);
  });

  app.post('/api/sources', async (req, reply) => {
    const { user } = requireAuth(req);
    await requireAdmin(req, user, 'register', null);
    const parsed = sourceCreateSchema.safeParse(req.body);
    if (!parsed.success) throw invalidBody(parsed.error);
    const b = parsed.data;
    const id = randomUUID();
    const sealed = b.secret ? boxOrFail(deps.secrets).seal(id, b.secret) : null;
    const row = await auditedWrite(
      deps.db,
      req,
      user,
      { action: 'source.register', targetKind: 'source', targetId: id },
      async (w) => {
        const what = { name: b.name, kind: b.kind, ownerOrgId: b.ownerOrgId, funding: b.funding };
        const org = await orgDistrict(w.tx, b.ownerOrgId);
        if (!org) return w.refuse('invalid:reference', 'ownerOrgId: no such organisation', what);
        if (!mayAdminister(user, { districtCode: org.district, ownerOrgId: b.ownerOrgId })) {
          return w.refuse('forbidden:tier', 'the owner is outside your administrative scope', what);
        }
        await w.tx.query(
          `INSERT INTO source_systems (id, name, kind, owner_org_id, funding, connection, secret_ciphertext)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [id, b.name, b.kind, b.ownerOrgId, b.funding, JSON.stringify(b.connection), sealed],
        );
        // The audit names whether credentials were given, never what they are.
        await w.done('registered', { ...what, connection: b.connection, secret: sealed ? 'set' : 'none' });
        return (await load(w.tx, id)) as SourceRow;
      },
    );
    await changed(id);
    return reply.code(201).send(toSource(row));
  });

  app.patch('/api/sources/:id', async (req) => {
    const { user } = requireAuth(req);
    const id = idParam(req);
    await requireAdmin(req, user, 'update', id ?? null);
    if (!id) throw new AppError('not_found:source', 'no such source system');
    const parsed = sourceUpdateSchema.safeParse(req.body);
    if (!parsed.success) throw invalidBody(parsed.error);
    const b = parsed.data;
    if (b.secret) boxOrFail(deps.secrets);
    const row = await auditedWrite(
      deps.db,
      req,
      user,
      { action: 'source.update', targetKind: 'source', targetId: id },
      async (w) => {
        const cur = await load(w.tx, id, true);
        if (!cur) throw new AppError('not_found:source', 'no such source system');
        if (!mayAdminister(user, { districtCode: cur.owner_district, ownerOrgId: cur.owner_org_id })) {
          return w.refuse('forbidden:tier', 'this source system is outside your administrative scope');
        }
        if (cur.removed_at) return w.refuse('conflict:state', 'the source system was removed');
        let connection = cur.connection;
        if (b.connection !== undefined) {
          const c = parseSourceConnection(cur.kind as SourceKind, b.connection);
          if (!c.success) throw invalidBody(c.error, 'connection');
          // The demo marks its simulated source; that mark is the gateway's, not the client's.
          connection = cur.connection.simulated === true ? { ...c.data, simulated: true } : c.data;
        }
        const ownerOrgId = b.ownerOrgId ?? cur.owner_org_id;
        if (ownerOrgId !== cur.owner_org_id) {
          const org = await orgDistrict(w.tx, ownerOrgId);
          if (!org) return w.refuse('invalid:reference', 'ownerOrgId: no such organisation');
          if (!mayAdminister(user, { districtCode: org.district, ownerOrgId })) {
            return w.refuse('forbidden:tier', 'the new owner is outside your administrative scope');
          }
        }
        const next = {
          name: b.name ?? cur.name,
          owner_org_id: ownerOrgId,
          funding: b.funding ?? cur.funding,
          connection,
        };
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        for (const key of Object.keys(next) as (keyof typeof next)[]) {
          if (JSON.stringify(cur[key]) !== JSON.stringify(next[key]))
            changes[key] = { from: cur[key], to: next[key] };
        }
        const secret: SourceSecret | null | undefined = b.secret;
        const sealed = secret ? boxOrFail(deps.secrets).seal(id, secret) : null;
        await w.tx.query(
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
            secret !== undefined,
            sealed,
          ],
        );
        await w.done('updated', {
          changes,
          ...(secret === undefined ? {} : { secret: secret === null ? 'cleared' : 'replaced' }),
        });
        return (await load(w.tx, id)) as SourceRow;
      },
    );
    await changed(id);
    return toSource(row);
  });

  /** Removal keeps the row (its cameras' files reference it); only a source whose cameras are all removed. */
  app.delete('/api/sources/:id', async (req) => {
    const { user } = requireAuth(req);
    const id = idParam(req);
    await requireAdmin(req, user, 'remove', id ?? null);
    if (!id) throw new AppError('not_found:source', 'no such source system');
    const row = await auditedWrite(
      deps.db,
      req,
      user,
      { action: 'source.remove', targetKind: 'source', targetId: id },
      async (w) => {
        const cur = await load(w.tx, id, true);
        if (!cur) throw new AppError('not_found:source', 'no such source system');
        if (!mayAdminister(user, { districtCode: cur.owner_district, ownerOrgId: cur.owner_org_id })) {
          return w.refuse('forbidden:tier', 'this source system is outside your administrative scope');
        }
        if (cur.removed_at) return w.refuse('conflict:state', 'the source system was removed already');
        const { rows } = await w.tx.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM cameras WHERE source_id = $1 AND state <> 'removed'",
          [id],
        );
        const active = rows[0]?.n ?? 0;
        if (active > 0) {
          return w.refuse('conflict:in_use', `remove its ${active} camera(s) first`, {
            activeCameras: active,
          });
        }
        await w.tx.query('UPDATE source_systems SET removed_at = now(), updated_at = now() WHERE id = $1', [
          id,
        ]);
        await w.done('removed', {});
        return (await load(w.tx, id)) as SourceRow;
      },
    );
    await changed(id);
    return toSource(row);
  });
}
