import { describe, expect, it } from 'vitest';
import { depacketizeH264 } from '../depacketize.ts';
import { parseRtp } from '../rtp.ts';
import { H264Packetizer } from './h264-packetizer.ts';

const SPS = Buffer.from('6742c01e95a0280f68', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const AUD = Buffer.from('0930', 'hex');
const sc = Buffer.from([0, 0, 0, 1]);
const annexB = (...nals: Buffer[]) => Buffer.concat(nals.flatMap((n) => [sc, n]));
const idr = (size: number) => Buffer.concat([Buffer.from([0x65]), Buffer.alloc(size - 1, 0xab)]);
const slice = (size: number) => Buffer.concat([Buffer.from([0x41]), Buffer.alloc(size - 1, 0xcd)]);

function packetizer() {
  return new H264Packetizer({
    ssrc: 0x11223344,
    payloadType: 96,
    initialSequence: 65534,
    timestampOffset: 0,
  });
}

describe('H.264 RTP packetizer (RFC 6184)', () => {
  it('sends small NAL units whole, the marker on the last, with the producer PT/SSRC and PTS as timestamp', () => {
    const p = packetizer();
    const r = p.packetize({ data: annexB(AUD, SPS, PPS, idr(100)), pts: 90_000 });
    expect(r.keyframe).toBe(true);
    const parsed = r.packets.map((b) => parseRtp(b));
    expect(parsed.map((x) => [x?.payloadType, x?.ssrc, x?.sequenceNumber, x?.timestamp, x?.marker])).toEqual([
      [96, 0x11223344, 65534, 90_000, false],
      [96, 0x11223344, 65535, 90_000, false],
      [96, 0x11223344, 0, 90_000, true],
    ]);
    // The delimiter is not sent.
    expect(parsed.map((x) => x?.payload.toString('hex'))).toEqual([
      SPS.toString('hex'),
      PPS.toString('hex'),
      idr(100).toString('hex'),
    ]);
  });

  it('fragments large NAL units as FU-A within a 1200-byte MTU and round-trips', () => {
    const p = packetizer();
    const big = idr(5000);
    const r = p.packetize({ data: annexB(SPS, PPS, big), pts: 1 });
    expect(r.packets.every((b) => b.length <= 1200)).toBe(true);
    const fus = r.packets.slice(2);
    // 4999 bytes after the NAL header, 1186 per fragment: 5 fragments.
    expect(fus.map((b) => [b[12], (b[13] as number) & 0xc0, (b[13] as number) & 0x1f])).toEqual([
      [0x7c, 0x80, 5],
      [0x7c, 0x00, 5],
      [0x7c, 0x00, 5],
      [0x7c, 0x00, 5],
      [0x7c, 0x40, 5],
    ]);
    expect(fus.map((b) => parseRtp(b)?.marker)).toEqual([false, false, false, false, true]);
    const back = depacketizeH264(r.packets.map((b) => parseRtp(b)?.payload ?? Buffer.alloc(0)));
    expect(back.equals(annexB(SPS, PPS, big))).toBe(true);
  });

  it('sends nothing before the first key frame, then SPS and PPS before every IDR', () => {
    const p = packetizer();
    expect(p.packetize({ data: annexB(slice(50)), pts: 0 }).packets).toEqual([]);
    expect(p.packetize({ data: annexB(idr(50)), pts: 3600 }).packets).toEqual([]); // no SPS/PPS known yet
    expect(p.started).toBe(false);
    expect(p.packetize({ data: annexB(SPS, PPS, idr(50)), pts: 7200 }).packets).toHaveLength(3);
    expect(p.packetize({ data: annexB(slice(50)), pts: 10_800 }).packets).toHaveLength(1);
    // A device that sends parameter sets once: they are put back before the next IDR.
    const next = p.packetize({ data: annexB(idr(50)), pts: 14_400 });
    expect(next.keyframe).toBe(true);
    expect(next.packets.map((b) => (b[12] as number) & 0x1f)).toEqual([7, 8, 5]);
    p.reset();
    expect(p.packetize({ data: annexB(slice(50)), pts: 18_000 }).packets).toEqual([]);
  });

  it('makes timestamps advance when a device repeats its PTS (by its RTP clock, else 40 ms)', () => {
    const p = packetizer();
    const ts = [
      { pts: 5000, rtpTimestamp: 100 },
      { pts: 5000, rtpTimestamp: 3700 },
      { pts: 5000, rtpTimestamp: 7300 },
      { pts: 5000 },
      { pts: 20_000, rtpTimestamp: 1 },
    ].map((u) => p.packetize({ data: annexB(SPS, PPS, idr(20)), ...u }).timestamp);
    expect(ts).toEqual([5000, 8600, 12_200, 15_800, 20_000]);
  });

  it('wraps 33-bit PTS into 32-bit timestamps with the offset', () => {
    const p = new H264Packetizer({ ssrc: 1, payloadType: 96, timestampOffset: 10 });
    expect(p.packetize({ data: annexB(SPS, PPS, idr(20)), pts: 2 ** 33 - 5 }).timestamp).toBe(5);
  });
});
