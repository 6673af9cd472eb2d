import { describe, expect, it } from 'vitest';
import { toHex } from './bytes.ts';
import { gbDomainOf, gbIdType, isGbChannelId, isGbId } from './ids.ts';
import {
  frameRfc4571,
  PsRtpDepacketizer,
  PsRtpPacketizer,
  parseRtp,
  Rfc4571Decoder,
  type RtpPacket,
  serializeRtp,
} from './rtp.ts';

function packet(p: Partial<RtpPacket>): RtpPacket {
  return {
    marker: false,
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 3600,
    ssrc: 200000001,
    csrcs: [],
    payload: Uint8Array.of(1, 2, 3),
    ...p,
  };
}

describe('RTP', () => {
  it('serializes a PS packet bit-exactly and parses it back', () => {
    const bytes = serializeRtp(packet({ marker: true, sequenceNumber: 0xabcd, timestamp: 0x01020304 }));
    expect(toHex(bytes)).toBe('80e0abcd010203040bebc201010203');
    expect(parseRtp(bytes)).toEqual({
      ok: true,
      value: packet({ marker: true, sequenceNumber: 0xabcd, timestamp: 0x01020304 }),
    });
  });

  it('parses CSRCs, a header extension and padding', () => {
    const bytes = Uint8Array.of(
      0xb2,
      0x60,
      0,
      7,
      0,
      0,
      0,
      9,
      0,
      0,
      0,
      5, // V=2 P X CC=2, PT 96, seq 7, ts 9, ssrc 5
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      2, // CSRCs
      0xbe,
      0xde,
      0,
      1,
      0xaa,
      0xbb,
      0xcc,
      0xdd, // extension: profile, 1 word
      0x11,
      0x22, // payload
      0,
      0,
      3, // padding (3 bytes)
    );
    expect(parseRtp(bytes)).toEqual({
      ok: true,
      value: {
        marker: false,
        payloadType: 96,
        sequenceNumber: 7,
        timestamp: 9,
        ssrc: 5,
        csrcs: [1, 2],
        extension: { profile: 0xbede, data: Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd) },
        payload: Uint8Array.of(0x11, 0x22),
      },
    });
  });

  it.each([
    ['short', Uint8Array.of(0x80, 0x60, 0)],
    ['version 1', Uint8Array.of(0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1)],
    ['CSRCs past the end', Uint8Array.of(0x8f, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1)],
    ['extension past the end', Uint8Array.of(0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9)],
    ['zero padding', Uint8Array.of(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0)],
    ['padding longer than the payload', Uint8Array.of(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9)],
  ])('refuses %s', (_name, bytes) => {
    expect(parseRtp(bytes)).toMatchObject({ ok: false, error: { code: 'rtp:malformed' } });
  });

  it('RFC 4571: prefixes the length and splits a stream fed byte by byte', () => {
    const a = serializeRtp(packet({ sequenceNumber: 1 }));
    const b = serializeRtp(packet({ sequenceNumber: 2, payload: new Uint8Array(300) }));
    const fa = frameRfc4571(a);
    const fb = frameRfc4571(b);
    if (!fa.ok || !fb.ok) throw new Error('framing failed');
    expect(toHex(fa.value.subarray(0, 2))).toBe('000f');
    const stream = Uint8Array.from([...fa.value, 0, 0, ...fb.value]); // a zero-length frame in between
    const d = new Rfc4571Decoder();
    const out: Uint8Array[] = [];
    for (const byte of stream) out.push(...d.push(Uint8Array.of(byte)));
    expect(out).toEqual([a, b]);
    expect(d.bufferedBytes).toBe(0);
    expect(frameRfc4571(new Uint8Array(65536))).toMatchObject({
      ok: false,
      error: { code: 'rtp:too_large' },
    });
  });

  it('depacketizer: a frame per timestamp; incomplete on a lost packet or a missing marker', () => {
    const d = new PsRtpDepacketizer();
    expect(d.push(packet({ sequenceNumber: 65535, payload: Uint8Array.of(1) }))).toEqual([]);
    expect(d.push(packet({ sequenceNumber: 0, marker: true, payload: Uint8Array.of(2) }))).toEqual([
      { timestamp: 3600, ssrc: 200000001, data: Uint8Array.of(1, 2), complete: true },
    ]);
    d.push(packet({ sequenceNumber: 1, timestamp: 7200, payload: Uint8Array.of(3) }));
    expect(
      d.push(packet({ sequenceNumber: 3, timestamp: 7200, marker: true, payload: Uint8Array.of(4) })),
    ).toEqual([{ timestamp: 7200, ssrc: 200000001, data: Uint8Array.of(3, 4), complete: false }]);
    d.push(packet({ sequenceNumber: 4, timestamp: 10800, payload: Uint8Array.of(5) }));
    expect(
      d.push(packet({ sequenceNumber: 5, timestamp: 14400, marker: true, payload: Uint8Array.of(6) })),
    ).toEqual([
      { timestamp: 10800, ssrc: 200000001, data: Uint8Array.of(5), complete: false },
      { timestamp: 14400, ssrc: 200000001, data: Uint8Array.of(6), complete: true },
    ]);
  });

  it('depacketizer drops a frame over the size limit', () => {
    const d = new PsRtpDepacketizer({ maxFrameBytes: 4 });
    d.push(packet({ sequenceNumber: 1, payload: Uint8Array.of(1, 2, 3) }));
    expect(d.push(packet({ sequenceNumber: 2, marker: true, payload: Uint8Array.of(4, 5) }))).toEqual([]);
    expect(d.droppedFrames).toBe(1);
    expect(
      d.push(packet({ sequenceNumber: 3, timestamp: 1, marker: true, payload: Uint8Array.of(9) })),
    ).toHaveLength(1);
  });

  it('packetizer: MTU-sized payloads, marker on the last, sequence wraps', () => {
    const p = new PsRtpPacketizer({ ssrc: 7, maxPayload: 4, initialSequence: 65535 });
    const out = p.packetize(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), 2 ** 33 - 1).map((b) => {
      const r = parseRtp(b);
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    });
    expect(out.map((r) => [r.sequenceNumber, r.marker, r.payload.length, r.timestamp])).toEqual([
      [65535, false, 4, 0xffffffff],
      [0, false, 4, 0xffffffff],
      [1, true, 1, 0xffffffff],
    ]);
  });
});

describe('GB IDs', () => {
  it.each([
    ['34020000001320000001', true, 132, '3402000000', true],
    ['34020000002000000001', true, 200, '3402000000', false],
    ['32040200001310000001', true, 131, '3204020000', true],
    ['3402000000', false, undefined, '3402000000', false],
    ['3402000000132000000x', false, undefined, '3402000000', false],
  ])('%s', (id, valid, type, domain, channel) => {
    expect(isGbId(id)).toBe(valid);
    expect(gbIdType(id)).toBe(type);
    expect(gbDomainOf(id)).toBe(domain);
    expect(isGbChannelId(id)).toBe(channel);
  });
});
