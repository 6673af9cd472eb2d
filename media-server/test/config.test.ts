import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('media-server configuration', () => {
  it('exits 1 and names every bad key', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd,
      env: { PATH: process.env.PATH, MEDIA_PORT: 'abc', MEDIASOUP_WORKERS: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/MEDIA_PORT: expected a TCP port/);
    expect(r.stderr).toMatch(/MEDIASOUP_WORKERS:/);
    expect(r.stderr).toMatch(/MEDIASOUP_WORKER_BIN: /);
    expect(r.stderr).toMatch(/MEDIA_TOKEN_PUBLIC_KEY: /);
    expect(r.stderr).toMatch(/MEDIA_CONTROL_SECRET: /);
  });

  it('refuses a control secret shorter than 32 characters and a key that is not Ed25519', () => {
    const r = loadConfig({
      MEDIASOUP_WORKER_BIN: '/bin/true',
      MEDIA_TOKEN_PUBLIC_KEY: 'abc',
      MEDIA_CONTROL_SECRET: 'short',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toEqual([
        'MEDIA_TOKEN_PUBLIC_KEY: expected the Ed25519 public key as 43 base64url characters',
        'MEDIA_CONTROL_SECRET: must be at least 32 characters',
      ]);
      expect(r.problems.join('')).not.toContain('short');
    }
  });

  it('refuses an empty RTC port range', () => {
    const r = loadConfig({
      MEDIASOUP_WORKER_BIN: '/bin/true',
      MEDIA_TOKEN_PUBLIC_KEY: '9EPjyTmoPZKzaoZC7C8XeM1uAOuSBC85q5UYdM8xBuQ',
      MEDIA_CONTROL_SECRET: 's'.repeat(32),
      RTC_MIN_PORT: '41000',
      RTC_MAX_PORT: '40000',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual(['RTC_MAX_PORT: must be greater than RTC_MIN_PORT']);
  });

  it('defaults the playback transcode settings and refuses out-of-range ones', () => {
    const base = {
      MEDIASOUP_WORKER_BIN: '/bin/true',
      MEDIA_TOKEN_PUBLIC_KEY: '9EPjyTmoPZKzaoZC7C8XeM1uAOuSBC85q5UYdM8xBuQ',
      MEDIA_CONTROL_SECRET: 's'.repeat(32),
    };
    const ok = loadConfig(base);
    expect(
      ok.ok && {
        concurrency: ok.value.PLAYBACK_TRANSCODE_CONCURRENCY,
        queue: ok.value.PLAYBACK_TRANSCODE_QUEUE,
        timeout: ok.value.PLAYBACK_TRANSCODE_TIMEOUT_MS,
        cache: ok.value.PLAYBACK_TRANSCODE_CACHE_MB,
        preset: ok.value.PLAYBACK_TRANSCODE_PRESET,
      },
    ).toEqual({ concurrency: 1, queue: 8, timeout: 20_000, cache: 64, preset: 'veryfast' });
    const bad = loadConfig({
      ...base,
      PLAYBACK_TRANSCODE_CONCURRENCY: '0',
      PLAYBACK_TRANSCODE_PRESET: 'placebo',
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems.map((p) => p.split(':')[0])).toEqual([
        'PLAYBACK_TRANSCODE_CONCURRENCY',
        'PLAYBACK_TRANSCODE_PRESET',
      ]);
    }
  });
});
