import { channelsOf } from '@wall/protocol';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { type CameraRecord, loadCameras, openIncidents } from '../cameras/facts.ts';
import type { Queryable } from '../db/index.ts';
import { type CurrentUser, findUserById } from '../identity/users.ts';
import type { Logger } from '../lib/logger.ts';
import { type Action, type Decision, decide, type IncidentFacts, type Subject } from '../policy/index.ts';

export const invalidationSchema = z.object({
  kind: z.enum(['camera', 'source', 'user', 'incident', 'all']),
  id: z.string().max(100).optional(),
});
export type Invalidation = z.infer<typeof invalidationSchema>;

export interface DecisionServiceOptions {
  /** How long a camera's facts, the open incidents and a decision may be reused. */
  ttlMs: number;
  /** Most cached decisions (oldest dropped first); cameras are capped the same. */
  maxEntries: number;
  /**
   * An emergency grant ends this long after its incident opened, even if the incident is still
   * open (R-ACC-4 "or a set maximum"); 0 or absent: it ends when the incident closes.
   */
  emergencyGrantMaxMs?: number;
}

interface CameraWaiter {
  resolve: (r: CameraRecord | undefined) => void;
  reject: (e: unknown) => void;
}

interface Timed<T> {
  value: T;
  expires: number;
}

export interface DecisionOutcome {
  camera: CameraRecord;
  decision: Decision;
  /** Whether the decision came from the cache. */
  cached: boolean;
}

/**
 * Decisions for one subject, camera and action (R-ACC-1), with what they are made of cached
 * briefly: the camera's facts, the open incidents and the decision itself. Nothing cached outlives
 * `ttlMs`, and every change is announced on `CHANNELS.policyInvalidate` so that all gateways
 * drop what it touches at once — a closed incident ends its emergency grants everywhere, not
 * `ttlMs` later. A load that raced an invalidation is used for its request but not kept. A lost
 * subscription (Redis reconnect) drops everything, since announcements may have been missed.
 *
 * The decision key includes every subject fact the policy reads, and the subject is loaded per
 * request: a changed user (roles, clearance, org) never hits an entry made for the old facts.
 */
export class DecisionService {
  readonly #db: Queryable;
  readonly #redis: Redis;
  readonly #log: Logger;
  readonly #opts: DecisionServiceOptions;
  #sub: Redis | null = null;
  #subscribed: Promise<void> = Promise.resolve();
  #epoch = 0;
  #cameras = new Map<string, Timed<CameraRecord | undefined>>();
  #incidents: Timed<IncidentFacts[]> | null = null;
  #users = new Map<string, Timed<CurrentUser | undefined>>();
  /** Reads in flight, joined by later callers of the same epoch. */
  #cameraLoads = new Map<string, Promise<CameraRecord | undefined>>();
  #incidentLoad: Promise<IncidentFacts[]> | null = null;
  /** Cameras asked for in this turn of the event loop, read together. */
  #cameraBatch: Map<string, CameraWaiter[]> | null = null;
  /** cameraId → (subject/action key → decision). */
  #decisions = new Map<string, Map<string, Timed<Decision>>>();
  #decisionCount = 0;
  #hits = 0;
  #misses = 0;

  readonly #onUserChanged: ((userId: string) => void) | undefined;

  constructor(
    deps: {
      db: Queryable;
      redis: Redis;
      logger: Logger;
      /**
       * Told once per announced user change (heard on Redis, whichever process announced it): the
       * user's rights may have changed, so their running streams end.
       */
      onUserChanged?: (userId: string) => void;
    },
    options: DecisionServiceOptions,
  ) {
    this.#onUserChanged = deps.onUserChanged;
    this.#db = deps.db;
    this.#redis = deps.redis;
    this.#log = deps.logger;
    this.#opts = options;
  }

  /**
   * Subscribes to invalidations (connecting in the background when Redis is down; `subscribed()`
   * resolves once listening). Without it the cache still expires by TTL.
   */
  start(): void {
    if (this.#sub) return;
    const sub = this.#redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    this.#sub = sub;
    sub.on('message', (_channel: string, message: string) => {
      let parsed: Invalidation;
      try {
        parsed = invalidationSchema.parse(JSON.parse(message));
      } catch {
        this.#log.warn({ message: message.slice(0, 200) }, 'ignored a malformed policy invalidation');
        return;
      }
      this.#drop(parsed);
      if (parsed.kind === 'user' && parsed.id) this.#onUserChanged?.(parsed.id);
    });
    // Anything announced while disconnected is lost: start from nothing after a reconnect.
    sub.on('ready', () => this.#drop({ kind: 'all' }));
    sub.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'policy invalidation subscriber'));
    this.#subscribed = sub.subscribe(channelsOf(this.#redis).policyInvalidate).then(
      () => undefined,
      (err: unknown) => this.#log.warn({ err }, 'policy invalidation subscribe failed'),
    );
  }

  /** Resolves once the invalidation channel is subscribed (or the attempt failed and was logged). */
  subscribed(): Promise<void> {
    return this.#subscribed;
  }

  async close(): Promise<void> {
    const sub = this.#sub;
    this.#sub = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  /** Drops what the change touches here, then tells every other gateway. */
  async invalidate(inv: Invalidation): Promise<void> {
    this.#drop(inv);
    await this.#redis.publish(channelsOf(this.#redis).policyInvalidate, JSON.stringify(inv));
  }

  stats(): { hits: number; misses: number; decisions: number; cameras: number } {
    return {
      hits: this.#hits,
      misses: this.#misses,
      decisions: this.#decisionCount,
      cameras: this.#cameras.size,
    };
  }

  /**
   * A camera's facts. Misses are coalesced: every camera asked for in the same turn of the event
   * loop is read in one query, and a camera already being read is not read twice — unless an
   * invalidation came in between, which starts a fresh read.
   */
  async camera(id: string): Promise<CameraRecord | undefined> {
    const now = Date.now();
    const hit = this.#cameras.get(id);
    if (hit && hit.expires > now) return hit.value;
    const pending = this.#cameraLoads.get(id);
    if (pending) return pending;
    const epoch = this.#epoch;
    const load = this.#queueCamera(id).then((value) => {
      if (this.#cameraLoads.get(id) === load) this.#cameraLoads.delete(id);
      if (epoch === this.#epoch) this.#keep(this.#cameras, id, value, now);
      return value;
    });
    this.#cameraLoads.set(id, load);
    // A failed read is not shared with later callers.
    load.catch(() => {
      if (this.#cameraLoads.get(id) === load) this.#cameraLoads.delete(id);
    });
    return load;
  }

  #queueCamera(id: string): Promise<CameraRecord | undefined> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      const batch = this.#cameraBatch;
      if (batch) {
        // The same id twice in one batch: an invalidation came between the two asks.
        const waiters = batch.get(id);
        if (waiters) waiters.push(waiter);
        else batch.set(id, [waiter]);
        return;
      }
      const fresh = new Map([[id, [waiter]]]);
      this.#cameraBatch = fresh;
      setImmediate(() => {
        this.#cameraBatch = null;
        loadCameras(this.#db, [...fresh.keys()]).then(
          (found) => {
            for (const [k, ws] of fresh) for (const w of ws) w.resolve(found.get(k));
          },
          (err: unknown) => {
            for (const ws of fresh.values()) for (const w of ws) w.reject(err);
          },
        );
      });
    });
  }

  /**
   * The user of a session, as the policy sees it (roles, clearance, org, tier); `undefined` when
   * unknown or disabled. Kept like a camera's facts: at most `ttlMs`, dropped on a `user`
   * announcement. A change made behind the API's back (SQL) takes effect within `ttlMs`.
   */
  async user(id: string): Promise<CurrentUser | undefined> {
    const now = Date.now();
    const hit = this.#users.get(id);
    if (hit && hit.expires > now) return hit.value;
    const epoch = this.#epoch;
    const value = await findUserById(this.#db, id);
    if (epoch === this.#epoch) this.#keep(this.#users, id, value, now);
    return value;
  }

  /** The set maximum of an emergency grant after its incident's opening (ms); 0: none. */
  get emergencyGrantMaxMs(): number {
    return this.#opts.emergencyGrantMaxMs ?? 0;
  }

  /** The open incidents read now, not cached, each grant cut at the set maximum. */
  freshIncidents(): Promise<IncidentFacts[]> {
    return openIncidents(this.#db, this.emergencyGrantMaxMs);
  }

  /** The open incidents; concurrent misses share one read (unless an invalidation came between). */
  async incidents(): Promise<IncidentFacts[]> {
    const now = Date.now();
    if (this.#incidents && this.#incidents.expires > now) return this.#incidents.value;
    if (this.#incidentLoad) return this.#incidentLoad;
    const epoch = this.#epoch;
    const load = this.freshIncidents().then(
      (value) => {
        if (this.#incidentLoad === load) this.#incidentLoad = null;
        if (epoch === this.#epoch) this.#incidents = { value, expires: now + this.#opts.ttlMs };
        return value;
      },
      (err: unknown) => {
        if (this.#incidentLoad === load) this.#incidentLoad = null;
        throw err;
      },
    );
    this.#incidentLoad = load;
    return load;
  }

  /** The decision for a camera by id; `undefined` when there is no such camera. */
  async decide(
    subject: Subject,
    cameraId: string,
    action: Action,
    now: Date = new Date(),
  ): Promise<DecisionOutcome | undefined> {
    const camera = await this.camera(cameraId);
    if (!camera) return undefined;
    const key = subjectKey(subject, action);
    const t = now.getTime();
    const perCamera = this.#decisions.get(cameraId);
    const hit = perCamera?.get(key);
    if (hit && hit.expires > t) {
      this.#hits += 1;
      return { camera, decision: hit.value, cached: true };
    }
    this.#misses += 1;
    const epoch = this.#epoch;
    const openIncidents = await this.incidents();
    const decision = decide(subject, camera.facts, action, { now, openIncidents });
    if (epoch === this.#epoch) {
      // An emergency allow is kept no longer than its grant: not past the incident's end.
      const grant = decision.allow ? decision.emergency : undefined;
      const grantEnd = grant && openIncidents.find((i) => i.id === grant.incidentId)?.closedAt?.getTime();
      const expires = Math.min(t + this.#opts.ttlMs, grantEnd ?? Number.POSITIVE_INFINITY);
      this.#remember(cameraId, key, { value: decision, expires });
    }
    return { camera, decision, cached: false };
  }

  /** Keeps a loaded value for `ttlMs` from `loadedAt`, newest last; the oldest goes beyond `maxEntries`. */
  #keep<V>(map: Map<string, Timed<V>>, id: string, value: V, loadedAt: number): void {
    if (this.#opts.ttlMs <= 0) return;
    map.delete(id);
    map.set(id, { value, expires: loadedAt + this.#opts.ttlMs });
    if (map.size > this.#opts.maxEntries) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }

  #remember(cameraId: string, key: string, entry: Timed<Decision>): void {
    let perCamera = this.#decisions.get(cameraId);
    if (!perCamera) {
      perCamera = new Map();
      this.#decisions.set(cameraId, perCamera);
    }
    if (!perCamera.has(key)) this.#decisionCount += 1;
    perCamera.set(key, entry);
    if (this.#decisionCount > this.#opts.maxEntries) {
      // Drop the camera cached longest ago with everything decided about it.
      const oldest = this.#decisions.keys().next();
      if (!oldest.done) this.#dropCamera(oldest.value);
    }
  }

  #dropCamera(id: string): void {
    const perCamera = this.#decisions.get(id);
    if (perCamera) this.#decisionCount -= perCamera.size;
    this.#decisions.delete(id);
    this.#cameras.delete(id);
  }

  #drop(inv: Invalidation): void {
    this.#epoch += 1;
    // Reads begun before this change still answer their callers, but nobody new joins them.
    this.#cameraLoads.clear();
    this.#incidentLoad = null;
    if (inv.kind === 'camera' && inv.id) {
      this.#dropCamera(inv.id);
      return;
    }
    if (inv.kind === 'user' && inv.id) {
      this.#users.delete(inv.id);
      const prefix = `${inv.id}\u0000`;
      for (const perCamera of this.#decisions.values()) {
        for (const k of perCamera.keys()) {
          if (k.startsWith(prefix)) {
            perCamera.delete(k);
            this.#decisionCount -= 1;
          }
        }
      }
      return;
    }
    // Incidents change emergency grants of many cameras; a source change touches all of its
    // cameras. Both are rare: start over.
    this.#decisions.clear();
    this.#decisionCount = 0;
    this.#incidents = null;
    if (inv.kind === 'all') this.#users.clear();
    if (inv.kind !== 'incident') this.#cameras.clear();
  }
}

/** Every subject fact `decide()` reads, so a changed user never matches an old entry. */
function subjectKey(s: Subject, action: Action): string {
  return `${s.userId}\u0000${action}\u0000${s.orgId}\u0000${s.tier}\u0000${s.districtCode ?? ''}\u0000${s.departmentKind}\u0000${s.clearance}\u0000${s.countyPoliceCertificate ? 1 : 0}\u0000${[...s.roles].sort().join(',')}`;
}
