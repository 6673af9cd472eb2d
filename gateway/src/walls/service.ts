import { AppError, type CreateWall, type WallCommand, type WallState } from '@wall/protocol';
import { type AuditEntryInput, appendAudit } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import type { CurrentUser } from '../identity/index.ts';
import type { Logger } from '../lib/logger.ts';
import { type DenyReason, hidesCamera, mayUseWall, subjectOf } from '../policy/index.ts';
import { applyCommand, camerasOf, WallVersionConflict } from './reducer.ts';
import { insertWall, listWalls, loadWall, saveWall } from './repository.ts';

/** Who acts, from where (for the audit). */
export interface WallActor {
  user: CurrentUser;
  address: string;
}

export interface WallServiceDeps {
  db: Db;
  /** `catalog:read` of the cameras a command puts on a wall. */
  decisions: DecisionService;
  /** Records a refusal (no change to commit with it); resolves once committed. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  logger: Logger;
}

export type WallChangeListener = (state: WallState) => void;

// No message for `forbidden:tier`: that refusal is answered as `not_found:camera` (hidesCamera).
const DENY_MESSAGES: Partial<Record<DenyReason, string>> = {
  'forbidden:grade': 'your clearance is below this camera’s security grade',
  'forbidden:private': 'this privately owned camera is open only to its owner outside a major incident',
  'forbidden:role': 'your department may not read this camera',
  'forbidden:state': 'this camera cannot be shown',
};

/**
 * Walls: list, create, read and change them, for HTTP routes and sockets alike. Every change is
 * audited in its transaction and then announced to the `onChanged` listeners (the realtime server
 * broadcasts it to the wall's room on every gateway).
 */
export class WallService {
  readonly #db: Db;
  readonly #decisions: DecisionService;
  readonly #audit: WallServiceDeps['audit'];
  readonly #log: Logger;
  readonly #listeners = new Set<WallChangeListener>();

  constructor(deps: WallServiceDeps) {
    this.#db = deps.db;
    this.#decisions = deps.decisions;
    this.#audit = deps.audit;
    this.#log = deps.logger;
  }

  /** Calls `listener` after every committed change; returns the function that stops it. */
  onChanged(listener: WallChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The walls the user may use. */
  list(user: CurrentUser): Promise<WallState[]> {
    return listWalls(this.#db, user.orgId);
  }

  /**
   * A wall the user may use; `not_found:wall` otherwise — another organisation's wall is answered
   * like a missing one (its existence is not disclosed), and the refusal is audited (`wall.read`,
   * `forbidden:wall`) with the caller's address when known.
   */
  async get(user: CurrentUser, wallId: string, address: string | null = null): Promise<WallState> {
    const wall = await loadWall(this.#db, wallId);
    if (!wall) throw new AppError('not_found:wall', 'no such wall');
    if (!mayUseWall(user, wall)) {
      await this.#deny({ user, address }, 'wall.read', wall.id, 'forbidden:wall', {});
      throw new AppError('not_found:wall', 'no such wall');
    }
    return wall;
  }

  /** A new wall of the user's org, every tile empty, version 0; audited `wall.create`. */
  async create(actor: WallActor, input: CreateWall): Promise<WallState> {
    return this.#db.transaction(async (tx) => {
      const wall = await insertWall(tx, {
        name: input.name,
        ownerOrgId: actor.user.orgId,
        layout: input.layout,
      });
      await appendAudit(tx, {
        actorId: actor.user.id,
        actorName: actor.user.username,
        action: 'wall.create',
        targetKind: 'wall',
        targetId: wall.id,
        result: 'ok',
        reason: 'created',
        address: actor.address,
        detail: { name: wall.name, layout: wall.layout, ownerOrgId: wall.ownerOrgId },
      });
      return wall;
    });
  }

  /**
   * Applies a command: the user must be able to use the wall and read (`catalog:read`) every camera
   * it puts on the wall — a refusal is audited (`wall.update`, deny, the policy's code) and thrown
   * with that code. The change is stored only if the wall is still at `cmd.version`
   * (`WallVersionConflict` with the current state otherwise) and audited in the same transaction.
   */
  async command(actor: WallActor, wallId: string, cmd: WallCommand): Promise<WallState> {
    const wall = await loadWall(this.#db, wallId);
    if (!wall) throw new AppError('not_found:wall', 'no such wall');
    if (!mayUseWall(actor.user, wall)) {
      // Answered like a missing wall; the audit keeps why.
      await this.#deny(actor, 'wall.update', wall.id, 'forbidden:wall', { command: cmd.type });
      throw new AppError('not_found:wall', 'no such wall');
    }
    const now = new Date();
    const next = applyCommand(wall, cmd, now);
    const emergency = await this.#checkCameras(actor, wall.id, cmd, now);

    const saved = await this.#db.transaction(async (tx) => {
      const stored = await saveWall(tx, next, cmd.version);
      if (!stored) return undefined;
      await appendAudit(tx, {
        actorId: actor.user.id,
        actorName: actor.user.username,
        action: 'wall.update',
        targetKind: 'wall',
        targetId: wall.id,
        result: 'ok',
        reason: cmd.type,
        address: actor.address,
        emergency: emergency.length > 0,
        detail: {
          command: cmd,
          version: stored.version,
          ...(emergency.length > 0 ? { emergency } : {}),
        },
      });
      return stored;
    });
    if (!saved) {
      const current = await loadWall(this.#db, wall.id);
      if (!current) throw new AppError('not_found:wall', 'no such wall');
      throw new WallVersionConflict(current);
    }
    for (const listener of this.#listeners) {
      try {
        listener(saved);
      } catch (err) {
        this.#log.error({ err, wallId: wall.id }, 'wall change listener failed');
      }
    }
    return saved;
  }

  /** Decides `catalog:read` for each camera the command puts up; returns those allowed by emergency. */
  async #checkCameras(
    actor: WallActor,
    wallId: string,
    cmd: WallCommand,
    now: Date,
  ): Promise<{ cameraId: string; incidentId: string }[]> {
    const ids = camerasOf(cmd);
    if (ids.length === 0) return [];
    const subject = subjectOf(actor.user);
    const emergency: { cameraId: string; incidentId: string }[] = [];
    for (const id of ids) {
      const outcome = await this.#decisions.decide(subject, id, 'catalog:read', now);
      if (!outcome) throw new AppError('not_found:camera', `no such camera ${id}`);
      const { camera, decision: d } = outcome;
      if (!d.allow) {
        await this.#deny(actor, 'wall.update', wallId, d.reason, {
          command: cmd.type,
          cameraId: camera.facts.id,
        });
        // Outside the user's tier: answered exactly like a missing camera (the audit keeps why).
        if (hidesCamera(d)) throw new AppError('not_found:camera', `no such camera ${id}`);
        throw new AppError(d.reason, DENY_MESSAGES[d.reason] ?? 'denied');
      }
      if (d.emergency) emergency.push({ cameraId: camera.facts.id, incidentId: d.emergency.incidentId });
    }
    return emergency;
  }

  async #deny(
    actor: { user: CurrentUser; address: string | null },
    action: 'wall.read' | 'wall.update',
    wallId: string,
    reason: DenyReason | 'forbidden:wall',
    detail: Record<string, string>,
  ): Promise<void> {
    await this.#audit({
      actorId: actor.user.id,
      actorName: actor.user.username,
      action,
      targetKind: 'wall',
      targetId: wallId,
      result: 'deny',
      reason,
      address: actor.address,
      detail,
    });
  }
}
