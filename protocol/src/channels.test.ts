import { describe, expect, it } from 'vitest';
import { CHANNELS, channelIn, channelsOf } from './channels.ts';

describe('Redis channels scoped to the logical database', () => {
  it.each([
    [CHANNELS.policyInvalidate, undefined, 'policy:invalidate'],
    [CHANNELS.policyInvalidate, 0, 'policy:invalidate'],
    [CHANNELS.streamStatus, 1, 'media:stream-status@1'],
    [CHANNELS.emergencyUse, 15, 'access:emergency@15'],
    [CHANNELS.socketIo, 7, 'socket.io@7'],
  ] as const)('%s on database %s is %s', (name, db, want) => {
    expect(channelIn(name, db)).toBe(want);
  });

  it('refuses what is not a database index', () => {
    for (const db of [-1, 1.5, Number.NaN])
      expect(() => channelIn(CHANNELS.streamStatus, db)).toThrow(RangeError);
  });

  it('names every channel of a connection, distinct per database', () => {
    const zero = channelsOf({ options: {} });
    const three = channelsOf({ options: { db: 3 } });
    expect(zero).toEqual(CHANNELS);
    expect(Object.values(three).every((c) => c.endsWith('@3'))).toBe(true);
    const all = [...Object.values(zero), ...Object.values(three)];
    expect(new Set(all).size).toBe(all.length);
  });
});
