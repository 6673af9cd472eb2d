#!/usr/bin/env node
// Entry of `npm start`, `npm test` and `npm run bench`: bootstrap (idempotent), then hand over.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  checkNode,
  DEBIAN_PACKAGES,
  ensureDebianPackages,
  ensurePnpm,
  ensureWebBuild,
  ensureWorker,
  ensureWorkspace,
  ROOT,
  StepError,
} from './steps.mjs';

const command = process.argv[2];
if (!['start', 'test', 'bench', 'setup'].includes(command ?? '')) {
  console.error('usage: node infra/bootstrap/cli.mjs start|test|bench|setup [args…]');
  process.exit(2);
}

async function bootstrap() {
  const env = {};
  let pnpm = 'pnpm';
  const steps = [
    ['Node.js', async () => checkNode()],
    ['Debian packages', async () => ensureDebianPackages(Object.values(DEBIAN_PACKAGES).flat())],
    [
      `pnpm`,
      async () => {
        const r = await ensurePnpm();
        pnpm = r.bin;
        return r.detail;
      },
    ],
    ['workspace packages', async () => ensureWorkspace(pnpm)],
    [
      'mediasoup worker',
      async () => {
        env.MEDIASOUP_WORKER_BIN = await ensureWorker();
        return env.MEDIASOUP_WORKER_BIN;
      },
    ],
    ['web build', async () => ensureWebBuild(pnpm)],
  ];
  for (const [i, [name, fn]] of steps.entries()) {
    const started = Date.now();
    process.stdout.write(`[bootstrap ${i + 1}/${steps.length}] ${name} …\n`);
    try {
      const detail = await fn();
      const s = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`[bootstrap ${i + 1}/${steps.length}] ${name}: ${detail} (${s} s)\n`);
    } catch (err) {
      const why = err instanceof StepError || err instanceof Error ? err.message : String(err);
      process.stderr.write(`[bootstrap ${i + 1}/${steps.length}] ${name} FAILED\n${why}\n`);
      process.exit(1);
    }
  }
  env.PNPM = pnpm;
  env.PATH = `${join(pnpm, '..')}:${process.env.PATH}`;
  return env;
}

const extra = await bootstrap();
if (command === 'setup') {
  process.stdout.write(`MEDIASOUP_WORKER_BIN=${extra.MEDIASOUP_WORKER_BIN}\n`);
  process.exit(0);
}
const env = { ...process.env, ...extra, NEXT_TELEMETRY_DISABLED: '1' };
const targets = {
  start: ['node', ['--import', 'tsx', 'src/launcher/main.ts'], join(ROOT, 'infra')],
  test: ['node', [join(ROOT, 'infra/bootstrap/test.mjs')], ROOT],
  bench: [
    'node',
    ['--import', 'tsx', join(ROOT, 'bench/run.ts'), ...process.argv.slice(3)],
    join(ROOT, 'bench'),
  ],
};
const [cmd, args, cwd] = targets[command];
const child = spawn(cmd, args, { cwd, env, stdio: 'inherit' });
// The child gets terminal signals itself (same process group); forward the ones sent to us alone.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => child.kill(sig === 'SIGHUP' ? 'SIGTERM' : sig));
}
// npm runs us through `sh -c`; a SIGTERM to npm alone can leave us orphaned. When our parent is
// gone, stop the platform as if we had been told to.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 500).unref();
// Output to a terminal or pipe that went away must not crash us before the children are stopped.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
