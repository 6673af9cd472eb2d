import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuditEntryInput } from '../audit/index.ts';
import type { GatewayConfig } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { SourceSecretBox } from '../registry/index.ts';
import { type GbServerOptions, GbSipServer } from './server.ts';

export type { Actor, CatalogSummary } from './catalog.ts';
export { type ChannelFacts, channelKind, classifyItem, SECRECY_GRADE_FLOOR } from './catalog-items.ts';
export type { DeviceSession } from './devices.ts';
export { ptzCommand } from './ptz.ts';
export { GbRecordingSessions, type PlannedGbRecording } from './recording-sessions.ts';
export { type GbServerOptions, GbSipServer } from './server.ts';
export { GB_DEFAULTS, type GbSourceSettings, gbSettings } from './settings.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The GB/T 28181 SIP server (main.ts starts it when GB_SIP_ENABLED). */
    gb: GbSipServer;
  }
}

export interface GbDeps {
  config: GatewayConfig;
  db: Db;
  redis: Redis;
  logger: Logger;
  secrets: SourceSecretBox | undefined;
  decisions: DecisionService;
  /** Group-committed audit entries. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  /** Test and benchmark knobs (paging stall, INVITE timeout). */
  options?: Partial<Pick<GbServerOptions, 'catalogStallMs' | 'inviteTimeoutMs' | 'recordingCheckMs'>>;
}

/** Cameras changed by one catalogue sync above this count are announced as their source. */
const INVALIDATE_ONE_BY_ONE = 50;

/**
 * GB/T 28181 (issue 6): the SIP server (REGISTER, keepalive, catalogue, INVITE/BYE, PTZ). The server
 * is built here and started by main.ts (`app.gb.start()`); closing the app closes it. Its HTTP side
 * (live streams, PTZ, catalogue sync) is the `gb28181` source adapter (`sources/gb28181`).
 */
export function registerGb28181(app: FastifyInstance, deps: GbDeps): GbSipServer {
  const c = deps.config;
  const server = new GbSipServer(
    {
      enabled: c.GB_SIP_ENABLED,
      host: c.GB_SIP_HOST,
      port: c.GB_SIP_PORT,
      publicIp: c.GB_SIP_PUBLIC_IP ?? (c.GB_SIP_HOST === '0.0.0.0' ? '127.0.0.1' : c.GB_SIP_HOST),
      domain: c.GB_DOMAIN,
      id: c.GB_ID,
      keepaliveTimeoutS: c.GB_KEEPALIVE_TIMEOUT_S,
      mediaTransport: c.GB_MEDIA_TRANSPORT,
      refusals: {
        max: c.GB_SIP_REFUSALS_MAX,
        windowS: c.GB_SIP_REFUSALS_WINDOW_S,
        backoffS: c.GB_SIP_BACKOFF_S,
      },
      ...deps.options,
    },
    {
      db: deps.db,
      redis: deps.redis,
      logger: deps.logger,
      secrets: deps.secrets,
      audit: deps.audit,
      onCamerasChanged: async (sourceId, ids) => {
        if (ids.length > INVALIDATE_ONE_BY_ONE)
          await deps.decisions.invalidate({ kind: 'source', id: sourceId });
        else for (const id of ids) await deps.decisions.invalidate({ kind: 'camera', id });
      },
    },
  );
  app.decorate('gb', server);
  app.addHook('onClose', async () => {
    await server.close();
  });
  return server;
}
