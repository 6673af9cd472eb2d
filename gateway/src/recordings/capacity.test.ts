import type { NodeRecordingVolume } from '@wall/protocol';
import { describe, expect, it } from 'vitest';
import { alarmsOf, bytesPerDay, type CameraUsage, diffAlarms, forecastVolume, reportOf } from './capacity.ts';

const NOW = Date.UTC(2026, 11, 8, 12, 0, 0);
const DAY = 86_400_000;
const GB = 1e9;
const o = { now: NOW, warnRatio: 0.85 };

const volume = (v: Partial<NodeRecordingVolume> = {}): NodeRecordingVolume => ({
  totalBytes: 1000 * GB,
  freeBytes: 900 * GB,
  minFreeBytes: 1 * GB,
  measuredAt: NOW - 1000,
  stopped: [],
  ...v,
});
/** A camera that recorded `perDay` bytes a day (12 h measured), holding `stored`. */
const cam = (id: string, perDay: number, u: Partial<CameraUsage> = {}): CameraUsage => ({
  cameraId: id,
  profile: 'main',
  storedBytes: 10 * GB,
  windowBytes: perDay / 2,
  windowRecordedMs: DAY / 2,
  retentionDays: 30,
  heldBytes: 0,
  ...u,
});

describe('capacity forecast (R-REC-3)', () => {
  it.each([
    { windowBytes: 1000, windowRecordedMs: DAY, want: 1000 },
    // Scaled from the time recorded: 1 h of 100 bytes → 2400 a day.
    { windowBytes: 100, windowRecordedMs: 3_600_000, want: 2400 },
    { windowBytes: 0, windowRecordedMs: 3_600_000, want: 0 },
    { windowBytes: 100, windowRecordedMs: 0, want: 0 },
  ])('bytes per day from $windowBytes bytes in $windowRecordedMs ms → $want', (c) => {
    expect(bytesPerDay(c)).toBe(c.want);
  });

  // usable = stored (sum of cameras) + free − minimum free
  it.each([
    {
      name: 'ok: 2 cameras × 10 GB/day × 30 d = 600 GB of 20 + 899 GB',
      vol: volume(),
      cams: [cam('a', 10 * GB), cam('b', 10 * GB)],
      status: 'ok',
      needed: 600 * GB,
      usable: 919 * GB,
      runsOutAt: null,
    },
    {
      name: 'warning: 800 GB of 919 GB (> 85 %)',
      vol: volume(),
      cams: [cam('a', 10 * GB), cam('b', 10 * GB, { retentionDays: 50 })],
      status: 'warning',
      needed: 800 * GB,
      usable: 919 * GB,
      runsOutAt: null,
    },
    {
      name: 'shortfall: 1200 GB needed of 919 GB, 20 GB/day into 899 GB free → 44.95 days',
      vol: volume(),
      cams: [cam('a', 10 * GB, { retentionDays: 90 }), cam('b', 10 * GB, { retentionDays: 30 })],
      status: 'shortfall',
      needed: 1200 * GB,
      usable: 919 * GB,
      runsOutAt: new Date(NOW + 44.95 * DAY).toISOString(),
    },
    {
      name: 'held footage past retention counts: 600 + 400 GB held > 919 GB',
      vol: volume(),
      cams: [cam('a', 10 * GB), cam('b', 10 * GB, { heldBytes: 400 * GB })],
      status: 'shortfall',
      needed: 1000 * GB,
      usable: 919 * GB,
      runsOutAt: new Date(NOW + 44.95 * DAY).toISOString(),
    },
    {
      name: 'a small capacity: 3 MB of which 1 MB minimum free, 1 MB/day for 30 days',
      vol: volume({ totalBytes: 3e6, freeBytes: 2.5e6, minFreeBytes: 1e6 }),
      cams: [cam('a', 1e6, { storedBytes: 5e5 })],
      status: 'shortfall',
      needed: 30e6,
      usable: 2e6,
      runsOutAt: new Date(NOW + 1.5 * DAY).toISOString(),
    },
    {
      name: 'space already ran out (free under the minimum): shortfall now',
      vol: volume({ freeBytes: 0.5 * GB }),
      cams: [cam('a', 1 * GB)],
      status: 'shortfall',
      needed: 30 * GB,
      usable: 10 * GB,
      runsOutAt: new Date(NOW - 1000).toISOString(),
    },
    {
      name: 'a recorder stopped for space: shortfall now, whatever the forecast',
      vol: volume({ stopped: [{ cameraId: 'a', profile: 'main', priority: 10, since: NOW - 5000 }] }),
      cams: [cam('a', 1 * GB)],
      status: 'shortfall',
      needed: 30 * GB,
      usable: 909 * GB,
      runsOutAt: new Date(NOW - 1000).toISOString(),
    },
    {
      name: 'nothing recorded: ok',
      vol: volume(),
      cams: [],
      status: 'ok',
      needed: 0,
      usable: 899 * GB,
      runsOutAt: null,
    },
  ])('$name', (c) => {
    const f = forecastVolume('media-1', c.vol, c.cams, o);
    expect(f.status).toBe(c.status);
    expect(f.neededBytes).toBe(c.needed);
    expect(f.usableBytes).toBe(c.usable);
    expect(f.runsOutAt).toBe(c.runsOutAt);
  });

  it('says why in words, with the date', () => {
    const f = forecastVolume('media-1', volume(), [cam('a', 10 * GB, { retentionDays: 120 })], o);
    expect(f.reason).toBe('1.2 TB needed for retention, 909.0 GB usable: space runs out 2027-03-08');
  });

  it('raises one alarm per volume in warning or shortfall and per stopped recorder, keeping since', () => {
    const stopped = volume({
      stopped: [{ cameraId: 'c1', profile: 'sub', priority: 5, since: NOW - 60_000 }],
    });
    const a = forecastVolume('n1', stopped, [cam('c1', GB)], o);
    const b = forecastVolume('n2', volume(), [cam('c2', GB)], o);
    const first = alarmsOf([a, b], [], NOW);
    expect(first.map((x) => [x.id, x.kind, x.since])).toEqual([
      ['shortfall:n1', 'capacity_shortfall', new Date(NOW).toISOString()],
      ['stopped:n1:c1:sub', 'recording_stopped', new Date(NOW - 60_000).toISOString()],
    ]);
    // Later: still active, same since; the recorder resumed → its alarm cleared, the volume's too.
    const later = alarmsOf([a], first, NOW + 30_000);
    expect(later[0]?.since).toBe(new Date(NOW).toISOString());
    const recovered = alarmsOf([forecastVolume('n1', volume(), [cam('c1', GB)], o)], first, NOW + 60_000);
    expect(recovered).toEqual([]);
    expect(diffAlarms(first, recovered)).toEqual({ raised: [], cleared: first });
    expect(diffAlarms([], first)).toEqual({ raised: first, cleared: [] });
  });

  it('a warning turning into a shortfall clears the one and raises the other', () => {
    const warn = reportOf(
      [forecastVolume('n1', volume(), [cam('a', 10 * GB), cam('b', 10 * GB, { retentionDays: 50 })], o)],
      [],
      NOW,
    );
    expect(warn.status).toBe('warning');
    const short = reportOf(
      [forecastVolume('n1', volume(), [cam('a', 10 * GB, { retentionDays: 90 }), cam('b', 10 * GB)], o)],
      warn.alarms,
      NOW,
    );
    const d = diffAlarms(warn.alarms, short.alarms);
    expect(d.raised.map((a) => a.id)).toEqual(['shortfall:n1']);
    expect(d.cleared.map((a) => a.id)).toEqual(['warning:n1']);
  });

  it('reports the worst volume first and its status', () => {
    const r = reportOf(
      [
        forecastVolume('a', volume(), [], o),
        forecastVolume('b', volume({ freeBytes: 0 }), [], o),
        forecastVolume('c', volume(), [cam('x', 10 * GB), cam('y', 10 * GB, { retentionDays: 50 })], o),
      ],
      [],
      NOW,
    );
    expect(r.status).toBe('shortfall');
    expect(r.volumes.map((v) => `${v.node}:${v.status}`)).toEqual(['b:shortfall', 'c:warning', 'a:ok']);
    expect(reportOf([], [], NOW).status).toBe('ok');
  });
});
