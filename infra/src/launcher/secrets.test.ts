import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSecrets } from './secrets.ts';

describe('launcher secrets', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'wall-secrets-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('makes every secret once (0600) and keeps them on the next start', () => {
    const d = dir();
    const first = ensureSecrets(d);
    expect(first.sourceSecretKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.sourceSecretKey, 'base64url')).toHaveLength(32);
    expect(statSync(join(d, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(ensureSecrets(d)).toEqual(first);
  });

  it('adds the source secret key to an installation made before it, keeping the other secrets', () => {
    const d = dir();
    const old = {
      streamTokenPublicKey: 'x'.repeat(43),
      streamTokenPrivateKey: 'y'.repeat(43),
      mediaControlSecret: 'z'.repeat(43),
    };
    writeFileSync(join(d, 'secrets.json'), JSON.stringify(old), { mode: 0o600 });
    const upgraded = ensureSecrets(d);
    expect(upgraded).toMatchObject(old);
    expect(upgraded.sourceSecretKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.parse(readFileSync(join(d, 'secrets.json'), 'utf8'))).toEqual(upgraded);
    expect(ensureSecrets(d).sourceSecretKey).toBe(upgraded.sourceSecretKey);
  });
});
