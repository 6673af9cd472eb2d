import { describe, expect, it } from 'vitest';
import { gbRecordingSource } from './index.ts';

const CHANNEL = '32040200001320000001';
const camera = (id: string, externalId: string, connection: Record<string, unknown>) => ({
  facts: { id },
  externalId,
  source: { connection },
});
const O = { domain: '3204000000', defaultTransport: 'tcp-passive' as const };

describe('the recording plan’s source of a GB channel', () => {
  it.each([
    ['the device’s own transport', { deviceId: '32040200002000000001', mediaTransport: 'udp' }, 'udp'],
    ['the gateway default', { deviceId: '32040200002000000001' }, 'tcp-passive'],
  ])('uses %s', (_what, connection, transport) => {
    const s = gbRecordingSource(camera('c1', CHANNEL, connection), 'main', O);
    expect(s).toMatchObject({ kind: 'gb28181', channelId: CHANNEL, transport });
    // y= SSRC: 0 (live), the 5 domain digits after the first 3, a 4-digit sequence.
    expect(s?.kind === 'gb28181' ? s.ssrc : '').toMatch(/^040000\d{4}$/);
  });

  it('gives the same plan entry at every pass, and another one per camera profile', () => {
    const c = camera('2f7e1c1a-0000-4000-8000-000000000001', CHANNEL, { deviceId: '32040200002000000001' });
    const a = gbRecordingSource(c, 'main', O);
    expect(gbRecordingSource(c, 'main', O)).toEqual(a);
    const ssrcs = new Set(
      ['main', 'sub'].flatMap((p) =>
        [1, 2, 3, 4].map((n) => {
          const s = gbRecordingSource(
            camera(`2f7e1c1a-0000-4000-8000-00000000000${n}`, CHANNEL, { deviceId: '32040200002000000001' }),
            p as 'main' | 'sub',
            O,
          );
          return s?.kind === 'gb28181' ? s.ssrc : '';
        }),
      ),
    );
    expect(ssrcs.size).toBe(8);
  });

  it.each([
    ['a channel ID that is not 20 digits', 'cam01', { deviceId: '32040200002000000001' }],
    ['a source that is not GB', CHANNEL, { baseUrl: 'rtsp://127.0.0.1' }],
  ])('gives nothing for %s', (_what, externalId, connection) => {
    expect(gbRecordingSource(camera('c1', externalId, connection), 'main', O)).toBeUndefined();
  });
});
