import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditContent, canonicalAudit, canonicalJson, GENESIS_HASH, hashAudit } from './canonical.ts';
import { normalizeJson, storableText } from './json.ts';

const content: AuditContent = {
  seq: 7,
  at: new Date('2025-03-04T05:06:07.089+08:00'),
  actorId: '6f1c7f0e-3c55-4f7e-9d2a-8f8f0c1d2e3f',
  actorName: '李 "duty"',
  action: 'camera.live',
  targetKind: 'camera',
  targetId: 'cam-1',
  result: 'deny',
  reason: 'denied:grade',
  address: '10.0.0.7',
  emergency: false,
  detail: { profile: 'main', a: { z: 1, y: [true, null, 'x\n'] } },
  prevHash: GENESIS_HASH,
};

/** The documented form written out field by field: the reference `canonicalAudit` must match. */
function referenceForm(c: AuditContent): string {
  const s = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));
  return (
    `["wall-audit/1",${c.seq},${JSON.stringify(c.at.toISOString())},${s(c.actorId)},${s(c.actorName)},` +
    `${s(c.action)},${s(c.targetKind)},${s(c.targetId)},${s(c.result)},${s(c.reason)},${s(c.address)},` +
    `${c.emergency ? 'true' : 'false'},${canonicalJson(c.detail)},${s(c.prevHash)}]`
  );
}

describe('canonicalAudit', () => {
  it('writes exactly the documented form for any content (property)', () => {
    const text = fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          at: fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
          actorId: text,
          actorName: fc.string({ unit: 'binary', maxLength: 40 }),
          action: fc.string({ maxLength: 20 }),
          targetKind: text,
          targetId: text,
          result: fc.constantFrom('allow', 'deny', 'ok', 'error' as const),
          reason: text,
          address: text,
          emergency: fc.boolean(),
          detail: fc.dictionary(
            fc.string({ maxLength: 8 }),
            fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<never>,
          ),
          prevHash: fc.stringMatching(/^[0-9a-f]{64}$/),
        }),
        (c) => {
          const parsed = JSON.parse(JSON.stringify(c.detail));
          const content = { ...c, detail: parsed } as AuditContent;
          expect(canonicalAudit(content)).toBe(referenceForm(content));
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) },
    );
  });

  it('refuses a seq that is not a safe integer', () => {
    expect(() => canonicalAudit({ ...content, seq: 2 ** 53 })).toThrow(TypeError);
    expect(() => canonicalAudit({ ...content, seq: 1.5 })).toThrow(TypeError);
  });

  it('has a fixed field order, UTC milliseconds and sorted detail keys', () => {
    expect(canonicalAudit(content)).toBe(
      `["wall-audit/1",7,"2025-03-03T21:06:07.089Z","6f1c7f0e-3c55-4f7e-9d2a-8f8f0c1d2e3f","李 \\"duty\\"",` +
        `"camera.live","camera","cam-1","deny","denied:grade","10.0.0.7",false,` +
        `{"a":{"y":[true,null,"x\\n"],"z":1},"profile":"main"},"${GENESIS_HASH}"]`,
    );
  });

  it('hashes the canonical form with SHA-256', () => {
    expect(hashAudit(content)).toBe(
      createHash('sha256').update(canonicalAudit(content), 'utf8').digest('hex'),
    );
    expect(hashAudit(content)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the order jsonb hands the keys back in', () => {
    // jsonb orders keys by length, then bytes: "a" before "profile", "z" before "zz" before "aaa".
    const asJsonb = { ...content, detail: { z: 1, zz: 2, aaa: { b: 1, a: 2 } } };
    const asWritten = { ...content, detail: { aaa: { a: 2, b: 1 }, zz: 2, z: 1 } };
    expect(canonicalAudit(asJsonb)).toBe(canonicalAudit(asWritten));
  });

  it.each([
    ['seq', { seq: 8 }],
    ['at, by one millisecond', { at: new Date(content.at.getTime() + 1) }],
    ['actor', { actorId: null }],
    ['result', { result: 'allow' as const }],
    ['reason, null vs empty', { reason: '' }],
    ['emergency', { emergency: true }],
    ['detail number vs string', { detail: { profile: 'main', a: { z: '1', y: [true, null, 'x\n'] } } }],
    ['prevHash', { prevHash: 'f'.repeat(64) }],
  ])('changes with %s', (_name, change) => {
    expect(hashAudit({ ...content, ...change })).not.toBe(hashAudit(content));
  });
});

describe('canonicalJson', () => {
  it.each([
    [null, 'null'],
    [{ b: 1, a: [2, { d: 0, c: 'é' }] }, '{"a":[2,{"c":"é","d":0}],"b":1}'],
    [{ '10': 1, '9': 2, b: 3 }, '{"10":1,"9":2,"b":3}'],
    [1e21, '1e+21'],
    ['\u2028', '"\u2028"'],
  ])('%j → %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow('numbers must be finite');
  });
});

describe('storableText and normalizeJson', () => {
  it.each([
    ['a\u0000b', 'a\ufffdb'],
    ['lone \ud800 high', 'lone \ufffd high'],
    ['lone \udc00 low', 'lone \ufffd low'],
    ['pair \ud83d\ude00 kept', 'pair \ud83d\ude00 kept'],
  ])('%j → %j', (input, expected) => {
    expect(storableText(input)).toBe(expected);
  });

  it('cuts at a length without splitting a surrogate pair', () => {
    expect(storableText('abcdef', 4)).toBe('abcd');
    expect(storableText('abc\ud83d\ude00', 4)).toBe('abc');
  });

  it('returns JSON as jsonb will hand it back', () => {
    const json = '{"__proto__":{"x":1}}';
    expect(normalizeJson({ a: undefined, b: [undefined, -0], c: 'x\u0000' })).toEqual({
      b: [null, 0],
      c: 'x\ufffd',
    });
    expect(canonicalJson(normalizeJson(JSON.parse(json)))).toBe(json);
  });

  it.each([
    [{ a: Number.POSITIVE_INFINITY }, 'detail.a: numbers must be finite'],
    [{ a: new Date(0) }, 'detail.a: not a plain object'],
    [{ a: [1, () => 1] }, 'detail.a[1]: function is not JSON'],
    [{ a: 1n }, 'detail.a: bigint is not JSON'],
  ])('refuses %o', (value, message) => {
    expect(() => normalizeJson(value)).toThrow(message);
  });
});
