import type { CapacityChange, CapacityReport, CapacityStatus } from '@wall/protocol';

/** What the storage banner shows (R-REC-3), decided from the gateway's capacity report. */
export interface CapacityBanner {
  tone: 'alarm' | 'warn' | 'ok';
  status: CapacityStatus | 'recovered';
  /** Changes whenever the alarms change: a dismissed banner shows again with a new key. */
  key: string;
  /** The earliest date a volume's space runs out (shortfall), or null. */
  runsOutAt: string | null;
  /** Recorders stopped for lack of space, every node. */
  stopped: number;
  /** The worst volume's need and usable space (bytes). */
  neededBytes: number;
  usableBytes: number;
  /** Volumes in warning or shortfall. */
  nodes: number;
}

/** The key of a set of alarms: their ids, sorted. */
export function alarmsKey(report: Pick<CapacityReport, 'alarms'>): string {
  return report.alarms
    .map((a) => a.id)
    .sort()
    .join('|');
}

/**
 * The banner for a report, or null when there is nothing to say: ok with no alarm shows nothing,
 * unless `recovered` (alarms were just cleared and none is left) — then a short "cleared" banner.
 */
export function capacityBanner(report: CapacityReport | null, recovered = false): CapacityBanner | null {
  if (!report) return null;
  const bad = report.volumes.filter((v) => v.status !== 'ok');
  if (report.alarms.length === 0 && bad.length === 0) {
    if (!recovered) return null;
    return {
      tone: 'ok',
      status: 'recovered',
      key: `recovered@${report.evaluatedAt}`,
      runsOutAt: null,
      stopped: 0,
      neededBytes: 0,
      usableBytes: 0,
      nodes: 0,
    };
  }
  const worst = bad[0] ?? report.volumes[0];
  const dates = bad.flatMap((v) => (v.runsOutAt ? [v.runsOutAt] : [])).sort();
  return {
    tone: report.status === 'shortfall' ? 'alarm' : report.status === 'warning' ? 'warn' : 'alarm',
    status: report.status,
    key: `${report.status}:${alarmsKey(report)}`,
    runsOutAt: dates[0] ?? null,
    stopped: report.volumes.reduce((n, v) => n + v.stopped.length, 0),
    neededBytes: worst?.neededBytes ?? 0,
    usableBytes: worst?.usableBytes ?? 0,
    nodes: bad.length,
  };
}

/** Whether a realtime change leaves nothing alarming: alarms cleared and none left. */
export function isRecovery(change: CapacityChange): boolean {
  return change.cleared.length > 0 && change.report.alarms.length === 0;
}
