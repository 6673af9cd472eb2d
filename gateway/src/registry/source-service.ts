import { randomUUID } from 'node:crypto';
import {
  AppError,
  parseSourceConnection,
  type Source,
  type SourceCreate,
  type SourceSecret,
  type SourceUpdate,
} from '@wall/protocol';
import type { CurrentUser } from '../identity/index.ts';
import { mayAdminister, REGISTRY_ADMIN_ROLE } from '../policy/index.ts';
import { announceChange, type RegistryDeps, type RegistryLog } from './deps.ts';
import { type SourceRow, toSource } from './rows.ts';
import type { SourceSecretBox } from './secrets.ts';
import {
  activeCameraCount,
  findVisibleSource,
  insertSource,
  listVisibleSources,
  loadSource,
  markSourceRemoved,
  orgDistrict,
  updateSource,
} from './source-repository.ts';
import { auditedWrite, invalidBody, type RegistryActor } from './write.ts';

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
 * Source systems (use cases): read within the caller's scope; register, change and remove by
 * registry administrators within theirs, each write and refusal audited in its transaction.
 */
export class SourceService {
  readonly #deps: RegistryDeps;
  readonly #log: RegistryLog;

  constructor(deps: RegistryDeps, log: RegistryLog) {
    this.#deps = deps;
    this.#log = log;
  }

  #changed(id: string): Promise<void> {
    return announceChange(this.#deps, this.#log, { kind: 'source', id });
  }

  /** Refuses (403 forbidden:role, audited) a caller without the registry administrator role. */
  async requireAdmin(actor: RegistryActor, action: string, id: string | null): Promise<void> {
    if (actor.user.roles.includes(REGISTRY_ADMIN_ROLE)) return;
    await auditedWrite(
      this.#deps.db,
      actor,
      { action: `source.${action}`, targetKind: 'source', targetId: id },
      (w) => w.refuse('forbidden:role', 'only registry administrators manage source systems'),
    );
  }

  async list(user: CurrentUser): Promise<Source[]> {
    return (await listVisibleSources(this.#deps.db, user)).map(toSource);
  }

  async get(user: CurrentUser, id: string): Promise<Source> {
    const row = await findVisibleSource(this.#deps.db, user, id);
    if (!row) throw new AppError('not_found:source', 'no such source system');
    return toSource(row);
  }

  async register(actor: RegistryActor, b: SourceCreate): Promise<Source> {
    const { user } = actor;
    const id = randomUUID();
    const sealed = b.secret ? boxOrFail(this.#deps.secrets).seal(id, b.secret) : null;
    const row = await auditedWrite(
      this.#deps.db,
      actor,
      { action: 'source.register', targetKind: 'source', targetId: id },
      async (w) => {
        const what = { name: b.name, kind: b.kind, ownerOrgId: b.ownerOrgId, funding: b.funding };
        const org = await orgDistrict(w.tx, b.ownerOrgId);
        if (!org) return w.refuse('invalid:reference', 'ownerOrgId: no such organisation', what);
        if (!mayAdminister(user, { districtCode: org.district, ownerOrgId: b.ownerOrgId })) {
          return w.refuse('forbidden:tier', 'the owner is outside your administrative scope', what);
        }
        await insertSource(w.tx, { ...b, id, sealed });
        // The audit names whether credentials were given, never what they are.
        await w.done('registered', { ...what, connection: b.connection, secret: sealed ? 'set' : 'none' });
        return (await loadSource(w.tx, id)) as SourceRow;
      },
    );
    await this.#changed(id);
    return toSource(row);
  }

  async update(actor: RegistryActor, id: string, b: SourceUpdate): Promise<Source> {
    const { user } = actor;
    if (b.secret) boxOrFail(this.#deps.secrets);
    const row = await auditedWrite(
      this.#deps.db,
      actor,
      { action: 'source.update', targetKind: 'source', targetId: id },
      async (w) => {
        const cur = await loadSource(w.tx, id, true);
        if (!cur) throw new AppError('not_found:source', 'no such source system');
        if (!mayAdminister(user, { districtCode: cur.owner_district, ownerOrgId: cur.owner_org_id })) {
          return w.refuse('forbidden:tier', 'this source system is outside your administrative scope');
        }
        if (cur.removed_at) return w.refuse('conflict:state', 'the source system was removed');
        let connection = cur.connection;
        if (b.connection !== undefined) {
          // The connection's shape depends on the stored kind: checked here, not by the route.
          const c = parseSourceConnection(cur.kind, b.connection);
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
        const sealed = secret ? boxOrFail(this.#deps.secrets).seal(id, secret) : null;
        await updateSource(w.tx, id, next, { replace: secret !== undefined, sealed });
        await w.done('updated', {
          changes,
          ...(secret === undefined ? {} : { secret: secret === null ? 'cleared' : 'replaced' }),
        });
        return (await loadSource(w.tx, id)) as SourceRow;
      },
    );
    await this.#changed(id);
    return toSource(row);
  }

  /** Removal keeps the row (its cameras' files reference it); only a source whose cameras are all removed. */
  async remove(actor: RegistryActor, id: string): Promise<Source> {
    const { user } = actor;
    const row = await auditedWrite(
      this.#deps.db,
      actor,
      { action: 'source.remove', targetKind: 'source', targetId: id },
      async (w) => {
        const cur = await loadSource(w.tx, id, true);
        if (!cur) throw new AppError('not_found:source', 'no such source system');
        if (!mayAdminister(user, { districtCode: cur.owner_district, ownerOrgId: cur.owner_org_id })) {
          return w.refuse('forbidden:tier', 'this source system is outside your administrative scope');
        }
        if (cur.removed_at) return w.refuse('conflict:state', 'the source system was removed already');
        const active = await activeCameraCount(w.tx, id);
        if (active > 0) {
          return w.refuse('conflict:in_use', `remove its ${active} camera(s) first`, {
            activeCameras: active,
          });
        }
        await markSourceRemoved(w.tx, id);
        await w.done('removed', {});
        return (await loadSource(w.tx, id)) as SourceRow;
      },
    );
    await this.#changed(id);
    return toSource(row);
  }
}
