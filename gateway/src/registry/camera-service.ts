import {
  AppError,
  type CameraCreate,
  type CameraItem,
  type CameraMapQuery,
  type CameraPage,
  type CameraSearchQuery,
  type CameraState,
  type CameraUpdate,
  canTransition,
  type DistrictCode,
  isPrivateSpace,
} from '@wall/protocol';
import { districtAt, districtBounds } from '@wall/protocol/districts';
import type { CurrentUser } from '../identity/index.ts';
import { decide, hidesCamera, mayAdminister, REGISTRY_ADMIN_ROLE, subjectOf } from '../policy/index.ts';
import {
  cameraForUpdate,
  externalIdTaken,
  insertCamera,
  loadItem,
  sourceForCamera,
  updateCamera,
} from './camera-repository.ts';
import { announceChange, type RegistryDeps, type RegistryLog } from './deps.ts';
import { factsOf, type ItemRow, toItem } from './rows.ts';
import { cameraMap, type SearchContext, searchCameras } from './search.ts';
import { auditedWrite, isUniqueViolation, type RegistryActor, type WriteTarget } from './write.ts';

const DENY_MESSAGES: Record<string, string> = {
  'forbidden:grade': 'your clearance is below this camera’s security grade',
  'forbidden:private': 'this privately owned camera is open only to its owner outside a major incident',
  'forbidden:role': 'your department may not read this camera’s file',
  'forbidden:state': 'this camera’s file cannot be read in its state',
};

const PRIVATE_SPACE_MESSAGE =
  'cameras in dormitories, hotel guest rooms, bathhouses, changing rooms and toilets are not registered (Art. 9)';

/**
 * Where the point is: the district it lies in (which `given` must match), or — outside every
 * district polygon (the published outlines are coarse at the edges) — `given` when the point is
 * within that district's bounding box.
 */
function locate(
  lon: number,
  lat: number,
  given: DistrictCode | undefined,
): { district: DistrictCode } | { problem: string } {
  const at = districtAt(lon, lat);
  if (at) {
    return given === undefined || given === at
      ? { district: at }
      : { problem: `the point lies in district ${at}, not ${given}` };
  }
  if (given === undefined) return { problem: 'the point is in no Changzhou district: give districtCode' };
  const [minLon, minLat, maxLon, maxLat] = districtBounds(given);
  return lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat
    ? { district: given }
    : { problem: `the point is outside district ${given}` };
}

/**
 * Cameras (use cases): search, map list and files within what `catalog:read` allows; register,
 * change and remove by registry administrators within their scope (Art. 9 refusals, lifecycle),
 * each write and refusal audited in its transaction.
 */
export class CameraService {
  readonly #deps: RegistryDeps;
  readonly #log: RegistryLog;

  constructor(deps: RegistryDeps, log: RegistryLog) {
    this.#deps = deps;
    this.#log = log;
  }

  #changed(id: string): Promise<void> {
    return announceChange(this.#deps, this.#log, { kind: 'camera', id });
  }

  async #searchContext(user: CurrentUser): Promise<SearchContext> {
    return {
      db: this.#deps.db,
      subject: subjectOf(user),
      incidents: await this.#deps.incidents(),
      now: new Date(),
    };
  }

  async search(user: CurrentUser, q: CameraSearchQuery): Promise<CameraPage> {
    return searchCameras(await this.#searchContext(user), q);
  }

  /** The map list as its JSON text (GeoJSON or the compact form). */
  async map(user: CurrentUser, q: CameraMapQuery): Promise<string> {
    return cameraMap(await this.#searchContext(user), q);
  }

  /**
   * One camera's file, decided with `catalog:read`. A camera outside the caller's tier answers 404
   * exactly like a camera that does not exist (its existence is not disclosed); other denials answer
   * 403 with the policy's reason. Denials are audited.
   */
  async read(actor: RegistryActor, id: string): Promise<CameraItem> {
    const row = await loadItem(this.#deps.db, id);
    if (!row) throw new AppError('not_found:camera', 'no such camera');
    const decision = decide(subjectOf(actor.user), factsOf(row), 'catalog:read', {
      now: new Date(),
      openIncidents: await this.#deps.incidents(),
    });
    if (!decision.allow) {
      await auditedWrite(
        this.#deps.db,
        actor,
        { action: 'camera.read', targetKind: 'camera', targetId: id },
        async (w) => w.refuse(decision.reason, 'denied', { policyAction: 'catalog:read' }),
      ).catch((err: unknown) => {
        if (!(err instanceof AppError)) throw err;
      });
      if (hidesCamera(decision)) throw new AppError('not_found:camera', 'no such camera');
      throw new AppError(decision.reason, DENY_MESSAGES[decision.reason] ?? 'denied');
    }
    return toItem(row, { emergency: decision.reason === 'allowed:emergency' });
  }

  /** Refuses (403 forbidden:role, audited as `target`) a caller without the registry administrator role. */
  async requireAdmin(actor: RegistryActor, target: WriteTarget, message: string): Promise<void> {
    if (actor.user.roles.includes(REGISTRY_ADMIN_ROLE)) return;
    await auditedWrite(this.#deps.db, actor, target, (w) => w.refuse('forbidden:role', message));
  }

  async register(actor: RegistryActor, b: CameraCreate): Promise<CameraItem> {
    const { user } = actor;
    const target = { action: 'camera.register', targetKind: 'camera', targetId: null } as const;
    const what = { sourceId: b.sourceId, externalId: b.externalId, locationKind: b.locationKind };
    let item: ItemRow;
    try {
      item = await auditedWrite(this.#deps.db, actor, target, async (w) => {
        if (isPrivateSpace(b.locationKind))
          return w.refuse('refused:private_space', PRIVATE_SPACE_MESSAGE, what);
        const source = await sourceForCamera(w.tx, b.sourceId);
        if (!source) throw new AppError('not_found:source', 'no such source system');
        const place = locate(b.lon, b.lat, b.districtCode);
        if ('problem' in place) return w.refuse('invalid:location', place.problem, what);
        if (!mayAdminister(user, { districtCode: place.district, ownerOrgId: source.owner_org_id })) {
          return w.refuse('forbidden:tier', 'this camera is outside your administrative scope', what);
        }
        if (source.removed_at) return w.refuse('conflict:state', 'the source system was removed', what);
        if (await externalIdTaken(w.tx, b.sourceId, b.externalId)) {
          return w.refuse('conflict:duplicate', 'the source already has a camera with this externalId', what);
        }
        const id = await insertCamera(w.tx, {
          sourceId: b.sourceId,
          externalId: b.externalId,
          name: b.name,
          address: b.address ?? null,
          lon: b.lon,
          lat: b.lat,
          districtCode: place.district,
          category: b.category,
          locationKind: b.locationKind,
          grade: b.grade,
          installer: b.installer ?? null,
          profiles: b.profiles,
        });
        await w.done(
          'registered',
          {
            ...what,
            name: b.name,
            lon: b.lon,
            lat: b.lat,
            districtCode: place.district,
            category: b.category,
            grade: b.grade,
          },
          id,
        );
        return (await loadItem(w.tx, id)) as ItemRow;
      });
    } catch (err) {
      // Two registrations of one externalId at once: the database's unique index decides.
      if (isUniqueViolation(err))
        throw new AppError('conflict:duplicate', 'the source already has a camera with this externalId');
      throw err;
    }
    await this.#changed(item.id);
    return toItem(item);
  }

  /** Removal is a state (R-REG-4, retention): the file stays, found by catalogue reads as `removed`. */
  remove(actor: RegistryActor, id: string): Promise<CameraItem> {
    return this.update(actor, id, { state: 'removed' }, true);
  }

  async update(actor: RegistryActor, id: string, b: CameraUpdate, removal = false): Promise<CameraItem> {
    const { user } = actor;
    const action = removal || b.state === 'removed' ? 'camera.remove' : 'camera.update';
    const item = await auditedWrite(
      this.#deps.db,
      actor,
      { action, targetKind: 'camera', targetId: id },
      async (w) => {
        const cur = await cameraForUpdate(w.tx, id);
        if (!cur) throw new AppError('not_found:camera', 'no such camera');
        const owner = cur.owner_org_id;
        if (!mayAdminister(user, { districtCode: cur.district_code, ownerOrgId: owner })) {
          return w.refuse('forbidden:tier', 'this camera is outside your administrative scope');
        }
        if (cur.state === 'removed') return w.refuse('conflict:state', 'a removed camera’s file is final');
        if (b.locationKind !== undefined && isPrivateSpace(b.locationKind)) {
          return w.refuse('refused:private_space', PRIVATE_SPACE_MESSAGE, { locationKind: b.locationKind });
        }
        if (b.state !== undefined && b.state !== cur.state && !canTransition(cur.state, b.state)) {
          return w.refuse(
            'conflict:state',
            `a camera goes from ${cur.state} to ${b.state} only through the lifecycle`,
            {
              from: cur.state,
              to: b.state,
            },
          );
        }
        const moved = b.lon !== undefined && b.lat !== undefined && (b.lon !== cur.lon || b.lat !== cur.lat);
        let district = cur.district_code;
        if (moved || (b.districtCode !== undefined && b.districtCode !== cur.district_code)) {
          const place = locate(
            b.lon ?? cur.lon,
            b.lat ?? cur.lat,
            b.districtCode ?? (moved ? undefined : cur.district_code),
          );
          if ('problem' in place) return w.refuse('invalid:location', place.problem);
          district = place.district;
          if (!mayAdminister(user, { districtCode: district, ownerOrgId: owner })) {
            return w.refuse('forbidden:tier', 'the new district is outside your administrative scope');
          }
        }
        const was = {
          name: cur.name,
          address: cur.address,
          lon: cur.lon,
          lat: cur.lat,
          districtCode: cur.district_code,
          category: cur.site_category,
          locationKind: cur.location_kind,
          grade: cur.grade,
          installer: cur.installer,
          profiles: cur.profiles,
          state: cur.state as CameraState,
        };
        const next: typeof was = {
          name: b.name ?? was.name,
          address: b.address === undefined ? was.address : b.address,
          lon: b.lon ?? was.lon,
          lat: b.lat ?? was.lat,
          districtCode: district,
          category: b.category ?? was.category,
          locationKind: b.locationKind ?? was.locationKind,
          grade: b.grade ?? was.grade,
          installer: b.installer === undefined ? was.installer : b.installer,
          profiles: b.profiles ?? was.profiles,
          state: b.state ?? was.state,
        };
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        for (const key of Object.keys(next) as (keyof typeof next)[]) {
          if (JSON.stringify(was[key]) !== JSON.stringify(next[key]))
            changes[key] = { from: was[key], to: next[key] };
        }
        await updateCamera(w.tx, id, next);
        await w.done(next.state === 'removed' ? 'removed' : 'updated', { changes });
        return (await loadItem(w.tx, id)) as ItemRow;
      },
    );
    await this.#changed(item.id);
    return toItem(item);
  }
}
