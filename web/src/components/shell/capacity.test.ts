import type { CapacityAlarm, CapacityReport, VolumeCapacity } from '@wall/protocol';
import { describe, expect, it } from 'vitest';
import { capacityBanner, isRecovery } from './capacity';

const volume = (v: Partial<VolumeCapacity> = {}): VolumeCapacity => ({
  node: 'media-1',
  status: 'ok',
  reason: '',
  totalBytes: 60e6,
  freeBytes: 40e6,
  minFreeBytes: 10e6,
  usableBytes: 45e6,
  storedBytes: 15e6,
  neededBytes: 20e6,
  bytesPerDay: 1e6,
  runsOutAt: null,
  measuredAt: '2026-12-08T03:00:00.000Z',
  cameras: [],
  stopped: [],
  ...v,
});
const alarm = (id: string, kind: CapacityAlarm['kind'] = 'capacity_shortfall'): CapacityAlarm => ({
  id,
  kind,
  node: 'media-1',
  cameraId: null,
  profile: null,
  since: '2026-12-08T03:00:00.000Z',
  runsOutAt: null,
  reason: 'r',
});
const report = (volumes: VolumeCapacity[], alarms: CapacityAlarm[]): CapacityReport => ({
  status: volumes.some((v) => v.status === 'shortfall')
    ? 'shortfall'
    : volumes.some((v) => v.status === 'warning')
      ? 'warning'
      : 'ok',
  evaluatedAt: '2026-12-08T03:00:05.000Z',
  volumes,
  alarms,
});

describe('the storage banner (R-REC-3)', () => {
  it('shows nothing while every volume is ok, and a cleared banner right after a recovery', () => {
    expect(capacityBanner(null)).toBeNull();
    expect(capacityBanner(report([volume()], []))).toBeNull();
    expect(capacityBanner(report([volume()], []), true)).toMatchObject({ tone: 'ok', status: 'recovered' });
  });

  it('a shortfall: alarm tone, the earliest date space runs out, stops counted', () => {
    const r = report(
      [
        volume({ node: 'b', status: 'shortfall', runsOutAt: '2026-12-20T00:00:00.000Z', neededBytes: 900e6 }),
        volume({
          node: 'a',
          status: 'shortfall',
          runsOutAt: '2026-12-10T00:00:00.000Z',
          stopped: [{ cameraId: 'c', profile: 'sub', priority: 10, since: '2026-12-08T03:00:00.000Z' }],
        }),
      ],
      [alarm('shortfall:b'), alarm('shortfall:a'), alarm('stopped:a:c:sub', 'recording_stopped')],
    );
    expect(capacityBanner(r)).toEqual({
      tone: 'alarm',
      status: 'shortfall',
      key: 'shortfall:shortfall:a|shortfall:b|stopped:a:c:sub',
      runsOutAt: '2026-12-10T00:00:00.000Z',
      stopped: 1,
      neededBytes: 900e6,
      usableBytes: 45e6,
      nodes: 2,
    });
  });

  it('a warning: warn tone; a new alarm gives a new key (a dismissed banner shows again)', () => {
    const w = capacityBanner(
      report([volume({ status: 'warning' })], [alarm('warning:media-1', 'capacity_warning')]),
    );
    expect(w).toMatchObject({ tone: 'warn', status: 'warning', runsOutAt: null });
    const s = capacityBanner(report([volume({ status: 'shortfall' })], [alarm('shortfall:media-1')]));
    expect(s?.key).not.toBe(w?.key);
  });

  it('a recovery is alarms cleared with none left', () => {
    const ok = report([volume()], []);
    expect(
      isRecovery({ report: ok, raised: [], cleared: [alarm('stopped:a:c:sub', 'recording_stopped')] }),
    ).toBe(true);
    const still = report([volume({ status: 'shortfall' })], [alarm('shortfall:media-1')]);
    expect(
      isRecovery({ report: still, raised: [], cleared: [alarm('stopped:a:c:sub', 'recording_stopped')] }),
    ).toBe(false);
  });
});
