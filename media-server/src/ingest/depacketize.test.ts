import { describe, expect, it } from 'vitest';
import { depacketizeH264 } from './depacketize.ts';

const SC = [0, 0, 0, 1];

describe('depacketizeH264', () => {
  it('passes single NAL units through with start codes', () => {
    const sps = Buffer.from([0x67, 1, 2]);
    const pps = Buffer.from([0x68, 3]);
    expect([...depacketizeH264([sps, pps])]).toEqual([...SC, 0x67, 1, 2, ...SC, 0x68, 3]);
  });

  it('splits STAP-A aggregates', () => {
    const stap = Buffer.from([0x78, 0, 3, 0x67, 1, 2, 0, 2, 0x68, 3]);
    expect([...depacketizeH264([stap])]).toEqual([...SC, 0x67, 1, 2, ...SC, 0x68, 3]);
  });

  it('reassembles FU-A fragments and rebuilds the NAL header', () => {
    const a = Buffer.from([0x7c, 0x85, 10, 11]); // FU indicator nri=3, start, type 5
    const b = Buffer.from([0x7c, 0x05, 12]);
    const c = Buffer.from([0x7c, 0x45, 13]); // end
    expect([...depacketizeH264([a, b, c])]).toEqual([...SC, 0x65, 10, 11, 12, 13]);
  });

  it('drops a fragment run without its start and a truncated STAP-A', () => {
    const mid = Buffer.from([0x7c, 0x05, 12]);
    const end = Buffer.from([0x7c, 0x45, 13]);
    const badStap = Buffer.from([0x78, 0, 9, 0x67]);
    expect(depacketizeH264([mid, end, badStap, Buffer.alloc(0)]).length).toBe(0);
  });
});
