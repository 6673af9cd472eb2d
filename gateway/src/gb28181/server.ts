import { channelsOf } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import type { Redis } from 'ioredis';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import { invalidationSchema } from '../decisions/index.ts';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import type { SourceSecretBox } from '../registry/index.ts';
import { GbCatalog } from './catalog.ts';
import { DeviceStore } from './device-store.ts';
import { type DeviceSession, GbDevices, SYSTEM_ACTOR } from './devices.ts';
import { GbRecordingSessions } from './recording-sessions.ts';
import { RefusalBackoff } from './refusals.ts';
import { buildRequest, deviceUri, nameAddrUser, randomToken, respond, type SipIdentity } from './sip-util.ts';
import { GbStreams } from './streams.ts';
import { SipTransactions } from './transactions.ts';
import { type SipFlow, SipTransport } from './transport.ts';

export interface GbServerOptions {
  enabled: boolean;
  host: string;
  port: number;
  publicIp: string;
  domain: string;
  id: string;
  keepaliveTimeoutS: number;
  mediaTransport: 'tcp-passive' | 'udp';
  /** Catalogue paging: a query ends when no page came for this long (default 3 s). */
  catalogStallMs?: number;
  inviteTimeoutMs?: number;
  /** Ms between checks of the recording plan's GB sessions (default 3 s). */
  recordingCheckMs?: number;
  /**
   * Refused requests (forged, replayed, wrong credentials) from one address within `windowS` that
   * make the server ignore the address for `backoffS` (ADR 0009).
   */
  refusals: { max: number; windowS: number; backoffS: number };
}

export interface GbServerDeps {
  db: Db;
  redis: Redis;
  logger: Logger;
  secrets: SourceSecretBox | undefined;
  /** Group-committed audit entries (decisions, invites). */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  /** Cameras of a source changed (catalogue): decision caches drop them. */
  onCamerasChanged: (sourceId: string, cameraIds: string[]) => Promise<void>;
}

type RequestHandler = (req: gb.SipRequest, flow: SipFlow) => Promise<void>;
type ManscdpHandler = (session: DeviceSession, m: gb.ManscdpMessage, flow: SipFlow) => unknown;

/** How long a device has to answer a MESSAGE (UDP: retransmitted at 0.5, 1, 2, 4 s). */
const MESSAGE_TIMEOUT_MS = 8000;
/** Registrations whose DeviceInfo and Catalog queries run at once. */
const MAX_FOLLOW_UPS = 16;

/**
 * The GB/T 28181 SIP server of the gateway: one transport (UDP + TCP), the transaction layer, and
 * the features that speak through it — registration and keepalives ({@link GbDevices}), the
 * catalogue ({@link GbCatalog}) and live streams ({@link GbStreams}). Requests are dispatched by
 * method, MANSCDP bodies by command, each from a table. `start()` binds the port; `close()` hangs
 * up every stream and closes everything (idempotent).
 */
export class GbSipServer {
  readonly me: SipIdentity;
  readonly devices: GbDevices;
  readonly catalog: GbCatalog;
  readonly streams: GbStreams;
  /** The sessions kept open for the recording plan's GB channels (no viewer needed). */
  readonly recordings: GbRecordingSessions;
  readonly #opts: GbServerOptions;
  readonly #log: Logger;
  readonly #store: DeviceStore;
  readonly #transport: SipTransport;
  readonly #transactions: SipTransactions;
  readonly #requests: Record<string, RequestHandler>;
  readonly #manscdp: Partial<Record<gb.ManscdpMessage['kind'], ManscdpHandler>>;
  /** Queries after a registration (DeviceInfo, Catalog) waiting for a slot, and those running. */
  readonly #followUps: (() => Promise<void>)[] = [];
  #followUpsRunning = 0;
  readonly #refusals: RefusalBackoff;
  #refusalSweep: NodeJS.Timeout | undefined;
  readonly #redis: Redis;
  #sub: Redis | undefined;
  #sn = Math.floor(Math.random() * 100_000);
  #cseq = 1;
  #started = false;
  #closed: Promise<void> | undefined;

  constructor(options: GbServerOptions, deps: GbServerDeps) {
    this.#opts = options;
    this.#log = deps.logger.child({ feature: 'gb28181' });
    this.me = { id: options.id, domain: options.domain, publicIp: options.publicIp, port: options.port };
    this.#redis = deps.redis;
    this.#store = new DeviceStore(deps.db, this.#log);
    this.#refusals = new RefusalBackoff({
      max: options.refusals.max,
      windowMs: options.refusals.windowS * 1000,
      blockMs: options.refusals.backoffS * 1000,
    });
    this.#transport = new SipTransport({
      host: options.host,
      port: options.port,
      logger: this.#log,
      onMessage: (msg, flow) => this.#onMessage(msg, flow),
    });
    this.#transactions = new SipTransactions((flow, msg) => this.#transport.send(flow, msg), this.#log);
    const respondTo = (req: gb.SipRequest, flow: SipFlow, res: gb.SipResponse) =>
      this.#transactions.respond(req, flow, res);
    this.devices = new GbDevices({
      me: this.me,
      store: this.#store,
      secrets: deps.secrets,
      logger: this.#log,
      keepaliveTimeoutMs: options.keepaliveTimeoutS * 1000,
      respond: respondTo,
      onOnline: (s, fresh) => {
        if (!fresh) return;
        this.#followUp(() => this.#onFreshDevice(s));
        this.recordings.retryNow();
      },
      onOffline: (s) => this.streams.dropDevice(s.deviceId),
      onRefused: (flow) => this.#refused(flow),
    });
    const signalling = {
      me: this.me,
      online: (deviceId: string) => this.devices.online(deviceId),
      message: (deviceId: string, m: gb.ManscdpMessage, o?: { target?: string }) =>
        this.message(deviceId, m, o),
      nextSn: () => this.nextSn(),
    };
    this.catalog = new GbCatalog({
      store: this.#store,
      signalling,
      logger: this.#log,
      onCamerasChanged: deps.onCamerasChanged,
      audit: deps.audit,
      ...(options.catalogStallMs !== undefined ? { stallMs: options.catalogStallMs } : {}),
    });
    this.streams = new GbStreams({
      db: deps.db,
      redis: deps.redis,
      logger: this.#log,
      defaultTransport: options.mediaTransport,
      audit: deps.audit,
      ...(options.inviteTimeoutMs !== undefined ? { inviteTimeoutMs: options.inviteTimeoutMs } : {}),
      signalling: {
        ...signalling,
        request: (flow, req, timeoutMs) => this.#transactions.request(flow, req, { timeoutMs }),
        send: (flow, msg) => this.#transport.send(flow, msg),
        respond: respondTo,
        admit: (deviceId, flow, method) => this.devices.admit(deviceId, flow, method),
      },
    });
    this.recordings = new GbRecordingSessions({
      ensure: (p) => this.streams.ensure(p),
      logger: this.#log,
      ...(options.recordingCheckMs !== undefined ? { checkMs: options.recordingCheckMs } : {}),
    });
    this.#requests = {
      REGISTER: (req, flow) => this.devices.register(req, flow),
      MESSAGE: (req, flow) => this.#onManscdpRequest(req, flow),
      NOTIFY: (req, flow) => this.#onManscdpRequest(req, flow),
      BYE: (req, flow) => this.streams.onDeviceBye(req, flow),
      OPTIONS: (req, flow) => respondTo(req, flow, respond(req, flow, 200)),
      ACK: async () => undefined,
    };
    this.#manscdp = {
      catalog_response: (_s, m) => this.catalog.onPage(m as gb.CatalogPage),
      catalog_notify: (s, m, flow) =>
        this.catalog.onNotify(s, m as gb.CatalogPage, `${flow.address}:${flow.port}`),
      device_info_response: (s, m) => {
        const info = m as gb.DeviceInfoResponse;
        return this.#store.deviceInfo(s.deviceId, {
          ...(info.deviceName !== undefined ? { deviceName: info.deviceName } : {}),
          ...(info.manufacturer !== undefined ? { manufacturer: info.manufacturer } : {}),
          ...(info.model !== undefined ? { model: info.model } : {}),
          ...(info.firmware !== undefined ? { firmware: info.firmware } : {}),
          ...(info.channel !== undefined ? { channel: info.channel } : {}),
        });
      },
    };
  }

  get enabled(): boolean {
    return this.#opts.enabled;
  }

  /** Media transport of devices whose source names none (GB_MEDIA_TRANSPORT). */
  get mediaTransport(): 'tcp-passive' | 'udp' {
    return this.#opts.mediaTransport;
  }

  /** The bound SIP port (UDP and TCP). */
  get port(): number {
    return this.#transport.port;
  }

  async start(): Promise<void> {
    if (!this.#opts.enabled || this.#started) return;
    this.#started = true;
    await this.#transport.listen();
    this.me.port = this.#transport.port;
    this.devices.start();
    this.#refusalSweep = setInterval(() => this.#refusals.sweep(Date.now()), 10_000);
    this.#refusalSweep.unref();
    await this.streams.start();
    // A source changed in the registry (password, device ID, removal): REGISTERs see it at once.
    const sub = this.#redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    this.#sub = sub;
    sub.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'gb source change subscriber'));
    sub.on('message', (_channel: string, message: string) => {
      const inv = invalidationSchema.safeParse(safeJson(message));
      if (inv.success && (inv.data.kind === 'source' || inv.data.kind === 'all')) this.#store.forget();
    });
    await sub.subscribe(channelsOf(this.#redis).policyInvalidate);
    this.#log.info(
      { host: this.#opts.host, port: this.me.port, id: this.me.id, domain: this.me.domain },
      'gb sip server listening (udp+tcp)',
    );
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#followUps.length = 0;
      clearInterval(this.#refusalSweep);
      if (this.#started) {
        const sub = this.#sub;
        this.#sub = undefined;
        if (sub) await sub.quit().catch(() => sub.disconnect());
        this.recordings.close();
        await this.streams.close().catch((err: unknown) => this.#log.error({ err }, 'close gb streams'));
        this.devices.close();
        await this.#transport.close();
      }
      this.#transactions.close();
      await this.#store.close().catch((err: unknown) => this.#log.error({ err }, 'close gb store'));
    })();
    return this.#closed;
  }

  nextSn(): number {
    this.#sn = (this.#sn + 1) % 1_000_000_000;
    return this.#sn;
  }

  /** Sends a MANSCDP MESSAGE to a registered device (`target`: a channel of it) → the answer's status. */
  async message(
    deviceId: string,
    m: gb.ManscdpMessage,
    options: { target?: string; timeoutMs?: number } = {},
  ): Promise<number> {
    const s = this.devices.get(deviceId);
    if (!s || !this.#started)
      throw new AppError('unavailable:dependency', 'the GB/T 28181 device is not registered');
    const target = options.target ?? deviceId;
    this.#cseq = (this.#cseq % 2_000_000_000) + 1;
    const req = buildRequest(this.me, s.flow, {
      method: 'MESSAGE',
      uri: deviceUri(target, s.flow),
      toUser: target,
      fromTag: randomToken(),
      callId: `${randomToken(12)}@${this.me.publicIp}`,
      cseq: this.#cseq,
      contentType: gb.MANSCDP_CONTENT_TYPE,
      body: gb.encodeManscdp(m, s.charset),
    });
    const res = await this.#transactions.request(s.flow, req, {
      timeoutMs: options.timeoutMs ?? MESSAGE_TIMEOUT_MS,
    });
    return res.status;
  }

  #onMessage(msg: gb.SipMessage, flow: SipFlow): void {
    if (msg.kind === 'response') {
      if (this.#transactions.onResponse(msg)) return;
      const cseq = gb.parseCSeq(gb.getHeader(msg, 'CSeq') ?? '');
      if (cseq.ok && cseq.value.method === 'INVITE' && msg.status >= 200 && msg.status < 300) {
        this.streams.onStray2xx(msg);
      }
      return;
    }
    // An address that kept sending refused requests is ignored for a while (no answers), except on
    // the registration flows of registered devices behind it (ADR 0009).
    if (this.#refusals.blocked(flow.address, Date.now()) && !this.devices.isRegisteredFlow(flow)) return;
    if (this.#transactions.seen(msg, flow)) return;
    const handler = Object.hasOwn(this.#requests, msg.method) ? this.#requests[msg.method] : undefined;
    const run =
      handler ??
      ((req: gb.SipRequest, f: SipFlow) => this.#transactions.respond(req, f, respond(req, f, 501)));
    run(msg, flow).catch((err: unknown) => {
      this.#log.error({ err, method: msg.method }, 'gb request handling failed');
      if (msg.method !== 'ACK') {
        this.#transactions.respond(msg, flow, respond(msg, flow, 500)).catch(() => undefined);
      }
    });
  }

  /**
   * MESSAGE and NOTIFY with a MANSCDP body from a registered device, on the flow of its
   * registration only (else 403, before the body is read).
   */
  async #onManscdpRequest(req: gb.SipRequest, flow: SipFlow): Promise<void> {
    const reply = (status: number) => this.#transactions.respond(req, flow, respond(req, flow, status));
    const ess = gb.sipEssentials(req);
    if (!ess.ok) return reply(400);
    const deviceId = nameAddrUser(ess.value.from);
    if (!deviceId) return reply(400);
    const session = await this.devices.admit(deviceId, flow, req.method);
    if (!session) return reply(403);
    const parsed = gb.parseManscdp(req.body);
    if (!parsed.ok) {
      this.#log.debug({ deviceId, err: parsed.error }, 'gb MANSCDP body refused');
      return reply(400);
    }
    const m = parsed.value.message;
    if (m.kind === 'keepalive') {
      await this.devices.keepalive(session, parsed.value.charset);
      return reply(200);
    }
    this.devices.heard(session);
    session.charset = parsed.value.charset;
    await reply(200);
    const handle = this.#manscdp[m.kind];
    if (!handle) {
      this.#log.debug(
        { deviceId, kind: m.kind, cmd: m.kind === 'other' ? m.cmdType : undefined },
        'gb MANSCDP ignored',
      );
      return;
    }
    try {
      await handle(session, m, flow);
    } catch (err) {
      this.#log.error({ err, deviceId, kind: m.kind }, 'gb MANSCDP handling failed');
    }
  }

  /** Counts a refused request against its address; the refusal that starts a backoff is audited. */
  async #refused(flow: SipFlow): Promise<void> {
    const block = this.#refusals.refused(flow.address, Date.now());
    if (!block) return;
    this.#log.warn(
      { address: flow.address, refusals: block.refusals, blockedForMs: block.blockedForMs },
      'gb address backed off: its requests are ignored',
    );
    await this.#store
      .audit({
        actorId: null,
        actorName: SYSTEM_ACTOR,
        action: 'gb.backoff',
        targetKind: null,
        targetId: null,
        result: 'deny',
        reason: 'too_many_refusals',
        address: `${flow.address}:${flow.port}`,
        detail: {
          refusals: block.refusals,
          windowS: this.#opts.refusals.windowS,
          backoffS: this.#opts.refusals.backoffS,
          transport: flow.transport,
        },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'gb backoff not audited'));
  }

  /**
   * Runs a registration's follow-up queries at most MAX_FOLLOW_UPS at a time: in a registration
   * storm the REGISTERs (and their commits) go first, the catalogues follow.
   */
  #followUp(task: () => Promise<void>): void {
    if (this.#closed) return;
    this.#followUps.push(task);
    this.#drainFollowUps();
  }

  #drainFollowUps(): void {
    while (this.#followUpsRunning < MAX_FOLLOW_UPS && this.#followUps.length > 0) {
      const task = this.#followUps.shift() as () => Promise<void>;
      this.#followUpsRunning++;
      void task()
        .catch((err: unknown) => this.#log.error({ err }, 'gb follow-up failed'))
        .finally(() => {
          this.#followUpsRunning--;
          this.#drainFollowUps();
        });
    }
  }

  /** A device came (back) online: ask what it is and what it has. */
  async #onFreshDevice(s: DeviceSession): Promise<void> {
    const actor = {
      actorId: null,
      actorName: `${SYSTEM_ACTOR}:${s.deviceId}`,
      address: `${s.flow.address}:${s.flow.port}`,
    };
    const [info, catalog] = await Promise.allSettled([
      this.message(s.deviceId, { kind: 'device_info_query', sn: this.nextSn(), deviceId: s.deviceId }),
      this.catalog.sync(s.deviceId, actor),
    ]);
    if (info.status === 'rejected')
      this.#log.warn({ err: info.reason, deviceId: s.deviceId }, 'gb DeviceInfo query failed');
    if (catalog.status === 'rejected') {
      this.#log.warn({ err: catalog.reason, deviceId: s.deviceId }, 'gb catalogue query on register failed');
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
