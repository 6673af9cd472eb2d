import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from './bytes.ts';
import { fuzzRuns, mutatedBytes, now, splitAt } from './fuzz-support.ts';
import { type PsDemuxEvent, PsDemuxer } from './ps.ts';
import { PsMuxer } from './ps-mux.ts';
import { PsRtpDepacketizer, parseRtp, Rfc4571Decoder } from './rtp.ts';

const RUNS = fuzzRuns();
const TIMEOUT = 120_000;
const MAX_AU = 4096;
/** One incomplete packet (≤ 6 + 65 535) or unbounded PES (≤ MAX_AU), plus one access unit. */
const BOUND = 6 + 0xffff + MAX_AU;

function nal(type: number, n: number, seed: number): Uint8Array {
  return Uint8Array.from([
    0,
    0,
    0,
    1,
    type,
    ...Array.from({ length: n }, (_, i) => 1 + ((i * 31 + seed) % 255)),
  ]);
}

const mux = new PsMuxer({ maxPesPayload: 300 });
const SAMPLES = [
  concatBytes([
    mux.mux({ pts: 3600, data: concatBytes([nal(0x67, 8, 1), nal(0x68, 3, 2), nal(0x65, 900, 3)]) }),
    mux.mux({ pts: 7200, dts: 3600, data: nal(0x41, 500, 4) }),
  ]),
  new PsMuxer({ codec: 'h265', maxPesPayload: 100, ptsOnEveryPes: true }).mux({
    pts: 90000,
    data: concatBytes([nal(0x40, 10, 5), nal(0x26, 300, 6)]),
  }),
  // Audio PES after a PSM that names it, and padding.
  Uint8Array.of(
    ...[0, 0, 1, 0xbc, 0, 0x12, 0xe0, 0xff, 0, 0, 0, 8, 0x1b, 0xe0, 0, 0, 0x90, 0xc0, 0, 0, 0, 0, 0, 0],
    ...[0, 0, 1, 0xc0, 0, 11, 0x80, 0x80, 5, 0x21, 0, 5, 0xbf, 0x21, 0xd5, 0xd5, 0xd5],
    ...[0, 0, 1, 0xbe, 0, 2, 0xff, 0xff, 0, 0, 1, 0xb9],
  ),
];

const DICTIONARY = [
  [0, 0, 1, 0xba],
  [0, 0, 1, 0xbb],
  [0, 0, 1, 0xbc],
  [0, 0, 1, 0xe0],
  [0, 0, 1, 0xc0],
  [0, 0, 1, 0xb9],
  [0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5],
  [0, 0, 1, 0xe0, 0xff, 0xff, 0x80, 0xc0, 0xff],
  [0xff, 0xff],
  [0, 0],
  [0, 0, 0, 1, 0x65],
  [0x44, 0, 4, 0, 4, 1, 1, 0x38, 0x83, 0xff],
].map((a) => Uint8Array.from(a));

// --- a grammar of PS packets with random field values (reaches deep paths random bytes do not) ---

const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const clamp16 = (n: number) => Math.max(0, Math.min(0xffff, n));
const lengthDelta = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: -12, max: 12 }) },
);

const packArb = fc
  .tuple(fc.uint8Array({ minLength: 9, maxLength: 9 }), fc.boolean(), fc.nat({ max: 7 }))
  .map(([r, valid, stuffing]) => {
    const b = [...r];
    if (valid) {
      b[0] = ((b[0] as number) & 0x3b) | 0x44;
      b[2] = (b[2] as number) | 0x04;
      b[4] = (b[4] as number) | 0x04;
      b[5] = (b[5] as number) | 0x01;
      b[8] = (b[8] as number) | 0x03;
    }
    return Uint8Array.from([0, 0, 1, 0xba, ...b, 0xf8 | stuffing, ...new Array(stuffing).fill(0xff)]);
  });

const pesArb = fc
  .record({
    id: fc.oneof(fc.integer({ min: 0xc0, max: 0xef }), fc.constantFrom(0xbd, 0xbe, 0xbf, 0xe0, 0xe0)),
    b6: fc.oneof({ weight: 4, arbitrary: fc.constant(0x80) }, { weight: 1, arbitrary: fc.nat(255) }),
    flags: fc.oneof(fc.constantFrom(0x00, 0x80, 0xc0), fc.nat(255)),
    hdr: fc
      .oneof(fc.constantFrom(0, 3, 5, 10, 255), fc.nat(255))
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    payload: fc.uint8Array({ maxLength: 700 }),
    delta: lengthDelta,
    unbounded: fc.oneof(
      { weight: 8, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
  })
  .map(({ id, b6, flags, hdr, payload, delta, unbounded }) => {
    const declared = unbounded ? 0 : clamp16(3 + hdr.length + payload.length + delta);
    return Uint8Array.from([0, 0, 1, id, ...be16(declared), b6, flags, hdr.length, ...hdr, ...payload]);
  });

const psmArb = fc
  .record({
    info: fc.uint8Array({ maxLength: 8 }),
    entries: fc.array(
      fc.record({
        type: fc.oneof(fc.constantFrom(0x1b, 0x24, 0x10, 0x0f, 0x90, 0x91), fc.nat(255)),
        id: fc.oneof(fc.constantFrom(0xe0, 0xe1, 0xc0), fc.nat(255)),
        esInfo: fc.uint8Array({ maxLength: 6 }),
      }),
      { maxLength: 4 },
    ),
    delta: lengthDelta,
    mapDelta: lengthDelta,
  })
  .map(({ info, entries, delta, mapDelta }) => {
    const map = entries.flatMap((e) => [e.type, e.id, ...be16(e.esInfo.length), ...e.esInfo]);
    const body = [
      0xe0,
      0xff,
      ...be16(info.length),
      ...info,
      ...be16(clamp16(map.length + mapDelta)),
      ...map,
      1,
      2,
      3,
      4,
    ];
    return Uint8Array.from([0, 0, 1, 0xbc, ...be16(clamp16(body.length + delta)), ...body]);
  });

const systemHeaderArb = fc
  .uint8Array({ maxLength: 24 })
  .map((r) =>
    Uint8Array.from([0, 0, 1, 0xbb, ...be16(r.length + 6), 0x80 | 0x7f, 0xff, 0xff, 0, 0xe1, 0x7f, ...r]),
  );

const psPackets = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: packArb },
    { weight: 5, arbitrary: pesArb },
    { weight: 1, arbitrary: psmArb },
    { weight: 1, arbitrary: systemHeaderArb },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }) },
    { weight: 1, arbitrary: fc.constant(Uint8Array.of(0, 0, 1, 0xb9)) },
  ),
  { maxLength: 20 },
);

function check(events: PsDemuxEvent[]): void {
  for (const e of events) {
    if (e.kind === 'video') {
      expect(e.unit.data.length).toBeGreaterThan(0);
      expect(e.unit.data.length).toBeLessThanOrEqual(MAX_AU);
      expect(['h264', 'h265']).toContain(e.unit.codec);
      expect(e.unit.pts >= 0 && e.unit.pts < 2 ** 33).toBe(true);
    } else if (e.kind === 'problem') {
      expect(e.code.startsWith('ps:')).toBe(true);
    }
  }
}

function timed(fn: () => void): void {
  const t0 = now();
  fn();
  expect(now() - t0).toBeLessThan(2000);
}

/** Feeds chunks, flushing now and then as the RTP marker would; checks outputs and memory. */
function feed(chunks: Uint8Array[], flushEvery: number): void {
  const d = new PsDemuxer({ maxAccessUnitBytes: MAX_AU });
  for (const [i, c] of chunks.entries()) {
    check(d.push(c));
    if (flushEvery > 0 && i % flushEvery === 0) check(d.flush());
    expect(d.bufferedBytes).toBeLessThanOrEqual(BOUND);
  }
  check(d.end());
  expect(d.bufferedBytes).toBe(0);
}

describe(`PS demuxer fuzzing (${RUNS} runs per target)`, () => {
  it(
    'arbitrary byte chunks',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 1024 }), { maxLength: 16 }),
          fc.nat({ max: 4 }),
          (chunks, flushEvery) => {
            timed(() => feed(chunks, flushEvery));
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'mutated valid streams in random splits',
    () => {
      fc.assert(
        fc.property(
          mutatedBytes(SAMPLES, DICTIONARY),
          fc.array(fc.nat(), { maxLength: 10 }),
          fc.nat({ max: 4 }),
          (bytes, cuts, flushEvery) => {
            timed(() => feed(splitAt(bytes, cuts), flushEvery));
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'generated packet sequences (random header fields and lengths), lightly mutated, in random splits',
    () => {
      fc.assert(
        fc.property(
          psPackets.chain((packets) =>
            mutatedBytes([concatBytes(packets)], DICTIONARY, 2).map(
              (m) => [concatBytes(packets), m] as const,
            ),
          ),
          fc.array(fc.nat(), { maxLength: 10 }),
          fc.nat({ max: 4 }),
          ([clean, mutated], cuts, flushEvery) => {
            timed(() => {
              feed(splitAt(clean, cuts), flushEvery);
              feed(splitAt(mutated, cuts), flushEvery);
            });
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'RTP over TCP path: RFC 4571 decoder, RTP parser, depacketizer on arbitrary bytes',
    () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 16 }), (chunks) => {
          timed(() => {
            const tcp = new Rfc4571Decoder();
            const depacketizer = new PsRtpDepacketizer({ maxFrameBytes: MAX_AU });
            const d = new PsDemuxer({ maxAccessUnitBytes: MAX_AU });
            for (const c of chunks) {
              for (const packet of tcp.push(c)) {
                const rtp = parseRtp(packet);
                if (!rtp.ok) continue;
                for (const frame of depacketizer.push(rtp.value)) {
                  expect(frame.data.length).toBeLessThanOrEqual(MAX_AU);
                  check([...d.push(frame.data), ...d.flush()]);
                }
              }
              expect(tcp.bufferedBytes).toBeLessThanOrEqual(2 + 0xffff);
              expect(depacketizer.bufferedBytes).toBeLessThanOrEqual(MAX_AU);
            }
          });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
