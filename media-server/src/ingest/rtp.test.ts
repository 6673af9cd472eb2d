import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRtcp, locateRtpPayload, parseRtp, type RtpPacket, type RtpPayloadRange } from './rtp.ts';

interface Header {
  version?: number;
  padding?: number;
  marker?: boolean;
  payloadType?: number;
  sequenceNumber?: number;
  timestamp?: number;
  ssrc?: number;
  csrcs?: number[];
  /** Extension profile and its data (a multiple of 4 bytes). */
  extension?: { profile: number; data: number[] };
  payload?: number[];
}

/** Builds an RTP packet byte by byte (independently of the parser). */
function packet(h: Header = {}): Buffer {
  const csrcs = h.csrcs ?? [];
  const payload = h.payload ?? [0x65, 1, 2, 3];
  const bytes: number[] = [
    ((h.version ?? 2) << 6) | (h.padding ? 0x20 : 0) | (h.extension ? 0x10 : 0) | csrcs.length,
    (h.marker ? 0x80 : 0) | (h.payloadType ?? 96),
  ];
  const u16 = (v: number) => bytes.push((v >> 8) & 0xff, v & 0xff);
  const u32 = (v: number) => bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  u16(h.sequenceNumber ?? 1000);
  u32(h.timestamp ?? 90_000);
  u32(h.ssrc ?? 0x11223344);
  for (const c of csrcs) u32(c);
  if (h.extension) {
    u16(h.extension.profile);
    u16(h.extension.data.length / 4);
    bytes.push(...h.extension.data);
  }
  bytes.push(...payload);
  if (h.padding) {
    for (let i = 1; i < h.padding; i++) bytes.push(0);
    bytes.push(h.padding);
  }
  return Buffer.from(bytes);
}

describe('parseRtp', () => {
  const valid: [string, Header, Partial<RtpPacket>][] = [
    [
      'plain header',
      { marker: true, payloadType: 96, sequenceNumber: 65535, timestamp: 0xfffffffe, ssrc: 0xdeadbeef },
      {
        marker: true,
        payloadType: 96,
        sequenceNumber: 65535,
        timestamp: 0xfffffffe,
        ssrc: 0xdeadbeef,
        csrcCount: 0,
        paddingLength: 0,
        payloadOffset: 12,
      },
    ],
    ['marker clear, payload type 0', { payloadType: 0 }, { marker: false, payloadType: 0 }],
    ['payload type 127', { payloadType: 127, marker: true }, { payloadType: 127, marker: true }],
    ['2 CSRCs', { csrcs: [1, 2] }, { csrcCount: 2, payloadOffset: 20 }],
    ['15 CSRCs', { csrcs: Array.from({ length: 15 }, (_, i) => i) }, { csrcCount: 15, payloadOffset: 72 }],
    [
      'one-byte header extension (0xBEDE)',
      { extension: { profile: 0xbede, data: [0x10, 0xaa, 0, 0] } },
      { extensionProfile: 0xbede, payloadOffset: 20 },
    ],
    [
      'empty header extension',
      { extension: { profile: 0x1000, data: [] } },
      { extensionProfile: 0x1000, payloadOffset: 16 },
    ],
    [
      'CSRCs and an extension',
      { csrcs: [7], extension: { profile: 0x1000, data: [1, 2, 3, 4, 5, 6, 7, 8] } },
      { csrcCount: 1, extensionProfile: 0x1000, payloadOffset: 28 },
    ],
    ['1 byte of padding', { padding: 1 }, { paddingLength: 1 }],
    ['4 bytes of padding', { padding: 4 }, { paddingLength: 4 }],
    ['padding and nothing else', { padding: 5, payload: [] }, { paddingLength: 5 }],
    ['empty payload', { payload: [] }, { paddingLength: 0, payloadOffset: 12 }],
  ];

  it.each(valid)('parses %s', (_name, header, expected) => {
    const buf = packet(header);
    const rtp = parseRtp(buf);
    expect(rtp).toMatchObject(expected);
    const payload = header.payload ?? [0x65, 1, 2, 3];
    expect([...(rtp?.payload ?? [])]).toEqual(payload);
    if (!header.extension) expect(rtp?.extensionProfile).toBeUndefined();
  });

  const truncate = (b: Buffer, n: number) => b.subarray(0, b.length - n);
  const malformed: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['11 bytes', Buffer.alloc(11, 0x80)],
    ['version 0', packet({ version: 0 })],
    ['version 1', packet({ version: 1 })],
    ['version 3', packet({ version: 3 })],
    ['CSRC list cut short', truncate(packet({ csrcs: [1, 2, 3], payload: [] }), 1)],
    [
      'extension header cut short',
      packet({ extension: { profile: 1, data: [] }, payload: [] }).subarray(0, 14),
    ],
    [
      'extension longer than the packet',
      truncate(packet({ extension: { profile: 1, data: [1, 2, 3, 4] }, payload: [] }), 1),
    ],
    ['padding count 0', Buffer.concat([packet({ payload: [1, 2] }), Buffer.from([0])]).fill(0xa0, 0, 1)],
    ['padding longer than the payload', packet({ padding: 2, payload: [] }).fill(9, 13, 14)],
    ['padding that would eat the header', Buffer.from([0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 13])],
  ];

  it.each(malformed)('rejects %s', (_name, buf) => {
    expect(parseRtp(buf)).toBeUndefined();
    expect(locateRtpPayload(buf, { start: 0, end: 0 })).toBe(false);
  });

  it('returns the payload as a view of the packet, not a copy', () => {
    const buf = packet({ payload: [1, 2, 3] });
    const rtp = parseRtp(buf);
    expect(rtp?.payload.buffer).toBe(buf.buffer);
    buf[12] = 42;
    expect(rtp?.payload[0]).toBe(42);
  });

  it('finds the payload of a packet inside a larger buffer (byteOffset)', () => {
    const big = Buffer.concat([Buffer.alloc(5, 0xff), packet({ csrcs: [9], padding: 2, payload: [7, 8] })]);
    const rtp = parseRtp(big.subarray(5));
    expect([...(rtp?.payload ?? [])]).toEqual([7, 8]);
  });

  it('fuzz: random bytes never throw, and what parses is self-consistent (20 000 inputs)', () => {
    const range: RtpPayloadRange = { start: 0, end: 0 };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          // Mostly-valid first byte: version 2 with random P/X/CC, so the deeper checks get exercised.
          fc
            .tuple(fc.integer({ min: 0x80, max: 0xbf }), fc.uint8Array({ minLength: 0, maxLength: 80 }))
            .map(([b0, rest]) => Uint8Array.of(b0, ...rest)),
        ),
        (bytes) => {
          const buf = Buffer.from(bytes);
          const rtp = parseRtp(buf);
          expect(locateRtpPayload(buf, range)).toBe(rtp !== undefined);
          if (!rtp) return;
          expect(buf.length).toBeGreaterThanOrEqual(12);
          expect(rtp.payloadOffset + rtp.payload.length + rtp.paddingLength).toBe(buf.length);
          expect(rtp.payloadOffset).toBeGreaterThanOrEqual(12 + 4 * rtp.csrcCount);
          expect(rtp.payloadType).toBeLessThan(128);
          expect(rtp.sequenceNumber).toBeLessThan(65536);
          expect(rtp.timestamp).toBeGreaterThanOrEqual(0);
          expect(rtp.timestamp).toBeLessThan(2 ** 32);
          expect(rtp.ssrc).toBeGreaterThanOrEqual(0);
          expect(rtp.ssrc).toBeLessThan(2 ** 32);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('fuzz: well-formed packets built from random fields parse back to those fields (10 000 inputs)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(
        fc.record({
          marker: fc.boolean(),
          payloadType: fc.integer({ min: 0, max: 127 }),
          sequenceNumber: fc.integer({ min: 0, max: 65535 }),
          timestamp: u32,
          ssrc: u32,
          csrcs: fc.array(u32, { maxLength: 15 }),
          extension: fc.option(
            fc.record({
              profile: fc.integer({ min: 0, max: 65535 }),
              data: fc
                .array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 })
                .map((a) => a.slice(0, a.length & ~3)),
            }),
            { nil: undefined },
          ),
          padding: fc.integer({ min: 0, max: 255 }),
          payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
        }),
        (h) => {
          const rtp = parseRtp(packet(h));
          expect(rtp).toBeDefined();
          expect(rtp).toMatchObject({
            marker: h.marker,
            payloadType: h.payloadType,
            sequenceNumber: h.sequenceNumber,
            timestamp: h.timestamp,
            ssrc: h.ssrc,
            csrcCount: h.csrcs.length,
            paddingLength: h.padding,
          });
          expect(rtp?.extensionProfile).toBe(h.extension?.profile);
          expect([...(rtp?.payload ?? [])]).toEqual(h.payload);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('isRtcp', () => {
  const rtcp = (pt: number, words = 1, length = 8) => {
    const b = Buffer.alloc(length);
    b[0] = 0x80;
    b[1] = pt;
    b.writeUInt16BE(words, 2);
    return b;
  };
  it.each([
    ['sender report', rtcp(200, 6, 28), true],
    ['receiver report', rtcp(201), true],
    ['SDES', rtcp(202), true],
    ['BYE', rtcp(203), true],
    ['APP', rtcp(204, 2, 12), true],
    ['transport feedback (205)', rtcp(205, 2, 12), true],
    ['length field beyond the datagram', rtcp(200, 6, 8), false],
    ['version 1', rtcp(200).fill(0x40, 0, 1), false],
    ['3 bytes', rtcp(200).subarray(0, 3), false],
    ['RTP payload type 96', packet({ payloadType: 96 }), false],
    ['RTP payload type 96 with marker', packet({ payloadType: 96, marker: true }), false],
  ] as const)('%s → %s', (_name, buf, expected) => {
    expect(isRtcp(buf)).toBe(expected);
  });
});
