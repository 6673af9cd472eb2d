import { randomBytes } from 'node:crypto';
import * as gb from '@wall/protocol/gb28181';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Logger } from '../lib/logger.ts';
import { SealedSecretError, type SourceSecretBox } from '../registry/index.ts';
import type { DeviceStore, GbSource } from './device-store.ts';
import { type FlowBinding, flowKey, flowMatches } from './flow-binding.ts';
import { nameAddrUser, randomToken, respond, type SipIdentity } from './sip-util.ts';
import type { SipFlow } from './transport.ts';

/** A registered device as the SIP server keeps it (the database mirrors it in `gb_devices`). */
export interface DeviceSession {
  deviceId: string;
  sourceId: string;
  /**
   * The flow of its latest authenticated REGISTER: where requests to the device go, and the only
   * flow its other requests are accepted on (ADR 0009). Nothing but a REGISTER changes it.
   */
  flow: SipFlow;
  /** Its source's `flowBinding` at registration. */
  flowBinding: FlowBinding;
  contact: string | null;
  registeredAt: number;
  expiresAt: number;
  lastSeen: number;
  online: boolean;
  /** The charset of its MANSCDP bodies (queries to it are written in it). */
  charset: gb.GbCharset;
}

export interface DevicesDeps {
  me: SipIdentity;
  store: DeviceStore;
  secrets: SourceSecretBox | undefined;
  logger: Logger;
  keepaliveTimeoutMs: number;
  /** Sends the response of a server transaction. */
  respond: (req: gb.SipRequest, flow: SipFlow, res: gb.SipResponse) => Promise<void>;
  /** A device came online (`fresh`: new registration or back from offline), committed. */
  onOnline: (s: DeviceSession, fresh: boolean) => void;
  /** A device went offline (unregistered, expired, silent), committed. */
  onOffline: (s: DeviceSession, reason: OfflineReason) => void;
  /** A request from `flow` was refused (forged, replayed, wrong credentials): counted for backoff. */
  onRefused: (flow: SipFlow) => Promise<void>;
}

export type OfflineReason = 'unregistered' | 'expired' | 'keepalive';

/** How long a challenge's nonce may be answered. */
const NONCE_TTL_MS = 120_000;
const MAX_NONCES = 100_000;
/** Longest registration granted. */
const MAX_EXPIRES_S = 86_400;
/** A refused request of the same device, reason, method, transport and address is audited at most this often. */
const DENY_AUDIT_EVERY_MS = 10_000;
/** Most refusal kinds remembered for that (the oldest forgotten first). */
const MAX_DENY_KEYS = 10_000;
export const SYSTEM_ACTOR = 'gb28181';

/**
 * REGISTER (digest, RFC 2617 with qop=auth, realm = our domain), unregister, keepalives, and the
 * sweeper that takes silent devices offline. Only devices filed as gb28181 source systems may
 * register: an unknown ID or a wrong password gets 403, a REGISTER without credentials a 401 with
 * a random nonce bound to the device for two minutes. Each nonce count is accepted once (a
 * replayed REGISTER gets a stale challenge), the digest must be over the Request-URI, and a nonce
 * of a refused attempt is stale. Other requests of a device are admitted only on the flow of its
 * authenticated registration ({@link GbDevices.admit}, ADR 0009).
 *
 * Nonces and sessions live in this process, as the SIP port does: a device's REGISTER, its answer
 * to the challenge and its later requests all reach the one gateway that listens on it.
 */
export class GbDevices {
  readonly #d: DevicesDeps;
  readonly #log: Logger;
  readonly #sessions = new Map<string, DeviceSession>();
  /** The device registered on a flow (`flowKey`), for admitting requests from blocked addresses. */
  readonly #byFlow = new Map<string, string>();
  readonly #nonces = new Map<string, gb.NonceRecord>();
  readonly #denyAudited = new Map<string, number>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(deps: DevicesDeps) {
    this.#d = deps;
    this.#log = deps.logger;
  }

  start(): void {
    if (this.#sweeper) return;
    const every = Math.max(200, Math.min(5000, this.#d.keepaliveTimeoutMs / 4));
    this.#sweeper = setInterval(() => void this.sweep(), every);
    this.#sweeper.unref();
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  get(deviceId: string): DeviceSession | undefined {
    return this.#sessions.get(deviceId);
  }

  /** The online session of a device, or undefined. */
  online(deviceId: string): DeviceSession | undefined {
    const s = this.#sessions.get(deviceId);
    return s?.online ? s : undefined;
  }

  sessions(): IterableIterator<DeviceSession> {
    return this.#sessions.values();
  }

  /**
   * A request other than REGISTER claiming to come from `deviceId` over `flow`: the device's session
   * when it is registered and the request came on its registration's flow (as its source's
   * `flowBinding` says). Otherwise undefined — answer 403: a device that is not registered must
   * register; a request from another flow (a forged `From`) is also audited (`gb.request` deny
   * `flow_mismatch`) and counted against its address. It never moves the device's flow.
   */
  async admit(deviceId: string, flow: SipFlow, method: string): Promise<DeviceSession | undefined> {
    const s = this.#sessions.get(deviceId);
    if (!s || s.expiresAt <= Date.now()) return undefined;
    if (flowMatches(s.flow, flow, s.flowBinding)) return s;
    await this.#deny('gb.request', deviceId, s.sourceId, flow, 'flow_mismatch', method);
    return undefined;
  }

  /** Whether `flow` is the registration flow of a registered device (requests on it are served). */
  isRegisteredFlow(flow: SipFlow): boolean {
    const deviceId = this.#byFlow.get(flowKey(flow));
    const s = deviceId === undefined ? undefined : this.#sessions.get(deviceId);
    return s !== undefined && s.expiresAt > Date.now() && flowMatches(s.flow, flow, 'strict');
  }

  /** An admitted request of a registered device: it is alive. */
  heard(s: DeviceSession): void {
    s.lastSeen = Date.now();
    this.#d.store.touch(s.deviceId, s.lastSeen);
  }

  /** An admitted keepalive: alive, and back online when it was not. */
  async keepalive(s: DeviceSession, charset: gb.GbCharset): Promise<void> {
    this.heard(s);
    s.charset = charset;
    if (!s.online) {
      const { deviceId } = s;
      s.online = true;
      await this.#d.store.online(deviceId, s.sourceId, {
        ...this.#entry(s.deviceId, s.sourceId, s.flow),
        action: 'gb.online',
        result: 'ok',
        reason: 'keepalive',
      });
      this.#log.info({ deviceId }, 'gb device back online');
      this.#d.onOnline(s, true);
    }
  }

  async register(req: gb.SipRequest, flow: SipFlow): Promise<void> {
    const reply = (status: number, options: gb.SipResponseOptions = {}) =>
      this.#d.respond(req, flow, respond(req, flow, status, { toTag: randomToken(), ...options }));
    const ess = gb.sipEssentials(req);
    if (!ess.ok) return reply(400, { reason: 'Bad Request' });
    const deviceId = nameAddrUser(ess.value.from);
    if (!deviceId || !gb.isGbId(deviceId)) return reply(400, { reason: 'From Must Carry A GB ID' });
    const contact = gb.getHeader(req, 'Contact') ?? null;
    const expires = gb.sipExpires(req) ?? contactExpires(contact);
    if (expires === undefined) return reply(400, { reason: 'Missing Expires' });

    const source = await this.#d.store.sourceByDevice(deviceId);
    if (!source) {
      await this.#deny('gb.register', deviceId, null, flow, 'unknown_device');
      return reply(403);
    }
    const authText = gb.getHeader(req, 'Authorization');
    if (!authText) return this.#challenge(req, flow, deviceId, false);
    const creds = gb.parseDigestCredentials(authText);
    if (!creds.ok) return reply(400, { reason: 'Bad Authorization' });
    // From the nonce check to recording its use nothing is awaited: two copies of one REGISTER
    // cannot both pass.
    const nonce = creds.value.nonce;
    const record = this.#nonces.get(nonce);
    const use = gb.checkNonceUse(record, creds.value, deviceId, Date.now());
    if (!record || !use.ok) {
      // A nonce count seen before (or a single-use nonce used again): a replayed REGISTER.
      if (!use.ok && use.reason === 'replay') {
        await this.#deny('gb.register', deviceId, source, flow, 'nonce_replay');
      }
      return this.#challenge(req, flow, deviceId, !use.ok && use.stale);
    }
    const refuse = async (status: 400 | 403, why: string, reason?: string) => {
      this.#nonces.set(nonce, gb.nonceRefused(record));
      await this.#deny('gb.register', deviceId, source, flow, why);
      return reply(status, reason === undefined ? {} : { reason });
    };
    if (creds.value.username !== deviceId) return refuse(403, 'username_mismatch');
    // RFC 2617 §3.2.2.5: credentials over another URI are not for this request.
    if (!gb.digestUriMatches(creds.value.uri, req.uri)) {
      return refuse(400, 'uri_mismatch', 'Digest URI Does Not Match The Request-URI');
    }
    const password = this.#password(source);
    if (password === 'unavailable') return reply(503);
    if (password === undefined) {
      this.#log.warn({ deviceId, sourceId: source.id }, 'gb source has no password: REGISTER refused');
      return refuse(403, 'no_secret');
    }
    const verdict = gb.verifyDigest(creds.value, {
      method: 'REGISTER',
      realm: this.#d.me.domain,
      nonce,
      password,
    });
    if (!verdict.ok) return refuse(403, `wrong_credentials:${verdict.reason}`);
    this.#nonces.set(nonce, gb.nonceUsed(record, use.nc));
    const now = Date.now();
    const dateHeader = { name: 'Date', value: gb.formatGbDate(now) };
    if (expires === 0) {
      await this.#unregister(deviceId, source, flow);
      return reply(200, { headers: [{ name: 'Expires', value: '0' }, dateHeader] });
    }
    const granted = Math.min(expires, MAX_EXPIRES_S);
    const previous = this.#sessions.get(deviceId);
    const fresh = !previous?.online;
    const session: DeviceSession = {
      deviceId,
      sourceId: source.id,
      flow,
      flowBinding: source.settings.flowBinding,
      contact,
      registeredAt: now,
      expiresAt: now + granted * 1000,
      lastSeen: now,
      online: true,
      charset: previous?.charset ?? gb.DEFAULT_GB_CHARSET,
    };
    await this.#d.store.register(
      {
        deviceId,
        sourceId: source.id,
        transport: flow.transport,
        address: flow.address,
        port: flow.port,
        contact,
        expiresS: granted,
        registeredAt: new Date(now),
        expiresAt: new Date(session.expiresAt),
        gbVersion: gb.getHeader(req, 'X-GB-Ver') ?? null,
        userAgent: gb.getHeader(req, 'User-Agent')?.slice(0, 200) ?? null,
      },
      {
        ...this.#entry(deviceId, source.id, flow),
        action: 'gb.register',
        result: 'ok',
        reason: fresh ? 'registered' : 'refreshed',
        detail: { deviceId, transport: flow.transport, expires: granted },
      },
    );
    this.#setSession(session);
    await reply(200, {
      headers: [
        ...(contact ? [{ name: 'Contact', value: contact }] : []),
        { name: 'Expires', value: String(granted) },
        dateHeader,
      ],
    });
    if (fresh)
      this.#log.info({ deviceId, transport: flow.transport, address: flow.address }, 'gb device registered');
    this.#d.onOnline(session, fresh);
  }

  /** Takes devices offline whose registration ended or whose keepalives stopped. */
  async sweep(now = Date.now()): Promise<void> {
    const due: [DeviceSession, OfflineReason][] = [];
    for (const s of this.#sessions.values()) {
      if (s.expiresAt <= now) due.push([s, 'expired']);
      else if (s.online && now - s.lastSeen > this.#d.keepaliveTimeoutMs) due.push([s, 'keepalive']);
    }
    for (const [s, reason] of due) {
      if (reason === 'expired') this.#dropSession(s.deviceId);
      if (!s.online) continue;
      s.online = false;
      this.#log.warn({ deviceId: s.deviceId, reason }, 'gb device offline');
      try {
        await this.#d.store.offline(s.deviceId, s.sourceId, reason, {
          ...this.#entry(s.deviceId, s.sourceId, s.flow),
          action: 'gb.offline',
          result: 'ok',
          reason,
          detail: { deviceId: s.deviceId, lastSeen: new Date(s.lastSeen).toISOString() },
        });
      } catch (err) {
        this.#log.error({ err, deviceId: s.deviceId }, 'gb device offline not recorded');
      }
      this.#d.onOffline(s, reason);
    }
    for (const [n, v] of this.#nonces) if (v.expiresAt <= now) this.#nonces.delete(n);
    for (const [k, t] of this.#denyAudited) if (now - t > DENY_AUDIT_EVERY_MS) this.#denyAudited.delete(k);
  }

  #setSession(s: DeviceSession): void {
    this.#dropSession(s.deviceId);
    this.#sessions.set(s.deviceId, s);
    this.#byFlow.set(flowKey(s.flow), s.deviceId);
  }

  #dropSession(deviceId: string): DeviceSession | undefined {
    const s = this.#sessions.get(deviceId);
    if (!s) return undefined;
    this.#sessions.delete(deviceId);
    const k = flowKey(s.flow);
    if (this.#byFlow.get(k) === deviceId) this.#byFlow.delete(k);
    return s;
  }

  async #unregister(deviceId: string, source: GbSource, flow: SipFlow): Promise<void> {
    const s = this.#dropSession(deviceId);
    await this.#d.store.offline(deviceId, source.id, 'unregistered', {
      ...this.#entry(deviceId, source.id, flow),
      action: 'gb.unregister',
      result: 'ok',
      reason: 'unregistered',
      detail: { deviceId },
    });
    this.#log.info({ deviceId }, 'gb device unregistered');
    if (s) {
      s.online = false;
      this.#d.onOffline(s, 'unregistered');
    }
  }

  #challenge(req: gb.SipRequest, flow: SipFlow, deviceId: string, stale: boolean): Promise<void> {
    const nonce = randomBytes(16).toString('hex');
    this.#nonces.set(nonce, { owner: deviceId, expiresAt: Date.now() + NONCE_TTL_MS, lastNc: 0 });
    if (this.#nonces.size > MAX_NONCES) {
      const oldest = this.#nonces.keys().next().value;
      if (oldest !== undefined) this.#nonces.delete(oldest);
    }
    const header = gb.formatDigestChallenge({ realm: this.#d.me.domain, nonce, qop: ['auth'], stale });
    return this.#d.respond(
      req,
      flow,
      respond(req, flow, 401, {
        toTag: randomToken(),
        headers: [{ name: 'WWW-Authenticate', value: header }],
      }),
    );
  }

  /** The source's password; `unavailable` when it cannot be opened (no key, wrong key). */
  #password(source: GbSource): string | undefined | 'unavailable' {
    if (!source.secretCiphertext) return undefined;
    if (!this.#d.secrets) {
      this.#log.error(
        { sourceId: source.id },
        'gb REGISTER: no SOURCE_SECRET_KEY to open the device password',
      );
      return 'unavailable';
    }
    try {
      return this.#d.secrets.open(source.id, source.secretCiphertext).password;
    } catch (err) {
      if (err instanceof SealedSecretError) {
        this.#log.error(
          { sourceId: source.id, why: err.why },
          'gb REGISTER: device password cannot be opened',
        );
        return 'unavailable';
      }
      throw err;
    }
  }

  /**
   * A refused request: counted against its address (backoff), logged and audited — the same
   * device, reason, method, transport and address at most every 10 s.
   */
  async #deny(
    action: 'gb.register' | 'gb.request',
    deviceId: string,
    source: GbSource | string | null,
    flow: SipFlow,
    reason: string,
    method = 'REGISTER',
  ): Promise<void> {
    await this.#d.onRefused(flow);
    const k = `${action}|${deviceId}|${reason}|${method}|${flow.transport}|${flow.address}`;
    const now = Date.now();
    const last = this.#denyAudited.get(k);
    if (last !== undefined && now - last < DENY_AUDIT_EVERY_MS) return;
    this.#denyAudited.delete(k);
    this.#denyAudited.set(k, now);
    if (this.#denyAudited.size > MAX_DENY_KEYS) {
      const oldest = this.#denyAudited.keys().next().value;
      if (oldest !== undefined) this.#denyAudited.delete(oldest);
    }
    const from = `${flow.transport}:${flow.address}:${flow.port}`;
    this.#log.warn({ deviceId, method, reason, from }, 'gb request refused');
    const sourceId = typeof source === 'string' ? source : (source?.id ?? null);
    await this.#d.store
      .audit({
        ...this.#entry(deviceId, sourceId, flow),
        action,
        result: 'deny',
        reason,
        detail: { deviceId, method, transport: flow.transport },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'gb refusal not audited'));
  }

  #entry(
    deviceId: string,
    sourceId: string | null,
    flow: SipFlow,
  ): Pick<AuditEntryInput, 'actorId' | 'actorName' | 'targetKind' | 'targetId' | 'address'> {
    return {
      actorId: null,
      actorName: `${SYSTEM_ACTOR}:${deviceId}`,
      targetKind: 'source',
      targetId: sourceId,
      address: `${flow.address}:${flow.port}`,
    };
  }
}

function contactExpires(contact: string | null): number | undefined {
  if (!contact) return undefined;
  const first = gb.getHeaderValues({ headers: [{ name: 'Contact', value: contact }] }, 'Contact')[0];
  const na = first ? gb.parseNameAddr(first) : undefined;
  const v = na?.ok ? na.value.params.get('expires') : undefined;
  return v && /^\d{1,10}$/.test(v) ? Number(v) : undefined;
}
