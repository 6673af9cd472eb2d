import * as gb from '@wall/protocol/gb28181';
import { describe, expect, it } from 'vitest';
import { ResyncingRtpFramer } from './framing.ts';

function rtp(seq: number, payload: number[], pt = 96): Uint8Array {
  return gb.serializeRtp({
    marker: false,
    payloadType: pt,
    sequenceNumber: seq,
    timestamp: 3600,
    ssrc: 1,
    payload: Uint8Array.from(payload),
  });
}

function framed(packets: Uint8Array[]): Buffer {
  return Buffer.concat(
    packets.map((p) => {
      const f = gb.frameRfc4571(p);
      if (!f.ok) throw new Error('too large');
      return f.value;
    }),
  );
}

const seqs = (packets: Buffer[]) => packets.map((p) => p.readUInt16BE(2));

/** Feeds `bytes` in pieces of `size` and collects the packets. */
function feed(framer: ResyncingRtpFramer, bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...framer.push(bytes.subarray(i, i + size)));
  return out;
}

describe('RFC 4571 framing with resynchronisation', () => {
  const packets = Array.from({ length: 6 }, (_, i) =>
    rtp(
      i,
      Array.from({ length: 20 + i * 7 }, (_, k) => k),
    ),
  );
  const clean = framed(packets);

  it.each([1, 2, 3, 7, 64, 100_000])('splits a clean stream read %i bytes at a time', (size) => {
    const f = new ResyncingRtpFramer();
    const out = feed(f, clean, size);
    expect(seqs(out)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      packets.map((p) => Buffer.from(p).toString('hex')),
    );
    expect(f.stats).toEqual({ packets: 6, resyncs: 0, skippedBytes: 0 });
    expect(f.bufferedBytes).toBe(0);
  });

  it.each([1, 5, 1000])('finds the frames again after garbage between them (%i bytes at a time)', (size) => {
    const garbage = Buffer.from('GARBAGE!\x00\x00\x01\xba junk \xff\xfe', 'latin1');
    const bytes = Buffer.concat([framed(packets.slice(0, 2)), garbage, framed(packets.slice(2))]);
    const f = new ResyncingRtpFramer();
    const out = feed(f, bytes, size);
    expect(seqs(out)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(f.stats).toEqual({ packets: 6, resyncs: 1, skippedBytes: garbage.length });
  });

  it('loses only the frame garbage cut into', () => {
    const whole = framed(packets);
    // Replace the header of the third frame with noise: it cannot be found, the rest can.
    const third = framed(packets.slice(0, 2)).length;
    const bytes = Buffer.from(whole);
    bytes.fill(0x55, third, third + 6);
    const out = feed(new ResyncingRtpFramer(), bytes, 9);
    expect(seqs(out)).toEqual([0, 1, 3, 4, 5]);
  });

  it('skips RTCP frames interleaved by the device without losing the framing', () => {
    const sr = Uint8Array.from([0x80, 200, 0, 6, ...new Array(24).fill(0)]); // sender report, 28 bytes
    const bytes = Buffer.concat([framed([packets[0] as Uint8Array, sr]), framed(packets.slice(1))]);
    const f = new ResyncingRtpFramer();
    expect(seqs(feed(f, bytes, 4))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(f.stats.resyncs).toBe(0);
  });

  it('does not take a frame of another payload type for the stream after a resync', () => {
    const f = new ResyncingRtpFramer();
    const other = rtp(99, [1, 2, 3, 4], 8);
    const bytes = Buffer.concat([
      framed([packets[0] as Uint8Array]),
      Buffer.from([0xde, 0xad]),
      framed([other]),
      framed(packets.slice(1)),
    ]);
    expect(seqs(f.push(bytes))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(f.stats.skippedBytes).toBe(2 + 2 + other.length);
  });

  it('keeps memory bounded on endless garbage', () => {
    const f = new ResyncingRtpFramer();
    const noise = Buffer.alloc(1 << 20, 0x41);
    expect(f.push(noise)).toEqual([]);
    expect(f.bufferedBytes).toBeLessThanOrEqual(3);
    expect(seqs(f.push(clean))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
