import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import {
  AppError,
  bindRequests,
  cameraWatchSchema,
  capacityChangeSchema,
  channelsOf,
  emergencyUseNoticeSchema,
  errorAck,
  MAX_WATCHED_CAMERAS,
  REALTIME_NAMESPACE,
  REALTIME_PATH,
  type RealtimeClientToServerEvents,
  type RealtimeServerToClientEvents,
  SESSION_COOKIE,
  streamStatusSchema,
  wallCommandRequestSchema,
  wallRefSchema,
} from '@wall/protocol';
import type { Redis } from 'ioredis';
import { type Namespace, Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { AuditBatcher } from '../audit/index.ts';
import type { GatewayConfig } from '../config.ts';
import type { Db } from '../db/index.ts';
import { type DecisionService, invalidationSchema } from '../decisions/index.ts';
import { type CurrentUser, findUserById, SessionStore } from '../identity/index.ts';
import type { Logger } from '../lib/logger.ts';
import { incidentAudience, subjectOf } from '../policy/index.ts';
import { type WallService, WallVersionConflict } from '../walls/index.ts';
import { cookieValue, originAllowed, refusal } from './handshake.ts';
import { loadIncident } from './incidents.ts';
import {
  ADMINS_ROOM,
  cameraRoom,
  orgRoom,
  RecheckPass,
  roomOf,
  STILL_ALLOWED,
  standingRoomsOf,
  wallRoom,
} from './rooms.ts';

export interface RealtimeDeps {
  config: Pick<GatewayConfig, 'WEB_ORIGINS' | 'SESSION_IDLE_TIMEOUT_S' | 'SESSION_ABSOLUTE_TIMEOUT_S'>;
  db: Db;
  /** The gateway's Redis: sessions are read through it; pub/sub use duplicates of it. */
  redis: Redis;
  logger: Logger;
  walls: WallService;
  /** The gateway's access decisions (`catalog:read` of watched cameras). */
  decisions: DecisionService;
  /** How often every connected socket's session and rooms are checked again (ms). Default 10 000. */
  recheckMs?: number;
}

/** A socket of this gateway as the realtime server's events describe it. */
export interface RealtimeSocketInfo {
  socketId: string;
  userId: string;
}

export interface RealtimeEvents {
  /** A signed-in user's socket passed the handshake and joined its organisation's and incident rooms. */
  'socket:connected': [info: RealtimeSocketInfo];
  /** It went away: the client left, or the server dropped it (session ended, gateway closing). */
  'socket:disconnected': [info: RealtimeSocketInfo, reason: string];
}

interface SocketData {
  sessionId: string;
  user: CurrentUser;
  address: string;
}

type IoServer = Server<
  RealtimeClientToServerEvents,
  RealtimeServerToClientEvents,
  Record<never, never>,
  SocketData
>;
type RealtimeSocket = Socket<
  RealtimeClientToServerEvents,
  RealtimeServerToClientEvents,
  Record<never, never>,
  SocketData
>;
type RealtimeNamespace = Namespace<
  RealtimeClientToServerEvents,
  RealtimeServerToClientEvents,
  Record<never, never>,
  SocketData
>;

const emergencyUseMessageSchema = z.object({ ownerOrgId: z.guid(), notice: emergencyUseNoticeSchema });

/** What a Redis channel's message goes to once it parsed as JSON (see `#handler`: its schema first). */
type ChannelHandler = (json: unknown, channel: string) => void;

/**
 * The gateway's realtime server: socket.io at `/socket.io`, namespace `/realtime`, the Redis adapter
 * (so a broadcast from one gateway reaches the sockets of every gateway).
 *
 * - Handshake: the `Origin` must be one of WEB_ORIGINS (`forbidden:origin`) and the `wall_sid`
 *   cookie a live session of an enabled user (`auth:required`). Every event checks the session
 *   again (a revoked one answers `auth:required` and disconnects), and every `recheckMs` all
 *   sockets are checked: session, user, and each room (wall, camera, incident, organisation)
 *   against the user's rights now ({@link STILL_ALLOWED}) — a logged-out socket is disconnected,
 *   a room no longer allowed is left.
 * - Walls: `wall:join` only for a wall the user may use; `wall:command` goes through the
 *   `WallService` (policy, version, audit); every committed change — from a socket or from HTTP —
 *   is broadcast as `wall:updated` to `wall:<id>` through the adapter.
 * - Cameras: `camera:watch` joins `camera:<id>` for the cameras the user may `catalog:read`
 *   (audited `camera.watch`); the stream status published by media nodes on Redis is emitted to
 *   those rooms by every gateway to its own sockets.
 * - Emergency uses (R-ACC-4): every socket is in its organisation's room; a use of one of the
 *   organisation's cameras under a major incident's grant, announced on Redis by the gateway that
 *   issued the token, is emitted as `access:emergency` by every gateway to its own sockets there.
 * - Storage alarms (R-REC-3): administrators' sockets (role registry_admin) are in `admins:registry`;
 *   a capacity change announced on Redis by the gateway that checked is emitted there as
 *   `recording:capacity` by every gateway to its own sockets.
 * - Incidents: every change is announced on `policy:invalidate` (`{ kind: 'incident', id }`, after
 *   its commit, by the incidents routes). Every gateway loads the incident and emits it to its own
 *   sockets in the rooms of `incidentAudience` (see `incidentRoomsOf` for who is told):
 *   `incident:opened` while open, `incident:closed` once closed. Any invalidation (incident,
 *   camera, source, user) also re-checks the rooms of the connected sockets.
 *
 * Attaches to the HTTP server when constructed; `close()` disconnects this gateway's sockets,
 * then stops the subscriptions and closes its Redis connections (not the HTTP server: Fastify owns it).
 */
export class Realtime extends EventEmitter<RealtimeEvents> {
  readonly io: IoServer;
  /** Resolves once the Redis subscriptions (adapter, stream status, incidents) are in place. */
  readonly ready: Promise<void>;
  readonly #deps: RealtimeDeps;
  readonly #log: Logger;
  readonly #nsp: RealtimeNamespace;
  readonly #sessions: SessionStore;
  readonly #audit: AuditBatcher;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #events: Redis;
  readonly #timer: NodeJS.Timeout;
  readonly #stopWalls: () => void;
  #running: Promise<void> | undefined;
  #again = false;
  #closing: Promise<void> | undefined;

  constructor(httpServer: HttpServer, deps: RealtimeDeps) {
    super();
    this.#deps = deps;
    const log = deps.logger.child({ feature: 'realtime' });
    this.#log = log;
    const origins = deps.config.WEB_ORIGINS;
    this.#sessions = new SessionStore(deps.redis, {
      idleTimeoutS: deps.config.SESSION_IDLE_TIMEOUT_S,
      absoluteTimeoutS: deps.config.SESSION_ABSOLUTE_TIMEOUT_S,
    });
    this.#audit = new AuditBatcher(deps.db);
    this.#pub = this.#duplicate('adapter-pub');
    this.#sub = this.#duplicate('adapter-sub');
    this.#events = this.#duplicate('events');
    const channels = channelsOf(deps.redis);

    this.io = new Server(httpServer, {
      path: REALTIME_PATH,
      serveClient: false,
      cors: { origin: [...origins], credentials: true },
      maxHttpBufferSize: 256 * 1024,
      adapter: createAdapter(this.#pub, this.#sub, { key: channels.socketIo }),
    });
    // Only /realtime exists.
    this.io.use((_socket, next) => next(refusal('not_found:route', `connect to ${REALTIME_NAMESPACE}`)));
    const nsp: RealtimeNamespace = this.io.of(REALTIME_NAMESPACE);
    this.#nsp = nsp;

    nsp.use((socket, next) => {
      const headers = socket.handshake.headers;
      if (!originAllowed(headers.origin, origins)) {
        next(refusal('forbidden:origin', 'this origin may not connect'));
        return;
      }
      const sid = cookieValue(headers.cookie, SESSION_COOKIE);
      (async () => {
        const session = await this.#sessions.get(sid);
        const user = session ? await findUserById(deps.db, session.userId) : undefined;
        if (!session || !user) return next(refusal('auth:required', 'sign in first'));
        socket.data = { sessionId: session.id, user, address: socket.handshake.address };
        next();
      })().catch((err: unknown) => {
        log.error({ err }, 'socket handshake failed');
        next(refusal('internal', 'internal error'));
      });
    });

    nsp.on('connection', (socket) => this.#onConnection(socket));

    // Wall changes, wherever made on this gateway, go to the room on every gateway (adapter).
    this.#stopWalls = deps.walls.onChanged((state) => {
      nsp.to(wallRoom(state.id)).emit('wall:updated', state);
    });

    // Stream status, emergency uses and invalidations are published on Redis to every gateway: each
    // one emits them to its own sockets only (`local`), so a socket gets each message once.
    const handlers = new Map<string, ChannelHandler>([
      [
        channels.streamStatus,
        this.#handler(streamStatusSchema, 'invalid stream status', (status) => {
          nsp.local.to(cameraRoom(status.cameraId.toLowerCase())).emit('camera:status', status);
        }),
      ],
      [
        channels.emergencyUse,
        this.#handler(emergencyUseMessageSchema, 'invalid emergency use', (use) => {
          nsp.local.to(orgRoom(use.ownerOrgId)).emit('access:emergency', use.notice);
        }),
      ],
      [
        channels.recordingCapacity,
        this.#handler(capacityChangeSchema, 'invalid capacity change', (change) => {
          nsp.local.to(ADMINS_ROOM).emit('recording:capacity', change);
        }),
      ],
      [
        channels.policyInvalidate,
        this.#handler(invalidationSchema, 'invalid policy invalidation', (inv) => {
          if (inv.kind === 'incident' && inv.id) this.#announceIncident(inv.id);
          // Rights may have changed (an emergency grant ended, a camera or user changed).
          this.recheck().catch((err: unknown) => log.error({ err }, 'recheck failed'));
        }),
      ],
    ]);
    this.#events.on('message', (channel: string, message: string) => {
      const handle = handlers.get(channel);
      if (!handle) return;
      let json: unknown;
      try {
        json = JSON.parse(message);
      } catch {
        log.warn({ channel }, 'message is not JSON');
        return;
      }
      handle(json, channel);
    });

    const events = this.#events;
    const sub = this.#sub;
    this.ready = (async () => {
      await events.subscribe(...handlers.keys());
      // The adapter subscribed when the namespaces were made; a PING after it answers once it did.
      await sub.ping();
    })();
    this.ready.catch((err: unknown) => log.error({ err }, 'realtime subscriptions failed'));

    this.#timer = setInterval(() => {
      this.recheck().catch((err: unknown) => log.error({ err }, 'recheck failed'));
    }, deps.recheckMs ?? 10_000);
    this.#timer.unref();
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Checks every local socket's session and rooms now (also runs every `recheckMs`). */
  recheck(): Promise<void> {
    if (this.#running) {
      // Asked during a pass: run one more after it, with what changed in between.
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#recheckAll();
      } while (this.#again && !this.#closing);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Disconnects the sockets, stops the subscriptions, closes the Redis duplicates. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.#stopWalls();
      this.#events.removeAllListeners('message');
      // Not io.close(): that would also close the HTTP server, which Fastify owns.
      // Only this gateway's sockets (`disconnectSockets` would reach every gateway's through the adapter).
      for (const n of [this.io.of('/'), this.#nsp]) {
        for (const socket of [...n.sockets.values()]) socket.disconnect(true);
        await n.adapter.close();
      }
      this.io.engine.close();
      await this.#running?.catch(() => undefined);
      await this.ready.catch(() => undefined);
      await this.#audit.close();
      await Promise.allSettled([this.#events.quit(), this.#pub.quit(), this.#sub.quit()]);
    })();
    return this.#closing;
  }

  // Offline queue and no per-request retry limit: a publish while Redis is away waits for it
  // instead of rejecting (the adapter does not handle rejected publishes).
  #duplicate(name: string): Redis {
    const c = this.#deps.redis.duplicate({
      lazyConnect: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    c.on('error', (err: Error) => this.#log.warn({ err: err.message, connection: name }, 'redis error'));
    return c;
  }

  #handler<S extends z.ZodType>(
    schema: S,
    invalid: string,
    handle: (message: z.output<S>) => void,
  ): ChannelHandler {
    return (json, channel) => {
      const parsed = schema.safeParse(json);
      if (!parsed.success) return void this.#log.warn({ channel }, invalid);
      handle(parsed.data);
    };
  }

  /** Loads the incident and emits it to its audience's rooms on this gateway. */
  #announceIncident(id: string): void {
    const deps = this.#deps;
    loadIncident(deps.db, id, deps.decisions.emergencyGrantMaxMs).then(
      (incident) => {
        if (!incident) return;
        const event = incident.closedAt === null ? 'incident:opened' : 'incident:closed';
        this.#nsp.local.to(incidentAudience(incident)).emit(event, incident);
      },
      (err: unknown) => this.#log.error({ err, incidentId: id }, 'incident not loaded'),
    );
  }

  /**
   * The session must still live (Redis, every time) and its user be enabled: per event through the
   * decision service's user cache (dropped on every gateway when the user changes, like the HTTP
   * routes' `req.auth`), in the periodic pass read fresh from the database.
   */
  async #refresh(socket: RealtimeSocket, fresh = false): Promise<boolean> {
    const session = await this.#sessions.get(socket.data.sessionId);
    if (!session) return false;
    const user = fresh
      ? await findUserById(this.#deps.db, session.userId)
      : await this.#deps.decisions.user(session.userId);
    if (!user) return false;
    socket.data.user = user;
    return true;
  }

  #onConnection(socket: RealtimeSocket): void {
    const deps = this.#deps;
    const info: RealtimeSocketInfo = { socketId: socket.id, userId: socket.data.user.id };
    const slog = this.#log.child({ userId: info.userId, socketId: socket.id });
    const internal = (err: unknown) => slog.error({ err }, 'realtime request failed');
    socket.join(standingRoomsOf(socket.data.user));
    socket.on('disconnect', (reason) => this.emit('socket:disconnected', info, reason));

    // Every event re-checks the session: a revoked one loses the socket.
    socket.use((packet, next) => {
      const ack = packet[packet.length - 1];
      this.#refresh(socket).then(
        (ok) => {
          if (ok) return next();
          if (typeof ack === 'function') {
            ack({ ok: false, error: { code: 'auth:required', message: 'the session has ended' } });
          }
          socket.disconnect(true);
        },
        (err: unknown) => {
          if (!(err instanceof AppError)) internal(err);
          if (typeof ack === 'function') ack(errorAck(err));
        },
      );
    });

    const on = bindRequests<RealtimeClientToServerEvents>(socket, {
      onInternalError: internal,
      // A stale wall command is answered with the wall as it is now.
      failureFields: (err) => (err instanceof WallVersionConflict ? { current: err.current } : undefined),
    });
    const actor = () => ({ user: socket.data.user, address: socket.data.address });
    const watching = () =>
      [...socket.rooms].flatMap((r) => {
        const room = roomOf(r);
        return room?.kind === 'camera' ? [room.id] : [];
      });

    on('wall:join', wallRefSchema, async ({ wallId }) => {
      await deps.walls.get(socket.data.user, wallId); // not_found:wall, forbidden:wall
      await socket.join(wallRoom(wallId.toLowerCase()));
      // Read after joining, so no change between the read and the join is missed.
      return deps.walls.get(socket.data.user, wallId);
    });

    on('wall:leave', wallRefSchema, async ({ wallId }) => {
      await socket.leave(wallRoom(wallId.toLowerCase()));
      return null;
    });

    // The server's clock: every display of a wall follows its playback clock by it.
    on('time:now', undefined, async () => ({ now: Date.now() }));

    on('wall:command', wallCommandRequestSchema, async ({ wallId, command }) =>
      deps.walls.command(actor(), wallId.toLowerCase(), command),
    );

    on('camera:watch', cameraWatchSchema, async ({ cameraIds }) => {
      const user = socket.data.user;
      const ids = [...new Set(cameraIds.map((i) => i.toLowerCase()))];
      const subject = subjectOf(user);
      let watched = watching().length;
      const accepted: string[] = [];
      const denied: { cameraId: string; reason: string }[] = [];
      for (const id of ids) {
        const d = (await deps.decisions.decide(subject, id, 'catalog:read'))?.decision;
        if (!d) denied.push({ cameraId: id, reason: 'not_found:camera' });
        else if (!d.allow) denied.push({ cameraId: id, reason: d.reason });
        else if (!socket.rooms.has(cameraRoom(id)) && watched >= MAX_WATCHED_CAMERAS)
          denied.push({ cameraId: id, reason: 'invalid:request' });
        else {
          if (!socket.rooms.has(cameraRoom(id))) watched++;
          accepted.push(id);
        }
      }
      // One entry per request: every camera's decision is in its detail.
      await this.#audit.append({
        actorId: user.id,
        actorName: user.username,
        action: 'camera.watch',
        targetKind: 'camera',
        targetId: ids.length === 1 ? ids[0] : null,
        result: denied.length === 0 ? 'allow' : 'deny',
        reason: denied[0]?.reason ?? 'allowed',
        address: socket.data.address,
        detail: { policyAction: 'catalog:read', accepted, denied },
      });
      await socket.join(accepted.map(cameraRoom));
      return { accepted };
    });

    on('camera:unwatch', cameraWatchSchema, async ({ cameraIds }) => {
      for (const id of cameraIds) await socket.leave(cameraRoom(id.toLowerCase()));
      return { watching: watching() };
    });

    this.emit('socket:connected', info);
  }

  // Uncached facts: a pass after an invalidation must not reuse what the invalidation dropped.
  async #recheckAll(): Promise<void> {
    const sockets = [...this.#nsp.sockets.values()];
    if (sockets.length === 0) return;
    const pass = new RecheckPass(this.#deps.db, this.#deps.decisions);
    for (const socket of sockets) {
      if (!socket.connected) continue;
      if (!(await this.#refresh(socket, true))) {
        socket.disconnect(true);
        continue;
      }
      const user = socket.data.user;
      for (const name of [...socket.rooms]) {
        const room = roomOf(name);
        const stillAllowed = room && STILL_ALLOWED.get(room.kind);
        if (stillAllowed && !(await stillAllowed(user, room.id, name, pass))) await socket.leave(name);
      }
      await socket.join(standingRoomsOf(user));
    }
  }
}
