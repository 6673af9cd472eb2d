import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDigestChallenge, parseDigestCredentials } from './digest.ts';
import { fuzzRuns, mutatedBytes, now, splitAt } from './fuzz-support.ts';
import {
  getHeader,
  getHeaderValues,
  parseSipMessage,
  type SipParseResult,
  SipStreamFramer,
  serializeSipMessage,
  sipEssentials,
} from './sip.ts';
import { parseCSeq, parseNameAddr, parseSipUri, parseVia } from './sip-headers.ts';

const RUNS = fuzzRuns();
const TIMEOUT = 120_000;
const enc = new TextEncoder();

const SAMPLES = [
  [
    'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273',
    'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: 1011047669',
    'CSeq: 2 REGISTER',
    'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
    'Authorization: Digest username="34020000001320000001", realm="3402000000", nonce="4401", uri="sip:34020000002000000001@3402000000", response="c6e58831a9233fb24696ccd71f7ba6bf", algorithm=MD5, cnonce="6b8b4567", qop=auth, nc=00000001',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
  [
    'SIP/2.0 401 Unauthorized',
    'v: SIP/2.0/UDP 192.168.1.64:5060;rport=5060;branch=z9hG4bK1;received=10.0.0.9, SIP/2.0/TCP [::1]:5070',
    'f: "Cam, 1" <sip:34020000001320000001@3402000000>;tag=2043466181',
    't: sip:34020000001320000001@3402000000;tag=1',
    'i: 1011047669',
    'CSeq: 1 REGISTER',
    'WWW-Authenticate: Digest realm="3402000000",nonce="44010b73623249f6916a6acf7c316b8e",algorithm=MD5,qop="auth"',
    'l: 0',
    '',
    '',
  ].join('\r\n'),
  `${[
    'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1520733366',
    'From: <sip:34020000001320000001@3402000000>;tag=1233436213',
    'To: <sip:34020000002000000001@3402000000>',
    'Call-ID: 1402541093',
    'CSeq: 20 MESSAGE',
    'Content-Type: Application/MANSCDP+xml',
    'Content-Length: 36',
    '',
    '',
  ].join('\r\n')}<Notify><CmdType>Keepalive</CmdType>`,
].map((s) => enc.encode(s));

const DICTIONARY = [
  '\r\n',
  '\r\n\r\n',
  '\n',
  ':',
  ';',
  ',',
  '"',
  '<',
  '>',
  '@',
  '\\',
  ' ',
  '\t',
  'Content-Length: 4294967295\r\n',
  'Content-Length: 5\r\n',
  'l: 1048577\r\n',
  'Via: SIP/2.0/UDP [',
  ';rport=99999',
  'sip:',
  'constructor: 1\r\n',
  '__proto__: 1\r\n',
  ';__proto__=x',
  '\0',
  '\u00ff',
  '天',
].map((s) => enc.encode(s));

const MAX_HEADER = 2048;
const MAX_BODY = 4096;

/** Everything a consumer does with a parsed message must not throw either. */
function exercise(r: SipParseResult): void {
  if (!r.ok) {
    expect(typeof r.error.code).toBe('string');
    return;
  }
  const m = r.message;
  sipEssentials(m);
  for (const v of getHeaderValues(m, 'Via')) parseVia(v);
  for (const n of ['From', 'To', 'Contact']) for (const v of getHeaderValues(m, n)) parseNameAddr(v);
  parseCSeq(getHeader(m, 'CSeq') ?? '');
  parseDigestCredentials(getHeader(m, 'Authorization') ?? '');
  parseDigestChallenge(getHeader(m, 'WWW-Authenticate') ?? '');
  if (m.kind === 'request') parseSipUri(m.uri);
  // What we parsed serializes to something that parses again, with the same body.
  const again = parseSipMessage(serializeSipMessage(m));
  expect(again.ok).toBe(true);
  if (again.ok) {
    expect(again.message.kind).toBe(m.kind);
    expect(again.message.body).toEqual(m.body);
  }
}

function timed(fn: () => void): void {
  const t0 = now();
  fn();
  // No single input may take long (a hang fails the test's own timeout too).
  expect(now() - t0).toBeLessThan(2000);
}

describe(`SIP fuzzing (${RUNS} runs per target)`, () => {
  it(
    'parseSipMessage: arbitrary bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
          timed(() =>
            exercise(parseSipMessage(bytes, { maxHeaderBytes: MAX_HEADER, maxBodyBytes: MAX_BODY })),
          );
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'parseSipMessage: mutated valid messages',
    () => {
      fc.assert(
        fc.property(mutatedBytes(SAMPLES, DICTIONARY), (bytes) => {
          timed(() => exercise(parseSipMessage(bytes)));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'header value parsers: arbitrary strings',
    () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 512 }), (s) => {
          timed(() => {
            for (const r of [
              parseVia(s),
              parseNameAddr(s),
              parseSipUri(s),
              parseCSeq(s),
              parseDigestChallenge(s),
              parseDigestCredentials(s),
              parseDigestCredentials(`Digest ${s}`),
            ]) {
              expect(typeof r.ok).toBe('boolean');
            }
          });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'SipStreamFramer: arbitrary and mutated chunks, memory bounded',
    () => {
      const chunk = fc.oneof(fc.uint8Array({ maxLength: 1024 }), mutatedBytes(SAMPLES, DICTIONARY));
      fc.assert(
        fc.property(fc.array(chunk, { maxLength: 16 }), (chunks) => {
          timed(() => {
            const f = new SipStreamFramer({ maxHeaderBytes: MAX_HEADER, maxBodyBytes: MAX_BODY });
            for (const c of chunks) {
              for (const r of f.push(c)) exercise(r);
              expect(f.bufferedBytes).toBeLessThanOrEqual(MAX_HEADER + MAX_BODY);
              if (f.failed) expect(f.bufferedBytes).toBe(0);
            }
          });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'SipStreamFramer: valid streams in any split, with CRLF keepalives, come out whole',
    () => {
      const stream = fc.array(
        fc.tuple(fc.nat({ max: SAMPLES.length - 1 }), fc.constantFrom('', '\r\n', '\r\n\r\n')),
        { minLength: 1, maxLength: 6 },
      );
      fc.assert(
        fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (parts, cuts) => {
          const pieces = parts.flatMap(([i, ka]) => [enc.encode(ka), SAMPLES[i] as Uint8Array]);
          const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of pieces) {
            all.set(p, at);
            at += p.length;
          }
          const f = new SipStreamFramer();
          const out = splitAt(all, cuts).flatMap((c) => f.push(c));
          expect(out.map((r) => r.ok)).toEqual(parts.map(() => true));
          const want = parts.map(([i]) => parseSipMessage(SAMPLES[i] as Uint8Array));
          expect(out).toEqual(want);
          expect(f.bufferedBytes).toBe(0);
        }),
        { numRuns: Math.max(100, Math.floor(RUNS / 10)) },
      );
    },
    TIMEOUT,
  );
});
