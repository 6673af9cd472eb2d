import {
  type CameraCapacity,
  type CapacityAlarm,
  type CapacityReport,
  type CapacityStatus,
  formatBytes,
  type NodeRecordingVolume,
  type StreamProfile,
  type VolumeCapacity,
} from '@wall/protocol';

// The recording capacity forecast (R-REC-3), pure: a media node's volume and what its cameras
// recorded → status, the date the space runs out, and the alarms. Table-tested in capacity.test.ts.

const DAY_MS = 86_400_000;

/** What the index says of one camera profile recorded on a node. */
export interface CameraUsage {
  cameraId: string;
  profile: StreamProfile;
  /** Bytes of every indexed segment of it on the node. */
  storedBytes: number;
  /** Bytes and recorded time (sum of durations) of its segments in the measuring window (24 h). */
  windowBytes: number;
  windowRecordedMs: number;
  /** Its effective retention (its own setting or RECORDING_RETENTION_DAYS, never under 30). */
  retentionDays: number;
  /** Bytes of its segments older than the retention that an unreleased evidence hold keeps. */
  heldBytes: number;
}

export interface ForecastOptions {
  now: number;
  /** Fraction of the usable space needed above which the status is warning (e.g. 0.85). */
  warnRatio: number;
}

/** Bytes per day at the rate of the window, scaled from the time actually recorded in it. */
export function bytesPerDay(u: Pick<CameraUsage, 'windowBytes' | 'windowRecordedMs'>): number {
  if (u.windowRecordedMs <= 0 || u.windowBytes <= 0) return 0;
  return Math.round((u.windowBytes * DAY_MS) / u.windowRecordedMs);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One volume's forecast. What recordings may occupy (usable) is what they hold now plus the free
 * space above the node's minimum; what they need is, per camera, its measured bytes per day × its
 * retention, plus held footage past retention. Shortfall when the need exceeds the usable space —
 * or when the space already ran out (free under the minimum, or recorders stopped) —, with the date
 * the free space reaches the minimum at the measured rate (nothing is deleted before retention, so
 * every recorded byte until then is a byte more); warning above `warnRatio` of it; else ok.
 */
export function forecastVolume(
  node: string,
  volume: NodeRecordingVolume,
  usage: readonly CameraUsage[],
  o: ForecastOptions,
): VolumeCapacity {
  const cameras: CameraCapacity[] = usage
    .map((u) => {
      const perDay = bytesPerDay(u);
      return {
        cameraId: u.cameraId,
        profile: u.profile,
        bytesPerDay: perDay,
        retentionDays: u.retentionDays,
        heldBytes: u.heldBytes,
        neededBytes: perDay * u.retentionDays + u.heldBytes,
        storedBytes: u.storedBytes,
      };
    })
    .sort((a, b) => b.neededBytes - a.neededBytes || a.cameraId.localeCompare(b.cameraId));
  const storedBytes = cameras.reduce((n, c) => n + c.storedBytes, 0);
  const neededBytes = cameras.reduce((n, c) => n + c.neededBytes, 0);
  const rate = cameras.reduce((n, c) => n + c.bytesPerDay, 0);
  const headroom = Math.max(0, volume.freeBytes - volume.minFreeBytes);
  const usableBytes = storedBytes + headroom;
  const need = `${formatBytes(neededBytes)} needed for retention, ${formatBytes(usableBytes)} usable`;
  let status: CapacityStatus;
  let runsOutAt: number | null = null;
  let reason: string;
  if (volume.stopped.length > 0 || volume.freeBytes < volume.minFreeBytes) {
    status = 'shortfall';
    runsOutAt = Math.min(o.now, volume.measuredAt);
    reason =
      volume.stopped.length > 0
        ? `space ran out: ${volume.stopped.length} recording(s) stopped, ${formatBytes(volume.freeBytes)} free (minimum ${formatBytes(volume.minFreeBytes)})`
        : `space ran out: ${formatBytes(volume.freeBytes)} free (minimum ${formatBytes(volume.minFreeBytes)})`;
  } else if (neededBytes > usableBytes) {
    status = 'shortfall';
    runsOutAt = rate > 0 ? o.now + Math.round((headroom / rate) * DAY_MS) : null;
    reason = `${need}${runsOutAt !== null ? `: space runs out ${iso(runsOutAt).slice(0, 10)}` : ''}`;
  } else if (neededBytes > o.warnRatio * usableBytes) {
    status = 'warning';
    reason = `${need} (over ${Math.round(o.warnRatio * 100)} %)`;
  } else {
    status = 'ok';
    reason = need;
  }
  return {
    node,
    status,
    reason,
    totalBytes: volume.totalBytes,
    freeBytes: volume.freeBytes,
    minFreeBytes: volume.minFreeBytes,
    usableBytes,
    storedBytes,
    neededBytes,
    bytesPerDay: rate,
    runsOutAt: runsOutAt === null ? null : iso(runsOutAt),
    measuredAt: iso(volume.measuredAt),
    cameras,
    stopped: volume.stopped.map((s) => ({ ...s, since: iso(s.since) })),
  };
}

const SEVERITY: Record<CapacityStatus, number> = { ok: 0, warning: 1, shortfall: 2 };

/**
 * The alarms of these volumes: one per volume in warning or shortfall, one per recorder stopped
 * for lack of space. An alarm that was already active keeps its `since`.
 */
export function alarmsOf(
  volumes: readonly VolumeCapacity[],
  previous: readonly CapacityAlarm[],
  now: number,
): CapacityAlarm[] {
  const before = new Map(previous.map((a) => [a.id, a]));
  const out: CapacityAlarm[] = [];
  const add = (a: Omit<CapacityAlarm, 'since'>, since: string) =>
    out.push({ ...a, since: before.get(a.id)?.since ?? since });
  for (const v of volumes) {
    if (v.status !== 'ok') {
      add(
        {
          id: `${v.status}:${v.node}`,
          kind: v.status === 'shortfall' ? 'capacity_shortfall' : 'capacity_warning',
          node: v.node,
          cameraId: null,
          profile: null,
          runsOutAt: v.runsOutAt,
          reason: v.reason,
        },
        iso(now),
      );
    }
    for (const s of v.stopped) {
      add(
        {
          id: `stopped:${v.node}:${s.cameraId}:${s.profile}`,
          kind: 'recording_stopped',
          node: v.node,
          cameraId: s.cameraId,
          profile: s.profile,
          runsOutAt: null,
          reason: `recording stopped for lack of space (priority ${s.priority})`,
        },
        s.since,
      );
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** What was raised and what cleared between two alarm lists (by id). */
export function diffAlarms(
  previous: readonly CapacityAlarm[],
  next: readonly CapacityAlarm[],
): { raised: CapacityAlarm[]; cleared: CapacityAlarm[] } {
  const was = new Set(previous.map((a) => a.id));
  const is = new Set(next.map((a) => a.id));
  return {
    raised: next.filter((a) => !was.has(a.id)),
    cleared: previous.filter((a) => !is.has(a.id)),
  };
}

/** The report: every volume (worst first), the worst status, the alarms. */
export function reportOf(
  volumes: readonly VolumeCapacity[],
  previousAlarms: readonly CapacityAlarm[],
  now: number,
): CapacityReport {
  const sorted = [...volumes].sort(
    (a, b) => SEVERITY[b.status] - SEVERITY[a.status] || a.node.localeCompare(b.node),
  );
  return {
    status: sorted[0]?.status ?? 'ok',
    evaluatedAt: iso(now),
    volumes: sorted,
    alarms: alarmsOf(sorted, previousAlarms, now),
  };
}
