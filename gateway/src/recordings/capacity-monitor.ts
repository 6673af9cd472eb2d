import { randomBytes } from 'node:crypto';
import {
  type CapacityAlarm,
  type CapacityChange,
  type CapacityReport,
  capacityReportSchema,
  channelsOf,
  type DependencyState,
} from '@wall/protocol';
import type { Redis } from 'ioredis';
import { appendAudit } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { MediaDirectory } from '../media/directory.ts';
import { type CameraUsage, diffAlarms, forecastVolume, reportOf } from './capacity.ts';
import { storageUsage, type UsageRow } from './repository.ts';

/** The last report every gateway answers health checks from (JSON of `capacityReportSchema`). */
export const CAPACITY_STATE_KEY = 'recording:capacity';
const LOCK_KEY = 'recording:capacity:lock';
const DAY_MS = 86_400_000;

export interface CapacityMonitorOptions {
  db: Db;
  redis: Redis;
  directory: Pick<MediaDirectory, 'nodes'>;
  logger: Logger;
  /** RECORDING_RETENTION_DAYS. */
  defaultRetentionDays: number;
  /** RECORDING_CAPACITY_WARN_PERCENT / 100. */
  warnRatio: number;
  /**
   * How long the index's figures (an aggregate over every segment of the nodes) are reused (ms);
   * the nodes' volumes and stops are read fresh at every evaluation. Default 300 000; 0: never.
   */
  usageMaxAgeMs?: number;
  now?: () => number;
}

/**
 * The recording capacity forecast and storage alarms (R-REC-3). `evaluate()` reads the media nodes'
 * volumes (their heartbeats) and the index (bytes per camera in the last 24 h, retention, holds) into
 * a report. `check()` — every RECORDING_CAPACITY_CHECK_S, on one gateway at a time (a Redis lock) —
 * compares its alarms with the last report's: each alarm raised or cleared is audited
 * (`recording.capacity`, in one transaction), the report is kept in Redis for every gateway's health
 * check, and the change is published on `recording:capacity` for the realtime servers to tell
 * administrators.
 */
export class CapacityMonitor {
  readonly #o: CapacityMonitorOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #usage: { at: number; nodes: string; rows: Promise<UsageRow[]> } | undefined;
  #closed = false;

  constructor(o: CapacityMonitorOptions) {
    this.#o = o;
    this.#log = o.logger.child({ feature: 'recording-capacity' });
  }

  /** The report now (nothing audited or published); alarms keep the `since` of the last check. */
  async evaluate(): Promise<CapacityReport> {
    const now = (this.#o.now ?? Date.now)();
    const nodes = (await this.#o.directory.nodes(now)).filter((n) => n.recording);
    const rows = await this.#usageOf(
      nodes.map((n) => n.id),
      now,
    );
    const usage = new Map<string, CameraUsage[]>();
    for (const r of rows) {
      const list = usage.get(r.node) ?? [];
      list.push({
        cameraId: r.camera_id,
        profile: r.profile,
        storedBytes: Number(r.stored_bytes),
        windowBytes: Number(r.window_bytes ?? 0),
        windowRecordedMs: Number(r.window_ms ?? 0),
        retentionDays: Number(r.retention_days),
        heldBytes: Number(r.held_bytes ?? 0),
      });
      usage.set(r.node, list);
    }
    const volumes = nodes.flatMap((n) =>
      n.recording
        ? [forecastVolume(n.id, n.recording, usage.get(n.id) ?? [], { now, warnRatio: this.#o.warnRatio })]
        : [],
    );
    return reportOf(volumes, (await this.last())?.alarms ?? [], now);
  }

  /** The index's figures for these nodes, reused while younger than `usageMaxAgeMs`. */
  #usageOf(nodes: string[], now: number): Promise<UsageRow[]> {
    const key = [...nodes].sort().join(',');
    const maxAge = this.#o.usageMaxAgeMs ?? 300_000;
    const u = this.#usage;
    if (u && u.nodes === key && now - u.at < maxAge) return u.rows;
    const rows = storageUsage(this.#o.db, nodes, new Date(now - DAY_MS), this.#o.defaultRetentionDays);
    this.#usage = { at: now, nodes: key, rows };
    rows.catch(() => {
      if (this.#usage?.rows === rows) this.#usage = undefined; // not kept: the next evaluation asks again
    });
    return rows;
  }

  /** The report of the last check (any gateway's), or undefined before the first. */
  async last(): Promise<CapacityReport | undefined> {
    const raw = await this.#o.redis.get(CAPACITY_STATE_KEY);
    if (!raw) return undefined;
    const parsed = capacityReportSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Evaluates, and when alarms were raised or cleared audits and announces the change. Returns the
   * change, or undefined when nothing changed (or another gateway is checking right now).
   */
  async check(): Promise<CapacityChange | undefined> {
    const token = randomBytes(8).toString('hex');
    const redis = this.#o.redis;
    if ((await redis.set(LOCK_KEY, token, 'PX', 30_000, 'NX')) !== 'OK') return undefined;
    try {
      const previous = (await this.last())?.alarms ?? [];
      const report = await this.evaluate();
      const { raised, cleared } = diffAlarms(previous, report.alarms);
      if (raised.length > 0 || cleared.length > 0) {
        await this.#o.db.transaction(async (tx) => {
          for (const [alarm, state] of [
            ...raised.map((a) => [a, 'raised'] as const),
            ...cleared.map((a) => [a, 'cleared'] as const),
          ]) {
            await appendAudit(tx, auditEntry(alarm, state));
          }
        });
      }
      await redis.set(CAPACITY_STATE_KEY, JSON.stringify(report));
      if (raised.length === 0 && cleared.length === 0) return undefined;
      const change: CapacityChange = { report, raised, cleared };
      for (const a of raised)
        this.#log.warn({ alarm: a.id, node: a.node, reason: a.reason }, 'storage alarm');
      for (const a of cleared) this.#log.info({ alarm: a.id, node: a.node }, 'storage alarm cleared');
      await redis.publish(channelsOf(redis).recordingCapacity, JSON.stringify(change));
      return change;
    } finally {
      await redis
        .eval(
          "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end",
          1,
          LOCK_KEY,
          token,
        )
        .catch(() => undefined); // cleanup: the lock expires anyway
    }
  }

  /** Checks now and every `intervalMs` (failures logged, retried at the next). */
  start(intervalMs: number): void {
    if (this.#timer || this.#closed || intervalMs <= 0) return;
    const run = () => {
      if (this.#running || this.#closed) return;
      this.#running = this.check()
        .catch((err: unknown) => this.#log.error({ err }, 'recording capacity check failed'))
        .finally(() => {
          this.#running = undefined;
        });
    };
    run();
    this.#timer = setInterval(run, intervalMs);
    this.#timer.unref();
  }

  /** Stops checking; a check under way finishes first. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }
}

function auditEntry(a: CapacityAlarm, state: 'raised' | 'cleared') {
  return {
    actorName: 'recording-capacity',
    action: 'recording.capacity',
    targetKind: 'media_node',
    targetId: a.node,
    result: 'ok' as const,
    reason: `${a.kind} ${state}: ${a.reason}`,
    detail: {
      alarm: a.id,
      kind: a.kind,
      state,
      since: a.since,
      runsOutAt: a.runsOutAt,
      cameraId: a.cameraId,
      profile: a.profile,
    },
  };
}

/** The health check's entry: ok, warn (a warning), fail (a shortfall or a stop) with the reason. */
export function capacityHealth(report: CapacityReport): DependencyState {
  const level = report.status === 'shortfall' ? 'fail' : report.status === 'warning' ? 'warn' : 'ok';
  const worst = report.alarms.find((a) => a.kind !== 'capacity_warning') ?? report.alarms[0];
  return {
    ok: level !== 'fail',
    level,
    detail: worst ? `${worst.node}: ${worst.reason}` : `${report.volumes.length} recording volume(s) ok`,
  };
}
