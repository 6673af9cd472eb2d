import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { SEALED_FORMAT, SealedSecretError, SourceSecretBox, sourceSecretBox } from './secrets.ts';

const KEY = randomBytes(32).toString('base64url');
const OTHER = randomBytes(32).toString('base64url');
const SOURCE = '7d0e8f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00';
const SECRET = { username: 'admin', password: 'Pa55:w@rd/密码' };

const why = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof SealedSecretError ? err.why : `other: ${String(err)}`;
  }
  return 'no error';
};

describe('source secrets at rest (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV per seal and the key id in the header', () => {
    const box = new SourceSecretBox(KEY);
    const a = box.seal(SOURCE, SECRET);
    const b = box.seal(SOURCE, SECRET);
    expect(box.open(SOURCE, a)).toEqual(SECRET);
    expect(box.open(SOURCE.toUpperCase(), new Uint8Array(a))).toEqual(SECRET);
    expect(a[0]).toBe(SEALED_FORMAT);
    expect(a[1]).toBe(b[1]);
    expect(a.subarray(2, 14).equals(b.subarray(2, 14))).toBe(false);
    expect(a.equals(b)).toBe(false);
    // 2 header + 12 IV + 64 padded + 16 tag: a short password does not show its length.
    expect(a.length).toBe(94);
    expect(box.seal(SOURCE, { password: 'x' }).length).toBe(94);
  });

  it('keeps no clear text in the stored bytes', () => {
    const sealed = new SourceSecretBox(KEY).seal(SOURCE, SECRET);
    for (const needle of ['admin', 'Pa55', 'password', 'username', '密码']) {
      expect(sealed.includes(Buffer.from(needle, 'utf8'))).toBe(false);
    }
  });

  it('refuses a tampered value, a value moved to another source, and a foreign key', () => {
    const box = new SourceSecretBox(KEY);
    const sealed = box.seal(SOURCE, SECRET);
    for (const i of [2, 20, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i] = (bad[i] as number) ^ 1;
      expect(why(() => box.open(SOURCE, bad))).toBe('auth');
    }
    const otherFormat = Buffer.from(sealed);
    otherFormat[0] = 2;
    expect(why(() => box.open(SOURCE, otherFormat))).toBe('format');
    expect(why(() => box.open(SOURCE, sealed.subarray(0, 40)))).toBe('format');
    expect(why(() => box.open('7d0e8f0a-1b2c-4d3e-8f4a-5b6c7d8e9f01', sealed))).toBe('auth');
    const stranger = new SourceSecretBox(OTHER);
    expect(why(() => stranger.open(SOURCE, sealed))).toMatch(/^(key|auth)$/);
  });

  it('rotates keys: retired keys open, the current key seals, needsReseal tells which', () => {
    const old = new SourceSecretBox(OTHER);
    const sealedOld = old.seal(SOURCE, SECRET);
    const box = new SourceSecretBox(KEY, [OTHER]);
    expect(box.open(SOURCE, sealedOld)).toEqual(SECRET);
    expect(box.needsReseal(SOURCE, sealedOld)).toBe(true);
    const fresh = box.seal(SOURCE, SECRET);
    expect(box.needsReseal(SOURCE, fresh)).toBe(false);
    expect(why(() => old.open(SOURCE, fresh))).toMatch(/^(key|auth)$/);
  });

  it('takes only canonical 32-byte base64url keys', () => {
    expect(() => new SourceSecretBox('short')).toThrow(RangeError);
    expect(() => new SourceSecretBox(`${KEY.slice(0, 42)}B`)).toThrow(RangeError);
    expect(sourceSecretBox({})).toBeUndefined();
    expect(sourceSecretBox({ SOURCE_SECRET_KEY: KEY })).toBeInstanceOf(SourceSecretBox);
  });

  it('is required by the configuration in production only', () => {
    expect(loadConfig({}).ok).toBe(true);
    const prod = loadConfig({ NODE_ENV: 'production', GATEWAY_PORT: 'x' });
    expect(prod.ok).toBe(false);
    if (!prod.ok) {
      expect(prod.problems.map((p) => p.split(':')[0]).sort()).toEqual(['GATEWAY_PORT', 'SOURCE_SECRET_KEY']);
    }
    const ok = loadConfig({
      NODE_ENV: 'production',
      SOURCE_SECRET_KEY: KEY,
      SOURCE_SECRET_KEYS_RETIRED: OTHER,
    });
    expect(ok.ok && ok.value.SOURCE_SECRET_KEYS_RETIRED).toEqual([OTHER]);
    const bad = loadConfig({ SOURCE_SECRET_KEY: 'not-a-key-at-all' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).not.toContain('not-a-key-at-all');
  });
});
