import * as gb from '@wall/protocol/gb28181';
import { describe, expect, it } from 'vitest';
import { PsVideoDecoder } from './ps-video.ts';

const sc = [0, 0, 0, 1];
const unit = (nals: number[][]) => Uint8Array.from(nals.flatMap((n) => [...sc, ...n]));
const key = unit([
  [0x67, 0x42, 0xc0, 0x1e],
  [0x68, 0xce, 0x3c, 0x80],
  [0x65, ...new Array(3000).fill(0x11)],
]);
const delta = (b: number) => unit([[0x41, ...new Array(900).fill(b)]]);

/** PS over RTP as a device sends it: one PS pack per access unit, cut into RTP packets (marker last). */
const hevcKey = unit([
  [0x40, 0x01, 0xaa],
  [0x42, 0x01, 0xbb],
  [0x44, 0x01, 0xcc],
  [0x26, 0x01, ...new Array(2000).fill(7)],
]);
const hevcDelta = unit([[0x02, 0x01, ...new Array(500).fill(8)]]);

function deviceStream(codec: gb.VideoCodec = 'h264') {
  const mux = new gb.PsMuxer({ codec, maxPesPayload: 1000 });
  const rtp = new gb.PsRtpPacketizer({ ssrc: 123, maxPayload: 700 });
  const units = codec === 'h264' ? [key, delta(1), delta(2)] : [hevcKey, hevcDelta, hevcDelta];
  return {
    units,
    packets: units.flatMap((data, i) =>
      rtp.packetize(mux.mux({ pts: 3600 * (i + 1), data }), 3600 * (i + 1)).map((b) => {
        const p = gb.parseRtp(b);
        if (!p.ok) throw new Error('bad RTP');
        return p.value;
      }),
    ),
  };
}

describe('PS over RTP → access units', () => {
  it('gives one access unit per RTP frame with its PTS, key frame flag and the device RTP timestamp', () => {
    const { units, packets } = deviceStream();
    const d = new PsVideoDecoder();
    const out = packets.map((p) => d.push(p));
    expect(out.findIndex((o) => o.firstPack)).toBe(0);
    expect(out.filter((o) => o.firstPack)).toHaveLength(1);
    const got = out.flatMap((o) => o.units);
    expect(got.map((u) => [u.codec, u.pts, u.keyframe, u.rtpTimestamp])).toEqual([
      ['h264', 3600, true, 3600],
      ['h264', 7200, false, 7200],
      ['h264', 10_800, false, 10_800],
    ]);
    expect(
      got.map((u) => Buffer.from(u.data).equals(Buffer.from(units[got.indexOf(u)] as Uint8Array))),
    ).toEqual([true, true, true]);
    // Each unit is out at its frame's marker, not one frame later.
    const markers = packets.map((p, i) => (p.marker ? i : -1)).filter((i) => i >= 0);
    expect(out.map((o, i) => (o.units.length > 0 ? i : -1)).filter((i) => i >= 0)).toEqual(markers);
    expect(out.flatMap((o) => o.problems)).toEqual([]);
  });

  it('names H.265 from the program stream map', () => {
    const { packets } = deviceStream('h265');
    const d = new PsVideoDecoder();
    expect(packets.flatMap((p) => d.push(p).units).map((u) => [u.codec, u.keyframe])).toEqual([
      ['h265', true],
      ['h265', false],
      ['h265', false],
    ]);
  });

  it('skips garbage inside the PS, reports it, and goes on', () => {
    const { packets } = deviceStream();
    const d = new PsVideoDecoder();
    const first = packets[0] as gb.RtpPacket;
    const junk = { ...first, payload: Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9, ...first.payload]) };
    const out = [junk, ...packets.slice(1)].map((p) => d.push(p));
    expect(out.flatMap((o) => o.problems).map((p) => p.code)).toContain('ps:resync');
    expect(out.flatMap((o) => o.units).map((u) => u.pts)).toEqual([3600, 7200, 10_800]);
  });
});
