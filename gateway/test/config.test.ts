import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('gateway configuration', () => {
  it('exits 1 and names the bad key when GATEWAY_PORT=abc', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd,
      env: { PATH: process.env.PATH, GATEWAY_PORT: 'abc' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toMatch(/GATEWAY_PORT: expected a TCP port/);
  });

  it('lists every bad key, not just the first', () => {
    const r = loadConfig({
      GATEWAY_PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      WEB_ORIGINS: '*',
      DEMO_SEED: 'maybe',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'DATABASE_URL',
        'DEMO_SEED',
        'GATEWAY_PORT',
        'WEB_ORIGINS',
      ]);
    }
  });

  it('never echoes a secret value in its complaint', () => {
    const r = loadConfig({ WALL_DEMO_PASSWORD: 'tiny-secret' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).not.toContain('tiny-secret');
  });
});
