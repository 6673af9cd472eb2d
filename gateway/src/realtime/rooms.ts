import { type CameraRecord, loadCamera } from '../cameras/facts.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import type { CurrentUser } from '../identity/index.ts';
import {
  decide,
  type IncidentFacts,
  incidentRoomsOf,
  mayUseWall,
  REGISTRY_ADMIN_ROLE,
  subjectOf,
} from '../policy/index.ts';
import { loadWall } from '../walls/index.ts';

/** The rooms of the realtime namespace: `<kind>:<id>`. */
export const wallRoom = (id: string) => `wall:${id}`;
export const cameraRoom = (id: string) => `camera:${id}`;
export const orgRoom = (id: string) => `org:${id.toLowerCase()}`;
/** Administrators (role registry_admin): storage alarms (R-REC-3). */
export const ADMINS_ROOM = 'admins:registry';

/** The rooms every socket of this user is in: its incidents', its organisation's, administrators'. */
export function standingRoomsOf(user: CurrentUser): string[] {
  return [
    ...incidentRoomsOf(user),
    orgRoom(user.orgId),
    ...(user.roles.includes(REGISTRY_ADMIN_ROLE) ? [ADMINS_ROOM] : []),
  ];
}

/** A room's kind and the rest of its name (`camera:<id>` → `camera`, `<id>`); none for a socket's own room. */
export function roomOf(room: string): { kind: string; id: string } | undefined {
  const colon = room.indexOf(':');
  return colon < 0 ? undefined : { kind: room.slice(0, colon), id: room.slice(colon + 1) };
}

/** The facts one re-check pass reads, each once and uncached (a pass after an invalidation must not reuse what it dropped). */
export class RecheckPass {
  readonly now = new Date();
  readonly #db: Db;
  readonly #decisions: DecisionService;
  readonly #walls = new Map<string, Promise<string | undefined>>();
  readonly #cameras = new Map<string, Promise<CameraRecord | undefined>>();
  #incidents: Promise<IncidentFacts[]> | undefined;

  constructor(db: Db, decisions: DecisionService) {
    this.#db = db;
    this.#decisions = decisions;
  }

  /** The organisation owning a wall, or undefined when there is no such wall. */
  wallOwner(id: string): Promise<string | undefined> {
    let p = this.#walls.get(id);
    if (!p) {
      p = loadWall(this.#db, id).then((w) => w?.ownerOrgId);
      this.#walls.set(id, p);
    }
    return p;
  }

  camera(id: string): Promise<CameraRecord | undefined> {
    let p = this.#cameras.get(id);
    if (!p) {
      p = loadCamera(this.#db, id);
      this.#cameras.set(id, p);
    }
    return p;
  }

  openIncidents(): Promise<IncidentFacts[]> {
    this.#incidents ??= this.#decisions.freshIncidents();
    return this.#incidents;
  }
}

/** Whether a user's socket may stay in a room of one kind (`id`: the room name after `<kind>:`). */
export type RoomCheck = (
  user: CurrentUser,
  id: string,
  room: string,
  pass: RecheckPass,
) => Promise<boolean> | boolean;

/**
 * Room kind → "still allowed", asked of every room of every socket by each re-check. A room of a
 * kind not listed here (a socket's own room) is kept.
 */
export const STILL_ALLOWED: ReadonlyMap<string, RoomCheck> = new Map<string, RoomCheck>([
  // The incident rooms its user is in the audience of now.
  ['incidents', (user, _id, room) => incidentRoomsOf(user).includes(room)],
  // A user who lost the administrator role is no longer told of storage alarms.
  ['admins', (user) => user.roles.includes(REGISTRY_ADMIN_ROLE)],
  // A user moved to another organisation is no longer told of the old one's cameras.
  ['org', (user, _id, room) => room === orgRoom(user.orgId)],
  // A wall the user may still use (and that still exists).
  [
    'wall',
    async (user, id, _room, pass) => {
      const owner = await pass.wallOwner(id);
      return owner !== undefined && mayUseWall(user, { ownerOrgId: owner });
    },
  ],
  // A camera the user may still `catalog:read`.
  [
    'camera',
    async (user, id, _room, pass) => {
      const camera = await pass.camera(id);
      if (camera === undefined) return false;
      const openIncidents = await pass.openIncidents();
      return decide(subjectOf(user), camera.facts, 'catalog:read', { now: pass.now, openIncidents }).allow;
    },
  ],
]);
