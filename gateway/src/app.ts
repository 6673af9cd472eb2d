import { hostname } from 'node:os';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import { answerRouterError, channelsOf, securityHeadersHook } from '@wall/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { AuditBatcher, registerAuditRoutes, verifyAuditInWorkers } from './audit/index.ts';

import type { GatewayConfig } from './config.ts';
import type { Db } from './db/index.ts';
import { DecisionService } from './decisions/index.ts';
import { registerEmergencyRoutes } from './emergency/index.ts';
import { registerGb28181 } from './gb28181/index.ts';
import { registerHealthRoutes } from './health/index.ts';
import { RateLimiter, registerIdentity, requireAuth, SessionStore } from './identity/index.ts';
import { registerIncidentRoutes } from './incidents/index.ts';
import { AppError } from './lib/app-error.ts';
import type { Logger } from './lib/logger.ts';
import { registerLiveRoutes } from './live/index.ts';
import { MediaDirectory } from './media/directory.ts';
import { GrantWatch, StreamRevoker } from './media/revocations.ts';
import { sessionHandle, streamTokenKey } from './media/tokens.ts';
import { registerOpenApi, trackRoutes } from './openapi/index.ts';
import {
  CapacityMonitor,
  capacityHealth,
  fileStorage,
  RecordingIndexWriter,
  RecordingPlanner,
  RetentionSweeper,
  registerCapacityRoutes,
  registerPlaybackRoutes,
  registerRecordingRoutes,
} from './recordings/index.ts';
import { registerRegistryRoutes, sourceSecretBox } from './registry/index.ts';
import { registerRetrievalRoutes } from './retrieval/index.ts';
import {
  gb28181Source,
  onvifSource,
  registerSourceKindRoutes,
  rtspSource,
  SourceRegistry,
} from './sources/index.ts';
import { registerWallRoutes } from './walls/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The access decisions of this gateway (cache + invalidation); other features announce changes here. */
    decisions: DecisionService;
    /** Tells the media nodes what to record; main.ts starts it (tests run single passes). */
    recordingPlanner: RecordingPlanner | null;
    /** The recording capacity forecast and storage alarms (R-REC-3); main.ts starts its checks (tests run single checks). */
    recordingCapacity: CapacityMonitor;
  }
}

export interface GatewayDeps {
  config: GatewayConfig;
  db: Db;
  redis: Redis;
  logger: Logger;
}

/** Builds the gateway's HTTP server without starting it; tests inject requests into it. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    // The router's own refusals in the platform's shape, without echoing the URL.
    frameworkErrors: (err, req, reply) => answerRouterError(err, req, reply as FastifyReply),
  });
  // First, so that every answer carries them: errors, 404s, CORS preflights.
  app.addHook('onRequest', securityHeadersHook);
  const routes = trackRoutes(app);

  await app.register(cors, {
    origin: [...deps.config.WEB_ORIGINS],
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.status).send({ code: err.code, message: err.message });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ code: 'invalid:request', message: err instanceof Error ? err.message : 'bad request' });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ code: 'not_found:route', message: 'no such route' }),
  );

  const c = deps.config;
  const directory = new MediaDirectory(deps.redis);
  // Recording capacity (R-REC-3): each node's volume against its cameras' retention; alarms.
  const capacity = new CapacityMonitor({
    db: deps.db,
    redis: deps.redis,
    directory,
    logger: deps.logger,
    defaultRetentionDays: c.RECORDING_RETENTION_DAYS,
    warnRatio: c.RECORDING_CAPACITY_WARN_PERCENT / 100,
    usageMaxAgeMs: c.RECORDING_CAPACITY_USAGE_MAX_AGE_S * 1000,
  });
  app.decorate('recordingCapacity', capacity);
  registerHealthRoutes(app, {
    db: deps.db,
    redis: deps.redis,
    recordingCapacity: async () => {
      const last = await capacity.last();
      return last && capacityHealth(last);
    },
  });
  await app.register(cookie);
  // Events with no other change to commit with (decisions, token issues, logins) are group-committed.
  const audit = new AuditBatcher(deps.db);
  // Streams whose right ended are closed on the media nodes (signing out, an emergency grant
  // ending — by a closing or by time —, a user's rights changing, a camera leaving service).
  const revoker = new StreamRevoker(deps.redis, deps.logger.child({ feature: 'revocations' }));
  const decisions = new DecisionService(
    {
      db: deps.db,
      redis: deps.redis,
      logger: deps.logger,
      onUserChanged: (userId) => void revoker.revoke({ scope: 'user', id: userId, reason: 'rights_changed' }),
    },
    {
      ttlMs: c.POLICY_CACHE_TTL_MS,
      maxEntries: c.POLICY_CACHE_MAX,
      emergencyGrantMaxMs: c.EMERGENCY_GRANT_MAX_H * 3_600_000,
    },
  );
  decisions.start();
  app.decorate('decisions', decisions);
  const grants = new GrantWatch({
    incidents: () => decisions.freshIncidents(),
    onGrantEnded: async (incidentId) => {
      await decisions.invalidate({ kind: 'incident', id: incidentId });
      await revoker.revoke({ scope: 'incident', id: incidentId, reason: 'grant_ended' });
    },
    logger: deps.logger.child({ feature: 'grant-watch' }),
  });
  void grants.refresh();
  app.addHook('onClose', async () => {
    grants.close();
    await decisions.close();
    await audit.close();
  });
  await registerIdentity(app, {
    db: deps.db,
    loadUser: (id) => decisions.user(id),
    sessions: new SessionStore(deps.redis, {
      idleTimeoutS: c.SESSION_IDLE_TIMEOUT_S,
      absoluteTimeoutS: c.SESSION_ABSOLUTE_TIMEOUT_S,
    }),
    limiter: new RateLimiter(deps.redis),
    webOrigins: c.WEB_ORIGINS,
    cookieSecure: c.COOKIE_SECURE,
    absoluteTimeoutS: c.SESSION_ABSOLUTE_TIMEOUT_S,
    loginPerUser: { max: c.LOGIN_MAX_PER_USER, windowS: c.LOGIN_WINDOW_S },
    loginPerAddress: { max: c.LOGIN_MAX_PER_ADDRESS, windowS: c.LOGIN_WINDOW_S },
    onLogout: (sessionId) =>
      revoker.revoke({ scope: 'session', id: sessionHandle(sessionId), reason: 'signed_out' }),
    loginPerUserGlobal: { max: c.LOGIN_MAX_PER_USER_GLOBAL, windowS: c.LOGIN_WINDOW_S },
    onLogin: async (e) => {
      await audit.append({
        actorId: e.userId ?? null,
        actorName: e.username,
        action: 'auth.login',
        targetKind: 'user',
        targetId: e.userId ?? null,
        result: e.ok ? 'ok' : 'deny',
        reason: e.reason,
        address: e.address,
        ...(e.detail ? { detail: e.detail } : {}),
      });
    },
  });
  const dbUrl = c.DATABASE_URL;
  registerAuditRoutes(app, {
    db: deps.db,
    // On PostgreSQL the chain is walked by worker threads: the gateway keeps serving meanwhile.
    ...(dbUrl && deps.db.kind === 'postgres'
      ? {
          verify: () =>
            verifyAuditInWorkers(dbUrl, c.AUDIT_VERIFY_WORKERS ? { workers: c.AUDIT_VERIFY_WORKERS } : {}),
        }
      : {}),
    reader: (req) => requireAuth(req).user,
    audit: async (e) => {
      await audit.append(e);
    },
  });
  registerIncidentRoutes(app, {
    db: deps.db,
    grantMaxMs: decisions.emergencyGrantMaxMs,
    confirmWindowMs: c.INCIDENT_CONFIRM_S * 1000,
    radiusLimits: c.INCIDENT_MAX_RADIUS_M,
    onChange: async (e) => {
      await decisions.invalidate({ kind: 'incident', id: e.incident.id });
      if (e.kind === 'closed') {
        await revoker.revoke({ scope: 'incident', id: e.incident.id, reason: 'grant_ended' });
      }
      await grants.refresh();
    },
  });
  const secrets = sourceSecretBox(c);
  registerRegistryRoutes(app, {
    db: deps.db,
    secrets,
    incidents: () => decisions.incidents(),
    onChange: async (e) => {
      await decisions.invalidate({ kind: e.kind, id: e.id });
      if (e.kind === 'camera' && !(await cameraInService(deps.db, e.id))) {
        await revoker.revoke({ scope: 'camera', id: e.id, reason: 'camera_out_of_service' });
      }
      // A camera or source entering or leaving service changes what the nodes record.
      if (app.recordingPlanner?.started) void app.recordingPlanner.reconcile();
    },
  });
  registerWallRoutes(app, { db: deps.db, decisions, audit: (e) => audit.append(e), logger: deps.logger });
  // GB/T 28181: the SIP server (started by main.ts) behind the gb28181 source kind.
  const gb = registerGb28181(app, {
    config: c,
    db: deps.db,
    redis: deps.redis,
    logger: deps.logger,
    secrets,
    decisions,
    audit: (e) => audit.append(e),
  });
  // Every source kind by its adapter: live streams, PTZ and catalogues dispatch by kind.
  const sources = new SourceRegistry([
    rtspSource({ secrets }),
    onvifSource({ secrets }),
    gb28181Source({ db: deps.db, server: gb }),
  ]);
  registerSourceKindRoutes(app, { db: deps.db, sources, decisions, audit: (e) => audit.append(e) });
  const recordingPlanner = c.MEDIA_CONTROL_SECRET
    ? new RecordingPlanner({
        db: deps.db,
        directory,
        sources,
        controlSecret: c.MEDIA_CONTROL_SECRET,
        mode: c.RECORDING_PLAN,
        ...(c.DEMO_GB_DEVICE_ID ? { simulatedGbDevice: c.DEMO_GB_DEVICE_ID } : {}),
        profile: c.RECORDING_PLAN_PROFILE,
        intervalMs: c.RECORDING_PLAN_INTERVAL_S * 1000,
        logger: deps.logger.child({ feature: 'recording-plan' }),
      })
    : null;
  app.decorate('recordingPlanner', recordingPlanner);
  app.addHook('onClose', async () => recordingPlanner?.close());
  const tokenKey =
    c.STREAM_TOKEN_PUBLIC_KEY && c.STREAM_TOKEN_PRIVATE_KEY
      ? streamTokenKey(c.STREAM_TOKEN_PUBLIC_KEY, c.STREAM_TOKEN_PRIVATE_KEY)
      : undefined;
  registerLiveRoutes(app, {
    decisions,
    sources,
    directory,
    ...(tokenKey && c.MEDIA_CONTROL_SECRET
      ? { media: { tokenKey, controlSecret: c.MEDIA_CONTROL_SECRET } }
      : {}),
    audit: (e) => audit.append(e),
    // Every gateway tells the owner's connected users (realtime); the log keeps the use itself.
    onEmergencyUse: (use) => {
      // On `CHANNELS.emergencyUse`, where every gateway tells its own sockets.
      deps.redis.publish(channelsOf(deps.redis).emergencyUse, JSON.stringify(use)).catch((err: unknown) => {
        deps.logger.error({ err, cameraId: use.notice.cameraId }, 'emergency use not announced');
      });
    },
  });
  // Retrieval requests and their approval (Art. 21, 22; R-RET-1…3); playback reads their grants.
  const retrievals = registerRetrievalRoutes(app, {
    db: deps.db,
    decisions,
    audit: (e) => audit.append(e),
    documentMaxBytes: c.RETRIEVAL_DOCUMENT_MAX_BYTES,
    approvalTtlMs: c.RETRIEVAL_APPROVAL_TTL_H * 3_600_000,
    incidentLookbackMs: c.PLAYBACK_INCIDENT_LOOKBACK_MIN * 60_000,
  });
  const retrievalGrants = (orgId: string) => retrievals.grants(orgId);
  // Recording (R-REC-1…3): the index of what the media nodes recorded, retention, holds, playback.
  const recordingStorage = fileStorage(c.RECORDING_DIR);
  registerRecordingRoutes(app, {
    db: deps.db,
    decisions,
    audit: (e) => audit.append(e),
    storage: recordingStorage,
    defaultRetentionDays: c.RECORDING_RETENTION_DAYS,
    orphanGraceMs: c.RECORDING_ORPHAN_GRACE_S * 1000,
    incidentLookbackMs: c.PLAYBACK_INCIDENT_LOOKBACK_MIN * 60_000,
    emergencyMaxMs: decisions.emergencyGrantMaxMs,
    retrievalGrants,
  });
  registerPlaybackRoutes(app, {
    db: deps.db,
    decisions,
    directory,
    audit: (e) => audit.append(e),
    tokenKey,
    incidentLookbackMs: c.PLAYBACK_INCIDENT_LOOKBACK_MIN * 60_000,
    emergencyMaxMs: decisions.emergencyGrantMaxMs,
    retrievalGrants,
  });
  const recordingIndex = c.RECORDING_INDEX_ENABLED
    ? new RecordingIndexWriter({
        db: deps.db,
        redis: deps.redis,
        logger: deps.logger,
        consumer: c.RECORDING_CONSUMER ?? `${hostname()}:${c.GATEWAY_PORT}`,
      })
    : null;
  recordingIndex?.start();
  const sweeper = new RetentionSweeper({
    db: deps.db,
    storage: recordingStorage,
    logger: deps.logger,
    defaultDays: c.RECORDING_RETENTION_DAYS,
    batch: c.RECORDING_SWEEP_BATCH,
  });
  sweeper.start(c.RECORDING_SWEEP_INTERVAL_S * 1000);
  registerCapacityRoutes(app, { monitor: capacity, audit: (e) => audit.append(e) });
  app.addHook('onClose', async () => {
    await recordingIndex?.close();
    await sweeper.close();
    await capacity.close();
  });
  registerEmergencyRoutes(app, {
    db: deps.db,
    grantMaxMs: decisions.emergencyGrantMaxMs,
    audit: async (e) => {
      await audit.append(e);
    },
  });
  // The document is built from every route's own definition; a route registered without one (or a
  // definition not served) stops the start.
  registerOpenApi(app);
  routes.check();
  return app;
}

/** True while the camera exists and is in service (a removed or suspended one serves no stream). */
async function cameraInService(db: Db, id: string): Promise<boolean> {
  const { rows } = await db.query<{ state: string }>('SELECT state FROM cameras WHERE id = $1', [id]);
  return rows[0]?.state === 'in_service';
}
