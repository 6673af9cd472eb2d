// Start-up benchmark: how long the set-up takes when everything is already there (the "second run"
// of `npm start`/`npm test`), how long the whole platform takes to come up (fresh data and kept
// data), and how long it takes to stop. Figures in seconds; writes bench/results/startup.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../live/platform.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const round = (x: number) => Math.round(x * 100) / 100;

// 1. The set-up with everything in place.
const setup: number[] = [];
let workerBin = '';
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'infra/bootstrap/cli.mjs'), 'setup'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`setup failed:\n${r.stdout}\n${r.stderr}`);
  setup.push((performance.now() - t0) / 1000);
  workerBin = /MEDIASOUP_WORKER_BIN=(.*)/.exec(r.stdout)?.[1] ?? '';
}

// 2. The platform: spawn → READY, SIGINT → exit.
async function startStop(dataDir: string): Promise<{ ready: number; stop: number }> {
  const env = {
    ...process.env,
    MEDIASOUP_WORKER_BIN: workerBin,
    WALL_DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    LOG_LEVEL: 'warn',
    WEB_PORT: String(await freePort()),
    GATEWAY_PORT: String(await freePort()),
    MEDIA_PORT: String(await freePort()),
    RTSP_PORT: String(await freePort()),
    GB_SIP_PORT: String(await freePort()),
    WALL_REDIS_PORT: String(await freePort()),
  };
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts'], {
    cwd: join(ROOT, 'infra'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (/^READY$/m.test(out)) resolve();
    });
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    void exited.then(() => reject(new Error(`launcher exited before READY:\n${out.slice(-2000)}`)));
  });
  const ready = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  child.kill('SIGINT');
  const code = await exited;
  if (code !== 0) throw new Error(`launcher exited ${code} on SIGINT`);
  return { ready, stop: (performance.now() - t1) / 1000 };
}

const fresh: { ready: number; stop: number }[] = [];
const kept: { ready: number; stop: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'wall-bench-'));
  try {
    fresh.push(await startStop(dir));
    kept.push(await startStop(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = {
  name: 'startup',
  at: new Date().toISOString(),
  machine: { cores: cpus().length, node: process.version },
  runs: RUNS,
  seconds: {
    setupWhenInstalled: { median: round(median(setup)), all: setup.map(round) },
    readyFreshData: {
      median: round(median(fresh.map((r) => r.ready))),
      all: fresh.map((r) => round(r.ready)),
    },
    readyKeptData: { median: round(median(kept.map((r) => r.ready))), all: kept.map((r) => round(r.ready)) },
    stopOnSigint: { median: round(median([...fresh, ...kept].map((r) => r.stop))) },
  },
  ratios: {
    freshOverKept: round(median(fresh.map((r) => r.ready)) / median(kept.map((r) => r.ready))),
  },
};
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'startup.json'), `${JSON.stringify(result, null, 2)}\n`);
const s = result.seconds;
process.stdout.write(
  [
    `startup benchmark (${RUNS} runs, ${result.machine.cores} cores)`,
    `  set-up when everything is installed   ${s.setupWhenInstalled.median} s (median)`,
    `  platform ready, fresh data (seeding)  ${s.readyFreshData.median} s`,
    `  platform ready, data kept             ${s.readyKeptData.median} s`,
    `  stop on SIGINT                        ${s.stopOnSigint.median} s`,
    `  fresh / kept                          ${result.ratios.freshOverKept}×`,
    '  → bench/results/startup.json',
    '',
  ].join('\n'),
);
