import { describe, expect, it } from 'vitest';
import { AccessUnitAssembler, type ReceivedAccessUnit } from './access-units.ts';

const SPS = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');

function rtp(seq: number, ts: number, marker: boolean, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | 96;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(1, 8);
  return Buffer.concat([h, payload]);
}
const stapA = (...nals: Buffer[]) =>
  Buffer.concat([
    Buffer.from([0x78]),
    ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n]),
  ]);
const fuA = (type: number, start: boolean, end: boolean, fill: number) =>
  Buffer.concat([Buffer.from([0x7c, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type]), Buffer.alloc(10, fill)]);
const nal = (header: number, fill: number) => Buffer.concat([Buffer.from([header]), Buffer.alloc(10, fill)]);

function assemble(packets: Buffer[]): { units: ReceivedAccessUnit[]; a: AccessUnitAssembler } {
  const units: ReceivedAccessUnit[] = [];
  const a = new AccessUnitAssembler((u) => units.push(u));
  packets.forEach((p, i) => {
    a.push(p, 1000 + i);
  });
  a.flush();
  return { units, a };
}

describe('RTP → H.264 access units', () => {
  it('joins STAP-A and FU-A into NAL units, one unit per timestamp, key frame by its IDR', () => {
    const { units, a } = assemble([
      rtp(1, 0xffffff00, false, stapA(SPS, PPS)),
      rtp(2, 0xffffff00, false, fuA(5, true, false, 1)),
      rtp(3, 0xffffff00, true, fuA(5, false, true, 2)),
      rtp(4, 0xffffff00 + 3600, true, nal(0x41, 3)),
    ]);
    expect(units.map((u) => [u.nals.length, u.keyframe, u.damaged])).toEqual([
      [3, true, false],
      [1, false, false],
    ]);
    expect(units[0]?.nals[2]).toEqual(
      Buffer.concat([Buffer.from([0x65]), Buffer.alloc(10, 1), Buffer.alloc(10, 2)]),
    );
    // Across the 32-bit wrap: still 3600 ticks later.
    expect((units[1]?.timestamp ?? 0) - (units[0]?.timestamp ?? 0)).toBe(3600);
    expect(units[0]?.arrivedAt).toBe(1000);
    expect(a.lostPackets).toBe(0);
  });

  it('ends a unit at a new timestamp when the marker is missing', () => {
    const { units } = assemble([rtp(1, 0, false, nal(0x41, 1)), rtp(2, 3600, true, nal(0x41, 2))]);
    expect(units.map((u) => u.timestamp)).toEqual([0, 3600]);
  });

  it('counts lost packets, marks the unit around the hole damaged, drops a broken fragment chain and duplicates', () => {
    const { units, a } = assemble([
      rtp(10, 0, false, nal(0x65, 1)),
      rtp(12, 0, true, nal(0x65, 2)), // 11 lost: the key frame lost a slice
      rtp(12, 0, true, nal(0x65, 2)), // duplicate
      rtp(13, 3600, false, fuA(1, true, false, 3)),
      rtp(15, 3600, true, fuA(1, false, true, 4)), // 14 lost: the fragmented slice cannot be rebuilt
      rtp(16, 7200, true, nal(0x41, 5)),
    ]);
    expect(a.lostPackets).toBe(2);
    expect(units.map((u) => [u.timestamp, u.nals.length, u.damaged])).toEqual([
      [0, 2, true],
      [7200, 1, false],
    ]);
  });

  it('never throws on garbage and counts it', () => {
    const { units, a } = assemble([
      Buffer.from('nope'),
      rtp(1, 0, true, Buffer.alloc(0)),
      rtp(2, 0, true, Buffer.from([0x7c])),
    ]);
    expect(a.malformed).toBe(2);
    expect(units).toEqual([]);
  });
});
