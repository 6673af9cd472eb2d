import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const webDir = fileURLToPath(new URL('../../web', import.meta.url));

describe('web server configuration', () => {
  it('exits 1 at start and names every bad key', () => {
    expect(existsSync(`${webDir}/.next/BUILD_ID`), 'the bootstrap builds the web app first').toBe(true);
    const r = spawnSync(
      process.execPath,
      [`${webDir}/node_modules/next/dist/bin/next`, 'start', '-H', '127.0.0.1', '-p', '0'],
      {
        cwd: webDir,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          GATEWAY_URL: 'abc',
          GATEWAY_PUBLIC_URL: 'ftp://x',
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('web: invalid configuration');
    expect(r.stderr).toMatch(/GATEWAY_URL: expected a URL with scheme http or https/);
    expect(r.stderr).toMatch(/GATEWAY_PUBLIC_URL: expected a URL with scheme http or https/);
  });
});
