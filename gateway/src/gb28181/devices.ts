import { randomBytes } from 'node:crypto';
import * as gb from '@wall/protocol/gb28181';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Logger } from '../lib/logger.ts';
import { SealedSecretError, type SourceSecretBox } from '../registry/index.ts';
import type { DeviceStore, GbSource } from './device-store.ts';
import { nameAddrUser, randomToken, respond, type SipIdentity } from './sip-util.ts';
import type { SipFlow } from './transport.ts';

/** A registered device as the SIP server keeps it (the database mirrors it in `gb_devices`). */
export interface DeviceSession {
  deviceId: string;
  sourceId: string;
  /** Where requests to the device go: the flow of its latest REGISTER or keepalive. */
  flow: SipFlow;
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
}

export type OfflineReason = 'unregistered' | 'expired' | 'keepalive';

/** How long a challenge's nonce may be answered. */
const NONCE_TTL_MS = 120_000;
const MAX_NONCES = 100_000;
/** Longest registration granted. */
const MAX_EXPIRES_S = 86_400;
/** A refused REGISTER of the same device, reason and address is audited at most this often. */
const DENY_AUDIT_EVERY_MS = 10_000;
export const SYSTEM_ACTOR = 'gb28181';

/**
 * REGISTER (digest, RFC 2617 with qop=auth, realm = our domain), unregister, keepalives, and the
 * sweeper that takes silent devices offline. Only devices filed as gb28181 source systems may
 * register: an unknown ID or a wrong password gets 403, a REGISTER without credentials a 401 with
 * a random nonce bound to the device for two minutes.
 */
export class GbDevices {
  readonly #d: DevicesDeps;
  readonly #log: Logger;
  readonly #sessions = new Map<string, DeviceSession>();
  readonly #nonces = new Map<string, { deviceId: string; expires: number }>();
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

  /** A request from a registered device: it is alive, and this is where it is now. */
  heard(deviceId: string, flow: SipFlow): DeviceSession | undefined {
    const s = this.#sessions.get(deviceId);
    if (!s) return undefined;
    s.lastSeen = Date.now();
    s.flow = flow;
    this.#d.store.touch(deviceId, s.lastSeen);
    return s;
  }

  /** Keepalive from `deviceId`: false when it is not registered (answer 403: it must register). */
  async keepalive(deviceId: string, flow: SipFlow, charset: gb.GbCharset): Promise<boolean> {
    const s = this.#sessions.get(deviceId);
    if (!s || s.expiresAt <= Date.now()) return false;
    this.heard(deviceId, flow);
    s.charset = charset;
    if (!s.online) {
      s.online = true;
      await this.#d.store.online(deviceId, s.sourceId, {
        ...this.#entry(s.deviceId, s.sourceId, flow),
        action: 'gb.online',
        result: 'ok',
        reason: 'keepalive',
      });
      this.#log.info({ deviceId }, 'gb device back online');
      this.#d.onOnline(s, true);
    }
    return true;
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
      this.#log.warn(
        { deviceId, from: `${flow.address}:${flow.port}` },
        'gb REGISTER from an unknown device',
      );
      await this.#deny(deviceId, null, flow, 'unknown_device');
      return reply(403);
    }
    const authText = gb.getHeader(req, 'Authorization');
    if (!authText) return this.#challenge(req, flow, deviceId, false);
    const creds = gb.parseDigestCredentials(authText);
    if (!creds.ok) return reply(400, { reason: 'Bad Authorization' });
    const nonce = this.#nonces.get(creds.value.nonce);
    if (!nonce || nonce.deviceId !== deviceId || nonce.expires <= Date.now()) {
      return this.#challenge(req, flow, deviceId, nonce !== undefined);
    }
    if (creds.value.username !== deviceId) {
      await this.#deny(deviceId, source, flow, 'username_mismatch');
      return reply(403);
    }
    const password = this.#password(source);
    if (password === 'unavailable') return reply(503);
    if (password === undefined) {
      this.#log.warn({ deviceId, sourceId: source.id }, 'gb source has no password: REGISTER refused');
      await this.#deny(deviceId, source, flow, 'no_secret');
      return reply(403);
    }
    const verdict = gb.verifyDigest(creds.value, {
      method: 'REGISTER',
      realm: this.#d.me.domain,
      nonce: creds.value.nonce,
      password,
    });
    if (!verdict.ok) {
      this.#log.warn({ deviceId, why: verdict.reason }, 'gb REGISTER with wrong credentials');
      await this.#deny(deviceId, source, flow, `wrong_credentials:${verdict.reason}`);
      return reply(403);
    }
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
    this.#sessions.set(deviceId, session);
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
      if (reason === 'expired') this.#sessions.delete(s.deviceId);
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
    for (const [n, v] of this.#nonces) if (v.expires <= now) this.#nonces.delete(n);
    for (const [k, t] of this.#denyAudited) if (now - t > DENY_AUDIT_EVERY_MS) this.#denyAudited.delete(k);
  }

  async #unregister(deviceId: string, source: GbSource, flow: SipFlow): Promise<void> {
    const s = this.#sessions.get(deviceId);
    this.#sessions.delete(deviceId);
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
    this.#nonces.set(nonce, { deviceId, expires: Date.now() + NONCE_TTL_MS });
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

  async #deny(deviceId: string, source: GbSource | null, flow: SipFlow, reason: string): Promise<void> {
    const k = `${deviceId}|${reason}|${flow.address}`;
    const now = Date.now();
    const last = this.#denyAudited.get(k);
    if (last !== undefined && now - last < DENY_AUDIT_EVERY_MS) return;
    this.#denyAudited.set(k, now);
    await this.#d.store
      .audit({
        ...this.#entry(deviceId, source?.id ?? null, flow),
        action: 'gb.register',
        result: 'deny',
        reason,
        detail: { deviceId, transport: flow.transport },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'gb register refusal not audited'));
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
