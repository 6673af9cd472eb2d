import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { descendants, processesWithEnv, stillRunning } from './process-tree.ts';

const infraDir = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

interface Launch {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

const launched: Launch[] = [];

function launch(env: Record<string, string>): Launch {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts'], {
    cwd: infraDir,
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (/^READY$/m.test(out)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`launcher exited ${code} before READY:\n${out.slice(-3000)}`)),
    );
  });
  const l = { child, output: () => out, ready, exited };
  launched.push(l);
  return l;
}

describe('the launcher (npm start) with embedded defaults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wall-launcher-'));
  const marker = randomUUID();
  afterAll(() => {
    // Never leave anything behind, even when an assertion failed half-way: the launchers' trees
    // (by ancestry) and anything that inherited the marker (re-parented orphans).
    const leftovers = new Set<number>(processesWithEnv('WALL_TEST_MARKER', marker));
    for (const l of launched) {
      if (l.child.exitCode !== null || l.child.pid === undefined) continue;
      for (const p of descendants(l.child.pid)) leftovers.add(p.pid);
      leftovers.add(l.child.pid);
    }
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything healthy, stops every child on SIGINT, and keeps its data for the next start', async () => {
    const ports = {
      WEB_PORT: await freePort(),
      GATEWAY_PORT: await freePort(),
      MEDIA_PORT: await freePort(),
      RTSP_PORT: await freePort(),
      GB_SIP_PORT: await freePort(),
      WALL_REDIS_PORT: await freePort(),
    };
    const env = {
      WALL_DATA_DIR: dataDir,
      WALL_TEST_MARKER: marker,
      MEDIASOUP_WORKERS: '1',
      RTC_MIN_PORT: '42000',
      RTC_MAX_PORT: '42499',
      WEBRTC_PORT: '21444',
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };

    const first = launch(env);
    await first.ready;
    expect(first.output()).toMatch(/Demo data\s+324 cameras \(created now\)/);
    expect(first.output()).toMatch(/eoc\.operator/);

    const gw = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/healthz`);
    expect(gw.status).toBe(200);
    expect(await gw.json()).toMatchObject({
      service: 'gateway',
      status: 'ok',
      checks: { database: { ok: true, detail: 'pglite' }, redis: { ok: true } },
    });
    const media = await fetch(`http://127.0.0.1:${ports.MEDIA_PORT}/healthz`);
    expect(media.status).toBe(200);
    expect(await media.json()).toMatchObject({
      service: 'media-server',
      status: 'ok',
      checks: { 'worker:0': { ok: true } },
    });
    const web = await fetch(`http://127.0.0.1:${ports.WEB_PORT}/`);
    expect(web.status).toBe(200);
    expect(web.url).toMatch(/\/login$/);
    expect(await web.text()).toContain('data-testid="login-username"');

    // The tree: redis, cameras, gateway, media with its mediasoup worker, web.
    const tree = descendants(first.child.pid ?? 0);
    const expected = [/redis-server/, /rtsp-sim\.py/, /mediasoup-worker/, /next-server/];
    for (const re of expected) expect(tree.map((p) => p.cmdline).join('\n')).toMatch(re);
    expect(tree.filter((p) => /node .*src\/main\.ts/.test(p.cmdline)).length).toBe(2);
    const password = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')).password;

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(stillRunning(tree)).toEqual([]);
    expect(processesWithEnv('WALL_TEST_MARKER', marker)).toEqual([]);

    // A second start keeps the first one's data (PGlite and Redis under the data directory).
    const second = launch(env);
    await second.ready;
    // 324 seeded, plus the simulated GB platform's 6 channels once its catalogue was filed during the
    // first run (it arrives a moment after REGISTER, so a very quick first stop may not have it).
    expect(second.output()).toMatch(/Demo data\s+(324|330) cameras \(kept from an earlier start\)/);
    expect(JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')).password).toBe(password);
    const secondTree = descendants(second.child.pid ?? 0);
    expect(secondTree.length).toBeGreaterThanOrEqual(6);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(stillRunning(secondTree)).toEqual([]);
    expect(processesWithEnv('WALL_TEST_MARKER', marker)).toEqual([]);
  });

  it('exits 1 naming the key on invalid configuration', async () => {
    const bad = launch({ WALL_DATA_DIR: dataDir, GATEWAY_PORT: 'abc', MEDIASOUP_WORKER_BIN: '/x' });
    await expect(bad.ready).rejects.toThrow(/GATEWAY_PORT: expected a TCP port/);
    expect(await bad.exited).toBe(1);
  });
});
