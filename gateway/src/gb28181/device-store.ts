import type { Funding } from '@wall/protocol';
import { type AuditEntry, type AuditEntryInput, auditEntryInputSchema, writeBatch } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import { type GbSourceSettings, gbSettings } from './settings.ts';

/** A GB source system as the SIP server needs it. */
export interface GbSource {
  id: string;
  name: string;
  ownerOrgId: string;
  funding: Funding;
  settings: GbSourceSettings;
  /** Sealed credentials (`secret_ciphertext`), opened only to check a REGISTER. */
  secretCiphertext: Uint8Array | null;
}

/** A registration as stored. */
export interface RegistrationRow {
  deviceId: string;
  sourceId: string;
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  contact: string | null;
  expiresS: number;
  registeredAt: Date;
  expiresAt: Date;
  gbVersion: string | null;
  userAgent: string | null;
}

interface SourceDbRow {
  id: string;
  name: string;
  owner_org_id: string;
  funding: Funding;
  connection: Record<string, unknown>;
  secret_ciphertext: Uint8Array | null;
}

type Op =
  | { kind: 'register'; row: RegistrationRow }
  | { kind: 'offline'; deviceId: string; sourceId: string; reason: string }
  | { kind: 'online'; deviceId: string; sourceId: string };

interface Pending {
  op: Op | undefined;
  audits: AuditEntry[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const SOURCE_CACHE_MS = 5000;
const SNAPSHOT_MS = 10_000;
const TOUCH_FLUSH_MS = 5000;
const MAX_BATCH = 500;

/**
 * The database side of the SIP server: source look-ups (briefly cached: a REGISTER and its
 * authenticated retry come milliseconds apart) and the device rows, written by group commit — each
 * batch of registrations, offline and online changes is one transaction together with its audit
 * entries, so a 200 OK is sent only once the registration and its audit row are committed, and a
 * storm of REGISTERs costs one commit per batch, not per device. Keepalive times are coalesced and
 * written every 5 s.
 */
export class DeviceStore {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #sources = new Map<string, { value: GbSource | undefined; expires: number }>();
  #snapshot: { at: number; byDevice: Map<string, GbSource> } | undefined;
  #snapshotLoading: Promise<void> | undefined;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  readonly #touches = new Map<string, number>();
  readonly #touchTimer: NodeJS.Timeout;
  #closed = false;

  constructor(db: Db, logger: Logger) {
    this.#db = db;
    this.#log = logger;
    this.#touchTimer = setInterval(() => void this.flushTouches(), TOUCH_FLUSH_MS);
    this.#touchTimer.unref();
  }

  get db(): Db {
    return this.#db;
  }

  /**
   * The live GB source system whose connection names this device ID. Every GB source is read in
   * one query at most every 10 s while REGISTERs come (a storm of 2 000 devices costs one query, not
   * 2 000); a device not in that snapshot (filed since) is looked up alone, its answer kept 5 s.
   */
  async sourceByDevice(deviceId: string): Promise<GbSource | undefined> {
    const now = Date.now();
    if (!this.#snapshot || now - this.#snapshot.at > SNAPSHOT_MS) await this.#loadSnapshot();
    const known = this.#snapshot?.byDevice.get(deviceId);
    if (known) return known;
    const hit = this.#sources.get(deviceId);
    if (hit && hit.expires > now) return hit.value;
    const { rows } = await this.#db.query<SourceDbRow>(
      `SELECT id, name, owner_org_id, funding, connection, secret_ciphertext FROM source_systems
        WHERE kind = 'gb28181' AND connection ->> 'deviceId' = $1 AND removed_at IS NULL
        ORDER BY created_at LIMIT 1`,
      [deviceId],
    );
    const value = rows[0] ? toSource(rows[0]) : undefined;
    this.#sources.set(deviceId, { value, expires: now + SOURCE_CACHE_MS });
    if (this.#sources.size > 50_000) this.#sources.clear();
    return value;
  }

  #loadSnapshot(): Promise<void> {
    this.#snapshotLoading ??= (async () => {
      try {
        const at = Date.now();
        const { rows } = await this.#db.query<SourceDbRow>(
          `SELECT id, name, owner_org_id, funding, connection, secret_ciphertext FROM source_systems
            WHERE kind = 'gb28181' AND removed_at IS NULL ORDER BY created_at DESC`,
        );
        const byDevice = new Map<string, GbSource>();
        // Oldest last, so that it wins when two sources name the same device (as the single look-up).
        for (const r of rows) {
          const source = toSource(r);
          if (source) byDevice.set(source.settings.deviceId, source);
        }
        this.#snapshot = { at, byDevice };
        this.#sources.clear();
      } finally {
        this.#snapshotLoading = undefined;
      }
    })();
    return this.#snapshotLoading;
  }

  async sourceById(db: Queryable, id: string): Promise<GbSource | undefined> {
    const { rows } = await db.query<SourceDbRow>(
      `SELECT id, name, owner_org_id, funding, connection, secret_ciphertext FROM source_systems
        WHERE id = $1 AND kind = 'gb28181'`,
      [id],
    );
    return rows[0] ? toSource(rows[0]) : undefined;
  }

  /** Forgets what is cached of the sources (their settings changed). */
  forget(): void {
    this.#sources.clear();
    this.#snapshot = undefined;
  }

  /** Stores a registration (device online, its cameras follow) with its audit entry. */
  register(row: RegistrationRow, audit: AuditEntryInput): Promise<void> {
    return this.#enqueue({ kind: 'register', row }, [audit]);
  }

  offline(deviceId: string, sourceId: string, reason: string, audit: AuditEntryInput): Promise<void> {
    return this.#enqueue({ kind: 'offline', deviceId, sourceId, reason }, [audit]);
  }

  online(deviceId: string, sourceId: string, audit: AuditEntryInput): Promise<void> {
    return this.#enqueue({ kind: 'online', deviceId, sourceId }, [audit]);
  }

  /** An audit entry with no change of its own (a refused REGISTER), group-committed. */
  audit(entry: AuditEntryInput): Promise<void> {
    return this.#enqueue(undefined, [entry]);
  }

  /** The device was heard from (keepalive, any request): written with the next flush. */
  touch(deviceId: string, at: number): void {
    this.#touches.set(deviceId, at);
  }

  async flushTouches(): Promise<void> {
    if (this.#touches.size === 0) return;
    const rows = [...this.#touches].map(([id, t]) => ({ id, t: new Date(t).toISOString() }));
    this.#touches.clear();
    await this.#db
      .query(
        `UPDATE gb_devices d SET last_seen = v.t
           FROM jsonb_to_recordset($1::jsonb) AS v(id text, t timestamptz)
          WHERE d.device_id = v.id AND d.last_seen < v.t`,
        [JSON.stringify(rows)],
      )
      .catch((err: unknown) => this.#log.warn({ err }, 'gb keepalive times not written'));
  }

  async deviceInfo(
    deviceId: string,
    info: { deviceName?: string; manufacturer?: string; model?: string; firmware?: string; channel?: number },
  ): Promise<void> {
    await this.#db.query(
      `UPDATE gb_devices SET device_name = coalesce($2, device_name), manufacturer = coalesce($3, manufacturer),
              model = coalesce($4, model), firmware = coalesce($5, firmware),
              channel_count = coalesce($6, channel_count), updated_at = now()
        WHERE device_id = $1`,
      [
        deviceId,
        info.deviceName ?? null,
        info.manufacturer ?? null,
        info.model ?? null,
        info.firmware ?? null,
        info.channel ?? null,
      ],
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#touchTimer);
    await this.#flushing;
    await this.flushTouches();
  }

  #enqueue(op: Op | undefined, audits: AuditEntryInput[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('device store is closed'));
    let parsed: AuditEntry[];
    try {
      parsed = audits.map((a) => auditEntryInputSchema.parse(a));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ op, audits: parsed, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#db.transaction(async (tx) => {
            await writeOps(
              tx,
              batch.flatMap((p) => (p.op ? [p.op] : [])),
            );
            await writeBatch(
              tx,
              batch.flatMap((p) => p.audits),
            );
          });
          for (const p of batch) p.resolve();
        } catch (err) {
          this.#log.error({ err }, 'gb device batch not written');
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }
}

function toSource(r: SourceDbRow): GbSource | undefined {
  const settings = gbSettings(r.connection);
  if (!settings) return undefined;
  return {
    id: r.id,
    name: r.name,
    ownerOrgId: r.owner_org_id,
    funding: r.funding,
    settings,
    secretCiphertext: r.secret_ciphertext,
  };
}

/** Cameras of these sources: online when their device is and their channel says ON (or nothing). */
const CAMERAS_ONLINE = `UPDATE cameras SET online = (coalesce(source_status, 'ON') = 'ON'), status_changed_at = now()
   WHERE source_id = ANY($1::uuid[]) AND state <> 'removed'
     AND online IS DISTINCT FROM (coalesce(source_status, 'ON') = 'ON')`;
const CAMERAS_OFFLINE = `UPDATE cameras SET online = false, status_changed_at = now()
   WHERE source_id = ANY($1::uuid[]) AND online IS DISTINCT FROM false`;

/** Applies a batch's device changes in order (a later change of the same device wins). */
async function writeOps(tx: Queryable, ops: Op[]): Promise<void> {
  // Collapse to the last change per device, keeping order of first appearance.
  const last = new Map<string, Op>();
  for (const op of ops) {
    const id = op.kind === 'register' ? op.row.deviceId : op.deviceId;
    last.delete(id);
    last.set(id, op);
  }
  const regs: RegistrationRow[] = [];
  const offline: { deviceId: string; sourceId: string; reason: string }[] = [];
  const online: { deviceId: string; sourceId: string }[] = [];
  for (const op of last.values()) {
    if (op.kind === 'register') regs.push(op.row);
    else if (op.kind === 'offline') offline.push(op);
    else online.push(op);
  }
  if (regs.length > 0) {
    await tx.query(
      `INSERT INTO gb_devices (device_id, source_id, transport, address, port, contact, expires_s, registered_at,
                               expires_at, last_seen, online, offline_reason, gb_version, user_agent, updated_at)
       SELECT device_id, source_id, transport, address, port, contact, expires_s, registered_at, expires_at,
              registered_at, true, NULL, gb_version, user_agent, now()
         FROM jsonb_to_recordset($1::jsonb) AS r(device_id text, source_id uuid, transport text, address text,
              port int, contact text, expires_s int, registered_at timestamptz, expires_at timestamptz,
              gb_version text, user_agent text)
       ON CONFLICT (device_id) DO UPDATE SET source_id = EXCLUDED.source_id, transport = EXCLUDED.transport,
              address = EXCLUDED.address, port = EXCLUDED.port, contact = EXCLUDED.contact,
              expires_s = EXCLUDED.expires_s, registered_at = EXCLUDED.registered_at,
              expires_at = EXCLUDED.expires_at, last_seen = EXCLUDED.last_seen, online = true,
              offline_reason = NULL, gb_version = EXCLUDED.gb_version, user_agent = EXCLUDED.user_agent,
              updated_at = now()`,
      [
        JSON.stringify(
          regs.map((r) => ({
            device_id: r.deviceId,
            source_id: r.sourceId,
            transport: r.transport,
            address: r.address,
            port: r.port,
            contact: r.contact,
            expires_s: r.expiresS,
            registered_at: r.registeredAt.toISOString(),
            expires_at: r.expiresAt.toISOString(),
            gb_version: r.gbVersion,
            user_agent: r.userAgent,
          })),
        ),
      ],
    );
  }
  const up = [...regs.map((r) => r.sourceId), ...online.map((o) => o.sourceId)];
  if (online.length > 0) {
    await tx.query(
      `UPDATE gb_devices SET online = true, offline_reason = NULL, last_seen = now(), updated_at = now()
        WHERE device_id = ANY($1::text[])`,
      [online.map((o) => o.deviceId)],
    );
  }
  if (up.length > 0) await tx.query(CAMERAS_ONLINE, [up]);
  if (offline.length > 0) {
    await tx.query(
      `UPDATE gb_devices d SET online = false, offline_reason = v.reason, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS v(id text, reason text) WHERE d.device_id = v.id`,
      [JSON.stringify(offline.map((o) => ({ id: o.deviceId, reason: o.reason })))],
    );
    await tx.query(CAMERAS_OFFLINE, [offline.map((o) => o.sourceId)]);
  }
}
