import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import {
  AppError,
  cameraWatchSchema,
  channelsOf,
  type ErrorBody,
  emergencyUseNoticeSchema,
  MAX_WATCHED_CAMERAS,
  REALTIME_NAMESPACE,
  REALTIME_PATH,
  type RealtimeClientToServerEvents,
  type RealtimeServerToClientEvents,
  SESSION_COOKIE,
  streamStatusSchema,
  type WallCommandAck,
  wallCommandRequestSchema,
  wallRefSchema,
} from '@wall/protocol';
import type { Redis } from 'ioredis';
import { type Namespace, Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { AuditBatcher } from '../audit/index.ts';
import { type CameraRecord, loadCamera } from '../cameras/facts.ts';
import type { GatewayConfig } from '../config.ts';
import type { Db } from '../db/index.ts';
import { type DecisionService, invalidationSchema } from '../decisions/index.ts';
import { type CurrentUser, findUserById, SessionStore } from '../identity/index.ts';
import type { Logger } from '../lib/logger.ts';
import { subjectOf } from '../live/index.ts';
import { decide, type IncidentFacts, incidentAudience, incidentRoomsOf } from '../policy/index.ts';
import { loadWall, mayUseWall, type WallService, WallVersionConflict } from '../walls/index.ts';
import { cookieValue, originAllowed, refusal } from './handshake.ts';
import { loadIncident } from './incidents.ts';

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

export interface Realtime {
  readonly io: RealtimeServer;
  /** Resolves once the Redis subscriptions (adapter, stream status, incidents) are in place. */
  readonly ready: Promise<void>;
  /** Checks every local socket's session and rooms now (also runs every `recheckMs`). */
  recheck(): Promise<void>;
  /** Disconnects the sockets, stops the subscriptions, closes the Redis duplicates. Idempotent. */
  close(): Promise<void>;
}

interface SocketData {
  sessionId: string;
  user: CurrentUser;
  address: string;
}

type RealtimeServer = Server<
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

const wallRoom = (id: string) => `wall:${id}`;
const cameraRoom = (id: string) => `camera:${id}`;
const WALL_PREFIX = 'wall:';
const CAMERA_PREFIX = 'camera:';
const INCIDENT_PREFIX = 'incidents:';
const orgRoom = (id: string) => `org:${id.toLowerCase()}`;
const ORG_PREFIX = 'org:';
const emergencyUseMessageSchema = z.object({ ownerOrgId: z.guid(), notice: emergencyUseNoticeSchema });

function errorBody(err: unknown, log: Logger): ErrorBody {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  log.error({ err }, 'realtime request failed');
  return { code: 'internal', message: 'internal error' };
}

/**
 * The gateway's realtime server: socket.io at `/socket.io`, namespace `/realtime`, the Redis adapter
 * (so a broadcast from one gateway reaches the sockets of every gateway).
 *
 * - Handshake: the `Origin` must be one of WEB_ORIGINS (`forbidden:origin`) and the `wall_sid`
 *   cookie a live session of an enabled user (`auth:required`). Every event checks the session
 *   again (a revoked one answers `auth:required` and disconnects), and every `recheckMs` all
 *   sockets are checked: session, user, and each room (wall, camera, incident) against the user's
 *   rights now — a logged-out socket is disconnected, a room no longer allowed is left.
 * - Walls: `wall:join` only for a wall the user may use; `wall:command` goes through the
 *   `WallService` (policy, version, audit); every committed change — from a socket or from HTTP —
 *   is broadcast as `wall:updated` to `wall:<id>` through the adapter.
 * - Cameras: `camera:watch` joins `camera:<id>` for the cameras the user may `catalog:read`
 *   (audited `camera.watch`); the stream status published by media nodes on Redis is emitted to
 *   those rooms by every gateway to its own sockets.
 * - Emergency uses (R-ACC-4): every socket is in its organisation's room; a use of one of the
 *   organisation's cameras under a major incident's grant, announced on Redis by the gateway that
 *   issued the token, is emitted as `access:emergency` by every gateway to its own sockets there.
 * - Incidents: every change is announced on `policy:invalidate` (`{ kind: 'incident', id }`, after
 *   its commit, by the incidents routes). Every gateway loads the incident and emits it to its own
 *   sockets in the rooms of `incidentAudience` (see `incidentRoomsOf` for who is told):
 *   `incident:opened` while open, `incident:closed` once closed. Any invalidation (incident,
 *   camera, source, user) also re-checks the rooms of the connected sockets.
 */
export function attachRealtime(httpServer: HttpServer, deps: RealtimeDeps): Realtime {
  const log = deps.logger.child({ feature: 'realtime' });
  const origins = deps.config.WEB_ORIGINS;
  const sessions = new SessionStore(deps.redis, {
    idleTimeoutS: deps.config.SESSION_IDLE_TIMEOUT_S,
    absoluteTimeoutS: deps.config.SESSION_ABSOLUTE_TIMEOUT_S,
  });

  // Offline queue and no per-request retry limit: a publish while Redis is away waits for it
  // instead of rejecting (the adapter does not handle rejected publishes).
  const duplicate = (name: string) => {
    const c = deps.redis.duplicate({
      lazyConnect: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    c.on('error', (err: Error) => log.warn({ err: err.message, connection: name }, 'redis error'));
    return c;
  };
  const audit = new AuditBatcher(deps.db);
  const pub = duplicate('adapter-pub');
  const sub = duplicate('adapter-sub');
  const events = duplicate('events');
  const channels = channelsOf(deps.redis);

  const io: RealtimeServer = new Server(httpServer, {
    path: REALTIME_PATH,
    serveClient: false,
    cors: { origin: [...origins], credentials: true },
    maxHttpBufferSize: 256 * 1024,
    adapter: createAdapter(pub, sub, { key: channels.socketIo }),
  });
  // Only /realtime exists.
  io.use((_socket, next) => next(refusal('not_found:route', `connect to ${REALTIME_NAMESPACE}`)));
  const nsp: RealtimeNamespace = io.of(REALTIME_NAMESPACE);

  /**
   * The session must still live (Redis, every time) and its user be enabled: per event through the
   * decision service's user cache (dropped on every gateway when the user changes, like the HTTP
   * routes' `req.auth`), in the periodic pass read fresh from the database.
   */
  async function refresh(socket: RealtimeSocket, fresh = false): Promise<boolean> {
    const session = await sessions.get(socket.data.sessionId);
    if (!session) return false;
    const user = fresh
      ? await findUserById(deps.db, session.userId)
      : await deps.decisions.user(session.userId);
    if (!user) return false;
    socket.data.user = user;
    return true;
  }

  nsp.use((socket, next) => {
    const headers = socket.handshake.headers;
    if (!originAllowed(headers.origin, origins)) {
      next(refusal('forbidden:origin', 'this origin may not connect'));
      return;
    }
    const sid = cookieValue(headers.cookie, SESSION_COOKIE);
    (async () => {
      const session = await sessions.get(sid);
      const user = session ? await findUserById(deps.db, session.userId) : undefined;
      if (!session || !user) return next(refusal('auth:required', 'sign in first'));
      socket.data = { sessionId: session.id, user, address: socket.handshake.address };
      next();
    })().catch((err: unknown) => {
      log.error({ err }, 'socket handshake failed');
      next(refusal('internal', 'internal error'));
    });
  });

  nsp.on('connection', (socket) => {
    const slog = log.child({ userId: socket.data.user.id, socketId: socket.id });
    socket.join([...incidentRoomsOf(socket.data.user), orgRoom(socket.data.user.orgId)]);

    // Every event re-checks the session: a revoked one loses the socket.
    socket.use((packet, next) => {
      refresh(socket).then(
        (ok) => {
          if (ok) return next();
          const ack = packet[packet.length - 1];
          if (typeof ack === 'function') {
            ack({ ok: false, error: { code: 'auth:required', message: 'the session has ended' } });
          }
          socket.disconnect(true);
        },
        (err: unknown) => {
          const ack = packet[packet.length - 1];
          if (typeof ack === 'function') ack({ ok: false, error: errorBody(err, slog) });
        },
      );
    });

    const actor = () => ({ user: socket.data.user, address: socket.data.address });
    const answer = <T>(ack: unknown, work: () => Promise<T>) => {
      work().then(
        (data) => {
          if (typeof ack === 'function') ack({ ok: true, data });
        },
        (err: unknown) => {
          if (typeof ack !== 'function') return;
          const res: WallCommandAck =
            err instanceof WallVersionConflict
              ? { ok: false, error: errorBody(err, slog), current: err.current }
              : { ok: false, error: errorBody(err, slog) };
          ack(res);
        },
      );
    };
    const parse = <S extends z.ZodType>(schema: S, v: unknown): z.infer<S> => {
      const r = schema.safeParse(v);
      if (!r.success) throw new AppError('invalid:request', 'malformed request');
      return r.data;
    };

    socket.on('wall:join', (req, ack) =>
      answer(ack, async () => {
        const { wallId } = parse(wallRefSchema, req);
        await deps.walls.get(socket.data.user, wallId); // not_found:wall, forbidden:wall
        await socket.join(wallRoom(wallId.toLowerCase()));
        // Read after joining, so no change between the read and the join is missed.
        return deps.walls.get(socket.data.user, wallId);
      }),
    );

    socket.on('wall:leave', (req, ack) =>
      answer(ack, async () => {
        const { wallId } = parse(wallRefSchema, req);
        await socket.leave(wallRoom(wallId.toLowerCase()));
        return null;
      }),
    );

    socket.on('wall:command', (req, ack) =>
      answer(ack, async () => {
        const { wallId, command } = parse(wallCommandRequestSchema, req);
        return deps.walls.command(actor(), wallId.toLowerCase(), command);
      }),
    );

    socket.on('camera:watch', (req, ack) =>
      answer(ack, async () => {
        const { cameraIds } = parse(cameraWatchSchema, req);
        const user = socket.data.user;
        const ids = [...new Set(cameraIds.map((i) => i.toLowerCase()))];
        const subject = subjectOf(user);
        let watched = [...socket.rooms].filter((r) => r.startsWith(CAMERA_PREFIX)).length;
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
        await audit.append({
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
      }),
    );

    socket.on('camera:unwatch', (req, ack) =>
      answer(ack, async () => {
        const { cameraIds } = parse(cameraWatchSchema, req);
        for (const id of cameraIds) await socket.leave(cameraRoom(id.toLowerCase()));
        const watching = [...socket.rooms]
          .filter((r) => r.startsWith(CAMERA_PREFIX))
          .map((r) => r.slice(CAMERA_PREFIX.length));
        return { watching };
      }),
    );
  });

  // Wall changes, wherever made on this gateway, go to the room on every gateway (adapter).
  const stopWalls = deps.walls.onChanged((state) => {
    nsp.to(wallRoom(state.id)).emit('wall:updated', state);
  });

  // Stream status and incident changes are published on Redis to every gateway: each one emits
  // them to its own sockets only (`local`), so a socket gets each message once.
  events.on('message', (channel: string, message: string) => {
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      log.warn({ channel }, 'message is not JSON');
      return;
    }
    if (channel === channels.streamStatus) {
      const status = streamStatusSchema.safeParse(json);
      if (!status.success) return void log.warn({ channel }, 'invalid stream status');
      nsp.local.to(cameraRoom(status.data.cameraId.toLowerCase())).emit('camera:status', status.data);
    } else if (channel === channels.emergencyUse) {
      const use = emergencyUseMessageSchema.safeParse(json);
      if (!use.success) return void log.warn({ channel }, 'invalid emergency use');
      nsp.local.to(orgRoom(use.data.ownerOrgId)).emit('access:emergency', use.data.notice);
    } else if (channel === channels.policyInvalidate) {
      const inv = invalidationSchema.safeParse(json);
      if (!inv.success) return void log.warn({ channel }, 'invalid policy invalidation');
      if (inv.data.kind === 'incident' && inv.data.id) {
        loadIncident(deps.db, inv.data.id, deps.decisions.emergencyGrantMaxMs).then(
          (incident) => {
            if (!incident) return;
            const event = incident.closedAt === null ? 'incident:opened' : 'incident:closed';
            nsp.local.to(incidentAudience(incident)).emit(event, incident);
          },
          (err: unknown) => log.error({ err, incidentId: inv.data.id }, 'incident not loaded'),
        );
      }
      // Rights may have changed (an emergency grant ended, a camera or user changed).
      recheck().catch((err: unknown) => log.error({ err }, 'recheck failed'));
    }
  });

  const ready = (async () => {
    await events.subscribe(channels.streamStatus, channels.policyInvalidate, channels.emergencyUse);
    // The adapter subscribed when the namespaces were made; a PING after it answers once it did.
    await sub.ping();
  })();
  ready.catch((err: unknown) => log.error({ err }, 'realtime subscriptions failed'));

  let running: Promise<void> | undefined;
  let again = false;
  function recheck(): Promise<void> {
    if (running) {
      // Asked during a pass: run one more after it, with what changed in between.
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await recheckAll();
      } while (again && !closing);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  // Uncached facts: a pass after an invalidation must not reuse what the invalidation dropped.
  async function recheckAll(): Promise<void> {
    const sockets = [...nsp.sockets.values()];
    if (sockets.length === 0) return;
    const now = new Date();
    let incidents: IncidentFacts[] | undefined;
    const cameras = new Map<string, Promise<CameraRecord | undefined>>();
    const walls = new Map<string, Promise<string | undefined>>();
    for (const socket of sockets) {
      if (!socket.connected) continue;
      if (!(await refresh(socket, true))) {
        socket.disconnect(true);
        continue;
      }
      const user = socket.data.user;
      const wantIncidents = new Set(incidentRoomsOf(user));
      const wantOrg = orgRoom(user.orgId);
      for (const room of [...socket.rooms]) {
        if (room.startsWith(INCIDENT_PREFIX)) {
          if (!wantIncidents.has(room)) await socket.leave(room);
        } else if (room.startsWith(ORG_PREFIX)) {
          // A user moved to another organisation is no longer told of the old one's cameras.
          if (room !== wantOrg) await socket.leave(room);
        } else if (room.startsWith(WALL_PREFIX)) {
          const id = room.slice(WALL_PREFIX.length);
          if (!walls.has(id))
            walls.set(
              id,
              loadWall(deps.db, id).then((w) => w?.ownerOrgId),
            );
          const owner = await walls.get(id);
          if (!owner || !mayUseWall(user, { ownerOrgId: owner })) await socket.leave(room);
        } else if (room.startsWith(CAMERA_PREFIX)) {
          const id = room.slice(CAMERA_PREFIX.length);
          if (!cameras.has(id)) cameras.set(id, loadCamera(deps.db, id));
          const camera = await cameras.get(id);
          incidents ??= await deps.decisions.freshIncidents();
          const allowed =
            camera !== undefined &&
            decide(subjectOf(user), camera.facts, 'catalog:read', { now, openIncidents: incidents }).allow;
          if (!allowed) await socket.leave(room);
        }
      }
      await socket.join([...wantIncidents, wantOrg]);
    }
  }

  const timer = setInterval(() => {
    recheck().catch((err: unknown) => log.error({ err }, 'recheck failed'));
  }, deps.recheckMs ?? 10_000);
  timer.unref();

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      clearInterval(timer);
      stopWalls();
      events.removeAllListeners('message');
      // Not io.close(): that would also close the HTTP server, which Fastify owns.
      // Only this gateway's sockets (`disconnectSockets` would reach every gateway's through the adapter).
      for (const n of [io.of('/'), nsp]) {
        for (const socket of [...n.sockets.values()]) socket.disconnect(true);
        await n.adapter.close();
      }
      io.engine.close();
      await running?.catch(() => undefined);
      await ready.catch(() => undefined);
      await audit.close();
      await Promise.allSettled([events.quit(), pub.quit(), sub.quit()]);
    })();
    return closing;
  }

  return { io, ready, recheck, close };
}
