// Bootstrap steps: plain Node (no npm packages), because they run before anything is installed.
// Each step is idempotent: it checks first and does work only when something is missing.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMediasoupWorker } from './mediasoup-worker.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const PNPM_VERSION = '12.4.2';
export const CACHE_ROOT = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'wall');

/** Debian packages the platform needs, by purpose. */
export const DEBIAN_PACKAGES = {
  media: ['ffmpeg'],
  state: ['redis-server'],
  browser: ['chromium', 'fonts-noto-cjk', 'fonts-dejavu-core'],
  cameras: [
    'gstreamer1.0-tools',
    'gstreamer1.0-plugins-base',
    'gstreamer1.0-plugins-good',
    'gstreamer1.0-plugins-bad',
    'gstreamer1.0-plugins-ugly',
    // textoverlay and clockoverlay (burnt-in camera name and clock) live here.
    'gstreamer1.0-x',
    'gir1.2-gstreamer-1.0',
    'gir1.2-gst-rtsp-server-1.0',
    'python3-gi',
  ],
  mediasoupWorker: [
    'meson',
    'ninja-build',
    'pkg-config',
    'g++',
    'make',
    'python3',
    'libuv1-dev',
    'libssl-dev',
    'libsrtp2-dev',
    'libusrsctp-dev',
    'nlohmann-json3-dev',
    'libabsl-dev',
  ],
};

export class StepError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

/** Runs a command with an argument array; resolves with its output, rejects with the tail of it. */
export function run(cmd, args, { cwd = ROOT, env = process.env, quiet = false, step = cmd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (buf) => {
      out += buf.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (!quiet) process.stdout.write(buf.toString().replace(/^(?=.)/gm, '    '));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new StepError(step, `${cmd} could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else {
        const tail = out.trim().split('\n').slice(-30).join('\n');
        reject(new StepError(step, `${cmd} ${args.join(' ')} exited with ${code ?? signal}\n${tail}`));
      }
    });
  });
}

export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new StepError('node', `Node ${process.versions.node} is too old: Node ≥ 20.19 is required`);
  }
  return `Node ${process.versions.node}`;
}

function missingDebianPackages(names) {
  // One dpkg-query for all names; unknown ones are reported on stderr and simply not listed.
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\n', ...names], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.endsWith('install ok installed'))
      .map((l) => l.split('\t')[0].split(':')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

export async function ensureDebianPackages(names) {
  const missing = missingDebianPackages(names);
  if (missing.length === 0) return `${names.length} present`;
  if (process.getuid?.() !== 0) {
    throw new StepError('debian', `missing packages and not root: apt-get install ${missing.join(' ')}`);
  }
  console.log(`    installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-q'], { env, quiet: true, step: 'debian' });
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
    env,
    quiet: true,
    step: 'debian',
  });
  const still = missingDebianPackages(missing);
  if (still.length) throw new StepError('debian', `still missing after apt-get install: ${still.join(' ')}`);
  return `installed ${missing.length}: ${missing.join(' ')}`;
}

/** pnpm at the pinned version, in the cache (never replacing a global pnpm). Returns its path. */
export async function ensurePnpm() {
  const prefix = join(CACHE_ROOT, 'tools', `pnpm-${PNPM_VERSION}`);
  const bin = join(prefix, 'node_modules', '.bin', 'pnpm');
  const version = () => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (existsSync(bin) && version() === PNPM_VERSION) return { bin, detail: `pnpm ${PNPM_VERSION} (cached)` };
  mkdirSync(prefix, { recursive: true });
  await run(
    'npm',
    ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', `pnpm@${PNPM_VERSION}`],
    {
      quiet: true,
      step: 'pnpm',
    },
  );
  if (version() !== PNPM_VERSION)
    throw new StepError('pnpm', `pnpm ${PNPM_VERSION} did not install at ${bin}`);
  return { bin, detail: `pnpm ${PNPM_VERSION} installed` };
}

function workspaceManifests() {
  return [
    'package.json',
    'pnpm-workspace.yaml',
    'pnpm-lock.yaml',
    ...['protocol', 'stream-token', 'gateway', 'media-server', 'web', 'infra', 'bench'].map(
      (p) => `${p}/package.json`,
    ),
  ];
}

function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f);
    h.update('\0');
    h.update(existsSync(join(ROOT, f)) ? readFileSync(join(ROOT, f)) : '');
    h.update('\0');
  }
  return h.digest('hex');
}

export async function ensureWorkspace(pnpm) {
  const stamp = join(ROOT, 'node_modules', '.wall-install-stamp');
  const key = hashFiles(workspaceManifests());
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return 'up to date';
  const frozen = existsSync(join(ROOT, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  await run(pnpm, ['install', ...frozen, '--reporter=append-only'], {
    env: { ...process.env, CI: 'true' },
    quiet: true,
    step: 'workspace',
  });
  writeFileSync(stamp, key);
  return 'installed from the lockfile';
}

export async function ensureWorker() {
  const link = join(ROOT, 'media-server', 'node_modules', 'mediasoup');
  if (!existsSync(link)) throw new StepError('mediasoup', 'media-server/node_modules/mediasoup is missing');
  const bin = await ensureMediasoupWorker({
    mediasoupDir: realpathSync(link),
    cacheRoot: join(CACHE_ROOT, 'mediasoup-worker'),
    log: (m) => console.log(`    ${m}`),
  });
  return bin;
}

function listFiles(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.next' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else out.push(relative(ROOT, p));
  }
  return out;
}

/** The web app's production build, redone only when its sources (or the shared protocol) change. */
export async function ensureWebBuild(pnpm) {
  const files = [
    ...listFiles(join(ROOT, 'web', 'src')),
    ...listFiles(join(ROOT, 'protocol', 'src')),
    ...listFiles(join(ROOT, 'protocol', 'data')),
    'web/next.config.ts',
    'web/package.json',
    'web/tsconfig.json',
    'pnpm-lock.yaml',
  ].sort();
  const key = hashFiles(files);
  const stamp = join(ROOT, 'web', '.next', 'wall-build-key');
  if (
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === key &&
    existsSync(join(ROOT, 'web', '.next', 'BUILD_ID'))
  ) {
    return 'up to date';
  }
  const started = Date.now();
  await run(pnpm, ['--filter', '@wall/web', 'run', 'build'], {
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    quiet: true,
    step: 'web build',
  });
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, key);
  return `built in ${Math.round((Date.now() - started) / 1000)} s`;
}

export function fileAge(path) {
  return existsSync(path) ? Date.now() - statSync(path).mtimeMs : Infinity;
}
