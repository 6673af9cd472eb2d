import {
  AppError,
  type CameraState,
  cameraCreateSchema,
  cameraMapQuerySchema,
  cameraSearchQuerySchema,
  cameraUpdateSchema,
  canTransition,
  type DistrictCode,
  isPrivateSpace,
} from '@wall/protocol';
import { districtAt, districtBounds } from '@wall/protocol/districts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/index.ts';
import { requireAuth } from '../identity/index.ts';
import { decide, hidesCamera, mayAdminister, REGISTRY_ADMIN_ROLE, subjectOf } from '../policy/index.ts';
import type { RegistryDeps } from './deps.ts';
import { factsOf, ITEM_COLUMNS, ITEM_FROM, type ItemRow, toItem } from './rows.ts';
import { cameraMap, type SearchContext, searchCameras } from './search.ts';
import { auditedWrite, idParam, invalidBody, isUniqueViolation } from './write.ts';

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

async function loadItem(db: Queryable, id: string): Promise<ItemRow | undefined> {
  const { rows } = await db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM ${ITEM_FROM} WHERE c.id = $1`, [id]);
  return rows[0];
}

interface SourceForWrite {
  id: string;
  owner_org_id: string;
  removed_at: Date | null;
}

interface CameraForWrite {
  id: string;
  lon: number;
  lat: number;
  district_code: DistrictCode;
  site_category: string;
  location_kind: string;
  grade: number;
  state: CameraState;
  name: string;
  address: string | null;
  installer: string | null;
  profiles: Record<string, unknown>;
  owner_org_id: string;
}

export function registerCameraRoutes(app: FastifyInstance, deps: RegistryDeps): void {
  const changed = async (id: string) => {
    try {
      await deps.onChange?.({ kind: 'camera', id });
    } catch (err) {
      app.log.error({ err, cameraId: id }, 'registry change listener failed');
    }
  };
  const searchContext = async (req: FastifyRequest): Promise<SearchContext> => {
    const { user } = requireAuth(req);
    return { db: deps.db, subject: subjectOf(user), incidents: await deps.incidents(), now: new Date() };
  };

  app.get('/api/cameras', async (req) => {
    const ctx = await searchContext(req);
    const q = cameraSearchQuerySchema.safeParse(req.query);
    if (!q.success) throw invalidBody(q.error);
    return searchCameras(ctx, q.data);
  });

  app.get('/api/cameras/geojson', async (req, reply) => {
    const ctx = await searchContext(req);
    const q = cameraMapQuerySchema.safeParse(req.query);
    if (!q.success) throw invalidBody(q.error);
    const body = await cameraMap(ctx, q.data);
    return reply.type(q.data.format === 'geojson' ? 'application/geo+json' : 'application/json').send(body);
  });

  /**
   * One camera's file, decided with `catalog:read`. A camera outside the caller's tier answers 404
   * exactly like a camera that does not exist (its existence is not disclosed); other denials answer
   * 403 with the policy's reason. Denials are audited.
   */
  app.get('/api/cameras/:id', async (req, reply) => {
    const { user } = requireAuth(req);
    const id = idParam(req);
    const row = id ? await loadItem(deps.db, id) : undefined;
    if (!id || !row) throw new AppError('not_found:camera', 'no such camera');
    const decision = decide(subjectOf(user), factsOf(row), 'catalog:read', {
      now: new Date(),
      openIncidents: await deps.incidents(),
    });
    if (!decision.allow) {
      await auditedWrite(
        deps.db,
        req,
        user,
        { action: 'camera.read', targetKind: 'camera', targetId: id },
        async (w) => w.refuse(decision.reason, 'denied', { policyAction: 'catalog:read' }),
      ).catch((err: unknown) => {
        if (!(err instanceof AppError)) throw err;
      });
      if (hidesCamera(decision)) throw new AppError('not_found:camera', 'no such camera');
      return reply
        .code(403)
        .send({ code: decision.reason, message: DENY_MESSAGES[decision.reason] ?? 'denied' });
    }
    return toItem(row, { emergency: decision.reason === 'allowed:emergency' });
  });

  app.post('/api/cameras', async (req, reply) => {
    const { user } = requireAuth(req);
    const target = { action: 'camera.register', targetKind: 'camera', targetId: null } as const;
    if (!user.roles.includes(REGISTRY_ADMIN_ROLE)) {
      await auditedWrite(deps.db, req, user, target, (w) =>
        w.refuse('forbidden:role', 'only registry administrators register cameras'),
      );
    }
    const parsed = cameraCreateSchema.safeParse(req.body);
    if (!parsed.success) throw invalidBody(parsed.error);
    const b = parsed.data;
    const what = { sourceId: b.sourceId, externalId: b.externalId, locationKind: b.locationKind };
    let item: ItemRow;
    try {
      item = await auditedWrite(deps.db, req, user, target, async (w) => {
        if (isPrivateSpace(b.locationKind))
          return w.refuse('refused:private_space', PRIVATE_SPACE_MESSAGE, what);
        const src = await w.tx.query<SourceForWrite>(
          'SELECT id, owner_org_id, removed_at FROM source_systems WHERE id = $1 FOR SHARE',
          [b.sourceId],
        );
        const source = src.rows[0];
        if (!source) throw new AppError('not_found:source', 'no such source system');
        const place = locate(b.lon, b.lat, b.districtCode);
        if ('problem' in place) return w.refuse('invalid:location', place.problem, what);
        if (!mayAdminister(user, { districtCode: place.district, ownerOrgId: source.owner_org_id })) {
          return w.refuse('forbidden:tier', 'this camera is outside your administrative scope', what);
        }
        if (source.removed_at) return w.refuse('conflict:state', 'the source system was removed', what);
        const dup = await w.tx.query('SELECT 1 FROM cameras WHERE source_id = $1 AND external_id = $2', [
          b.sourceId,
          b.externalId,
        ]);
        if (dup.rows.length) {
          return w.refuse('conflict:duplicate', 'the source already has a camera with this externalId', what);
        }
        const ins = await w.tx.query<{ id: string }>(
          `INSERT INTO cameras (source_id, external_id, name, address, lon, lat, district_code, site_category,
                                location_kind, grade, installer, profiles)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [
            b.sourceId,
            b.externalId,
            b.name,
            b.address ?? null,
            b.lon,
            b.lat,
            place.district,
            b.category,
            b.locationKind,
            b.grade,
            b.installer ?? null,
            JSON.stringify(b.profiles),
          ],
        );
        const id = ins.rows[0]?.id as string;
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
    await changed(item.id);
    return reply.code(201).send(toItem(item));
  });

  const update = async (req: FastifyRequest, body: unknown, removal: boolean) => {
    const { user } = requireAuth(req);
    const id = idParam(req);
    const target = {
      action: removal ? 'camera.remove' : 'camera.update',
      targetKind: 'camera',
      targetId: id ?? null,
    } as const;
    if (!user.roles.includes(REGISTRY_ADMIN_ROLE)) {
      await auditedWrite(deps.db, req, user, target, (w) =>
        w.refuse('forbidden:role', 'only registry administrators change cameras'),
      );
    }
    if (!id) throw new AppError('not_found:camera', 'no such camera');
    const parsed = cameraUpdateSchema.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error);
    const b = parsed.data;
    const item = await auditedWrite(
      deps.db,
      req,
      user,
      { ...target, action: b.state === 'removed' ? 'camera.remove' : target.action },
      async (w) => {
        const found = await w.tx.query<CameraForWrite>(
          `SELECT c.id, c.lon, c.lat, c.district_code, c.site_category, c.location_kind, c.grade, c.state,
                c.name, c.address, c.installer, c.profiles, s.owner_org_id
           FROM cameras c JOIN source_systems s ON s.id = c.source_id WHERE c.id = $1 FOR UPDATE OF c`,
          [id],
        );
        const cur = found.rows[0];
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
        await w.tx.query(
          `UPDATE cameras SET name = $2, address = $3, lon = $4, lat = $5, district_code = $6, site_category = $7,
                location_kind = $8, grade = $9, installer = $10, profiles = $11, state = $12, updated_at = now()
          WHERE id = $1`,
          [
            id,
            next.name,
            next.address,
            next.lon,
            next.lat,
            next.districtCode,
            next.category,
            next.locationKind,
            next.grade,
            next.installer,
            JSON.stringify(next.profiles),
            next.state,
          ],
        );
        await w.done(next.state === 'removed' ? 'removed' : 'updated', { changes });
        return (await loadItem(w.tx, id)) as ItemRow;
      },
    );
    await changed(item.id);
    return toItem(item);
  };

  app.patch('/api/cameras/:id', async (req) => update(req, req.body, false));
  /** Removal is a state (R-REG-4, retention): the file stays, found by catalogue reads as `removed`. */
  app.delete('/api/cameras/:id', async (req) => update(req, { state: 'removed' }, true));
}
