import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from './bytes.ts';
import { splitAt } from './fuzz-support.ts';
import { isKeyframe, nalTypes } from './nal.ts';
import { type AccessUnit, type PsDemuxEvent, PsDemuxer, readPesTimestamp } from './ps.ts';
import { crc32Mpeg2, PsMuxer, packHeader, programStreamMap, videoPes } from './ps-mux.ts';
import { frameRfc4571, PsRtpDepacketizer, PsRtpPacketizer, parseRtp, Rfc4571Decoder } from './rtp.ts';

/** Deterministic bytes 1..255 (no zero: no accidental start codes inside NAL payloads). */
function filler(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = 1 + ((x >>> 0) % 255);
  }
  return out;
}

function nal(header: number[], seed: number, size: number): Uint8Array {
  return concatBytes([Uint8Array.of(0, 0, 0, 1, ...header), filler(seed, size)]);
}

/** A synthetic H.264 access unit: SPS + PPS + IDR for key frames, one non-IDR slice otherwise. */
function h264Au(i: number, keyframe: boolean, size: number): AccessUnit {
  const data = keyframe
    ? concatBytes([nal([0x67], i, 12), nal([0x68], i + 1, 4), nal([0x65], i + 2, size)])
    : nal([0x41], i, size);
  return { codec: 'h264', pts: 3600 * i + 90000, data, keyframe };
}

/** H.265: VPS + SPS + PPS + IDR_W_RADL (19) for key frames, TRAIL_R (1) otherwise. */
function h265Au(i: number, keyframe: boolean, size: number): AccessUnit {
  const data = keyframe
    ? concatBytes([
        nal([0x40, 0x01], i, 20),
        nal([0x42, 0x01], i, 30),
        nal([0x44, 0x01], i, 5),
        nal([0x26, 0x01], i, size),
      ])
    : nal([0x02, 0x01], i, size);
  return { codec: 'h265', pts: 3600 * i, data, keyframe };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares access units field by field (element-wise toEqual on large arrays is slow). */
function expectSameUnits(got: AccessUnit[], want: AccessUnit[]): void {
  const meta = (u: AccessUnit) => ({
    codec: u.codec,
    pts: u.pts,
    dts: u.dts,
    keyframe: u.keyframe,
    size: u.data.length,
  });
  expect(got.map(meta)).toEqual(want.map(meta));
  expect(got.every((u, i) => sameBytes(u.data, (want[i] as AccessUnit).data))).toBe(true);
}

function videoUnits(events: PsDemuxEvent[]): AccessUnit[] {
  return events.flatMap((e) => (e.kind === 'video' ? [e.unit] : []));
}

function problems(events: PsDemuxEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'problem' ? [e.code] : []));
}

describe('PS building blocks', () => {
  it('writes PTS/DTS and pack headers bit-exactly (values from an independent python encoder)', () => {
    expect(toHex(videoPes(new Uint8Array(0), 90000).subarray(9, 14))).toBe('210005bf21');
    expect(toHex(videoPes(new Uint8Array(0), 0x1ffffffff, 0x123456789).subarray(9, 19))).toBe(
      '3fffffffff198d15cf13',
    );
    expect(toHex(packHeader(90000, 20000))).toBe('000001ba440016fc8401013883f8');
    expect(toHex(packHeader(0x1ffffffff, 20000))).toBe('000001ba7ffffffffc01013883f8');
  });

  it('reads back 33-bit timestamps', () => {
    for (const ts of [0, 1, 90000, 0x7fffffff, 0x80000000, 0x1ffffffff]) {
      expect(readPesTimestamp(videoPes(new Uint8Array(1), ts), 9)).toBe(ts);
    }
  });

  it('CRC-32/MPEG-2 check value and a PSM that carries it', () => {
    expect(crc32Mpeg2(new TextEncoder().encode('123456789'))).toBe(0x0376e6e7);
    const psm = programStreamMap('h264');
    expect(toHex(psm.subarray(0, 16))).toBe('000001bc000ee0ff000000041be00000');
    // The CRC over the whole map including its CRC field is 0 (MPEG-2 CRC property).
    expect(crc32Mpeg2(psm)).toBe(0);
  });

  it('detects key frames by NAL type', () => {
    expect(nalTypes('h264', h264Au(0, true, 10).data)).toEqual([7, 8, 5]);
    expect(isKeyframe('h264', h264Au(0, false, 10).data)).toBe(false);
    expect(nalTypes('h265', h265Au(0, true, 10).data)).toEqual([32, 33, 34, 19]);
    expect(isKeyframe('h265', h265Au(0, false, 10).data)).toBe(false);
  });
});

describe('PS mux → demux round trip', () => {
  const gop = (n: number, size: (i: number) => number) =>
    Array.from({ length: n }, (_, i) => h264Au(i, i % 5 === 0, size(i)));

  it('one push per AU, several PES per AU, emitted when the next AU starts and at end()', () => {
    const aus = gop(12, (i) => 500 + i * 911);
    const mux = new PsMuxer({ maxPesPayload: 1000 });
    const d = new PsDemuxer();
    const out: PsDemuxEvent[] = [];
    for (const [i, au] of aus.entries()) {
      const events = d.push(mux.mux(au));
      // The previous AU comes out when this one's first PES arrives.
      expect(videoUnits(events).map((u) => u.pts)).toEqual(i === 0 ? [] : [aus[i - 1]?.pts]);
      out.push(...events);
    }
    out.push(...d.end());
    expect(problems(out)).toEqual([]);
    expectSameUnits(videoUnits(out), aus);
    expect(d.videoCodec).toBe('h264');
  });

  it('keeps PTS and DTS apart when they differ (B-frame ordering)', () => {
    const au = { ...h264Au(1, true, 100), dts: 3600 };
    const d = new PsDemuxer();
    const out = [...d.push(new PsMuxer().mux(au)), ...d.end()];
    expect(videoUnits(out)).toEqual([au]);
  });

  it('with the PTS repeated on every PES of an AU (some cameras)', () => {
    const aus = gop(6, (i) => 3000 + i * 100);
    const mux = new PsMuxer({ maxPesPayload: 700, ptsOnEveryPes: true });
    const d = new PsDemuxer();
    const out = [...aus.flatMap((au) => d.push(mux.mux(au))), ...d.end()];
    expectSameUnits(videoUnits(out), aus);
  });

  it('H.265 by the PSM stream type', () => {
    const aus = Array.from({ length: 6 }, (_, i) => h265Au(i, i % 3 === 0, 800 + i));
    const mux = new PsMuxer({ codec: 'h265', maxPesPayload: 300 });
    const d = new PsDemuxer();
    const out = [...aus.flatMap((au) => d.push(mux.mux(au))), ...d.end()];
    expectSameUnits(videoUnits(out), aus);
    expect(d.videoCodec).toBe('h265');
  });

  it('property: random split points and garbage between packs give back the same AUs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.boolean(), size: fc.integer({ min: 1, max: 6000 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 50, max: 4000 }),
        fc.array(
          fc.uint8Array({ minLength: 0, maxLength: 64 }).map((g) => g.map((b) => b || 0xff)),
          {
            maxLength: 12,
          },
        ),
        fc.array(fc.nat(), { maxLength: 40 }),
        (specs, maxPes, garbage, cuts) => {
          const aus = specs.map((s, i) => h264Au(i, i === 0 || s.key, s.size));
          const mux = new PsMuxer({ maxPesPayload: maxPes });
          const parts = aus.flatMap((au, i) => [mux.mux(au), garbage[i] ?? new Uint8Array(0)]);
          const stream = concatBytes(parts);
          const d = new PsDemuxer();
          const out = [...splitAt(stream, cuts).flatMap((c) => d.push(c)), ...d.end()];
          expectSameUnits(videoUnits(out), aus);
          // Garbage is reported, never silently swallowed; a clean stream reports nothing.
          const injected = garbage.slice(0, aus.length).some((g) => g.length > 0);
          expect(problems(out).length > 0).toBe(injected);
          expect(problems(out).every((p) => p === 'ps:resync')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('over RTP and RFC 4571 TCP framing: one frame per RTP timestamp, emitted at the marker', () => {
    const aus = gop(10, (i) => 2000 + i * 1500);
    const mux = new PsMuxer({ maxPesPayload: 4000 });
    const packetizer = new PsRtpPacketizer({ ssrc: 200000001, maxPayload: 1400, initialSequence: 65530 });
    const tcp = concatBytes(
      aus.flatMap((au) =>
        packetizer.packetize(mux.mux(au), au.pts).map((p) => {
          const framed = frameRfc4571(p);
          if (!framed.ok) throw new Error(framed.error.message);
          return framed.value;
        }),
      ),
    );
    const rfc4571 = new Rfc4571Decoder();
    const depacketizer = new PsRtpDepacketizer();
    const demuxer = new PsDemuxer();
    const got: AccessUnit[] = [];
    // Read the TCP stream in odd-sized chunks, as a socket would.
    for (const chunk of splitAt(
      tcp,
      Array.from({ length: 60 }, (_, i) => i * 977),
    )) {
      for (const bytes of rfc4571.push(chunk)) {
        const rtp = parseRtp(bytes);
        if (!rtp.ok) throw new Error(rtp.error.message);
        expect(rtp.value.payloadType).toBe(96);
        expect(rtp.value.ssrc).toBe(200000001);
        for (const frame of depacketizer.push(rtp.value)) {
          expect(frame.complete).toBe(true);
          const units = videoUnits([...demuxer.push(frame.data), ...demuxer.flush()]);
          // flush() at the marker hands out the frame at once, not one frame late.
          expect(units.map((u) => u.pts)).toEqual([frame.timestamp]);
          got.push(...units);
        }
      }
    }
    expectSameUnits(got, aus);
    expect(rfc4571.bufferedBytes).toBe(0);
    expect(depacketizer.bufferedBytes).toBe(0);
  });
});

describe('PS demuxer: damage and limits', () => {
  const mux = new PsMuxer({ maxPesPayload: 1000 });

  it('resyncs after garbage that holds start-code-like bytes', () => {
    const aus = [h264Au(0, true, 3000), h264Au(1, false, 3000), h264Au(2, false, 3000)];
    const junk = Uint8Array.of(0, 0, 1, 0x47, 0, 0, 0, 1, 0xe0, 0x12, 0, 0, 1);
    const d = new PsDemuxer();
    const out = [
      ...d.push(
        concatBytes([
          junk,
          mux.mux(aus[0] as AccessUnit),
          junk,
          mux.mux(aus[1] as AccessUnit),
          mux.mux(aus[2] as AccessUnit),
        ]),
      ),
      ...d.end(),
    ];
    expectSameUnits(videoUnits(out), aus);
    expect(problems(out)).toContain('ps:resync');
  });

  it('drops an access unit over the limit, reports it, and goes on', () => {
    const big = h264Au(1, false, 20_000);
    const aus = [h264Au(0, true, 100), big, h264Au(2, false, 100)];
    const d = new PsDemuxer({ maxAccessUnitBytes: 10_000 });
    const out = [...aus.flatMap((au) => d.push(mux.mux(au))), ...d.end()];
    expect(videoUnits(out).map((u) => u.pts)).toEqual([aus[0]?.pts, aus[2]?.pts]);
    expect(problems(out)).toEqual(['ps:au_too_large']);
    expect(d.bufferedBytes).toBe(0);
  });

  it('reads a video PES with length 0 (unbounded) up to the next start code', () => {
    const au = h264Au(0, true, 500);
    const pes = videoPes(au.data, au.pts);
    pes[4] = 0;
    pes[5] = 0;
    const next = h264Au(1, false, 50);
    const d = new PsDemuxer();
    const out = [
      ...d.push(concatBytes([packHeader(0, 1), programStreamMap('h264'), pes, mux.mux(next)])),
      ...d.end(),
    ];
    expect(videoUnits(out)).toEqual([au, next]);
  });

  it('reads an unbounded video PES fed in small chunks (the search resumes, nothing is lost)', () => {
    const au = h264Au(0, true, 200_000);
    const pes = videoPes(au.data, au.pts);
    pes[4] = 0;
    pes[5] = 0;
    const next = h264Au(1, false, 50);
    const stream = concatBytes([packHeader(0, 1), programStreamMap('h264'), pes, mux.mux(next)]);
    const d = new PsDemuxer();
    const out = [
      ...splitAt(
        stream,
        Array.from({ length: 200 }, (_, i) => i * 1013),
      ).flatMap((c) => d.push(c)),
      ...d.end(),
    ];
    expectSameUnits(videoUnits(out), [au, next]);
    expect(problems(out)).toEqual([]);
  });

  it('reports video without PTS before any access unit', () => {
    const d = new PsDemuxer();
    const out = d.push(concatBytes([packHeader(0, 1), videoPes(Uint8Array.of(0, 0, 1, 0x41, 5))]));
    expect(problems(out)).toEqual(['ps:no_pts']);
  });

  it('reports a video stream type it cannot hand out (MPEG-4) once', () => {
    const psm = programStreamMap('h264');
    psm[12] = 0x10; // stream_type MPEG-4 (CRC now wrong: the demuxer does not insist on it)
    const d = new PsDemuxer();
    const out = [
      ...d.push(concatBytes([packHeader(0, 1), psm, videoPes(Uint8Array.of(0, 0, 1, 0x41), 1)])),
      ...d.push(concatBytes([packHeader(0, 1), videoPes(Uint8Array.of(0, 0, 1, 0x41), 2)])),
      ...d.end(),
    ];
    expect(videoUnits(out)).toEqual([]);
    expect(problems(out)).toEqual(['ps:unsupported_codec']);
  });

  it('hands out audio PES with the PSM stream type (G.711A)', () => {
    const psm = Uint8Array.of(
      0,
      0,
      1,
      0xbc,
      0,
      0x12,
      0xe0,
      0xff,
      0,
      0,
      0,
      8,
      0x1b,
      0xe0,
      0,
      0,
      0x90,
      0xc0,
      0,
      0,
      0,
      0,
      0,
      0,
    );
    const audio = videoPes(Uint8Array.of(0xd5, 0xd5, 0x55), 1800);
    audio[3] = 0xc0;
    const d = new PsDemuxer();
    const out = d.push(concatBytes([packHeader(0, 1), psm, audio]));
    expect(out).toEqual([
      {
        kind: 'audio',
        frame: { streamId: 0xc0, streamType: 0x90, pts: 1800, data: Uint8Array.of(0xd5, 0xd5, 0x55) },
      },
    ]);
  });

  it('flush() waits while a video PES of the frame is still incomplete', () => {
    const au = h264Au(0, true, 3000);
    const ps = mux.mux(au);
    const d = new PsDemuxer();
    expect(videoUnits([...d.push(ps.subarray(0, ps.length - 10)), ...d.flush()])).toEqual([]);
    expect(videoUnits([...d.push(ps.subarray(ps.length - 10)), ...d.flush()])).toEqual([au]);
  });
});
