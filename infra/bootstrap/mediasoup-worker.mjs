#!/usr/bin/env node
// Builds the mediasoup C++ worker OFFLINE from the installed npm package's sources,
// against Debian's system libraries, and caches the binary outside the repository.
//
// Plain Node ESM with node: built-ins only: this runs before any `npm install`.
// Recipe: /work/shared/docs/mediasoup-worker-offline.md (verified for mediasoup 3.12.16 on Debian 12).
//
//   node infra/bootstrap/mediasoup-worker.mjs <mediasoupDir>   -> prints the binary path
//
// API:
//   ensureMediasoupWorker({ mediasoupDir, cacheRoot?, log? }) -> Promise<absolute binary path>
//   workerCacheKey({ mediasoupDir })                           -> string key

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT_PATH = fileURLToPath(import.meta.url);

/** Debian packages whose installed versions go into the cache key. */
const KEY_PACKAGES = [
  'libuv1-dev',
  'libssl-dev',
  'libsrtp2-dev',
  'libusrsctp-dev',
  'nlohmann-json3-dev',
  'libabsl-dev',
  'g++',
  'meson',
];

const VERIFIED_VERSION = '3.12.16';
const LOCK_STALE_MS = 30 * 60 * 1000;
const LOCK_POLL_MS = 2000;
const PROGRESS_EVERY_MS = 15 * 1000;
const LOG_TAIL_LINES = 30;

export function defaultCacheRoot() {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'wall', 'mediasoup-worker');
}

// ---------------------------------------------------------------------------
// Cache key
// ---------------------------------------------------------------------------

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

function readMediasoupVersion(mediasoupDir) {
  const pkgPath = path.join(mediasoupDir, 'package.json');
  let pkg;
  try {
    pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  } catch (err) {
    throw new Error(`mediasoup-worker: cannot read ${pkgPath}: ${err.message}`);
  }
  if (pkg.name !== 'mediasoup' || typeof pkg.version !== 'string') {
    throw new Error(`mediasoup-worker: ${pkgPath} is not the mediasoup package (name=${pkg.name})`);
  }
  return pkg.version;
}

/** Installed versions of the key packages via one dpkg-query call; null if not installed. */
function debianPackageVersions() {
  const res = spawnSync(
    'dpkg-query',
    ['-W', '-f=${Package}\t${db:Status-Abbrev}\t${Version}\n', ...KEY_PACKAGES],
    { encoding: 'utf8' },
  );
  if (res.error) {
    throw new Error(`mediasoup-worker: cannot run dpkg-query: ${res.error.message}`);
  }
  // Exit status 1 just means some package is unknown; those stay null.
  const versions = Object.fromEntries(KEY_PACKAGES.map((p) => [p, null]));
  for (const line of res.stdout.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (!name || !(name in versions)) continue;
    if (status?.trim() === 'ii' && version) {
      // Several architectures could be installed; keep them all, in a stable order.
      versions[name] = versions[name] ? [versions[name], version].sort().join(',') : version;
    }
  }
  return versions;
}

function keyInputs({ mediasoupDir }) {
  return {
    mediasoupVersion: readMediasoupVersion(mediasoupDir),
    packages: debianPackageVersions(),
    platform: `${process.platform}-${process.arch}`,
    scriptSha256: sha256(fs.readFileSync(SCRIPT_PATH)).slice(0, 16),
  };
}

function keyFromInputs(inputs) {
  const safeVersion = inputs.mediasoupVersion.replace(/[^A-Za-z0-9._-]/g, '_');
  const { mediasoupVersion: _ignored, ...rest } = inputs;
  return `${safeVersion}-${sha256(JSON.stringify(rest)).slice(0, 16)}`;
}

export function workerCacheKey({ mediasoupDir }) {
  return keyFromInputs(keyInputs({ mediasoupDir }));
}

// ---------------------------------------------------------------------------
// meson.build patching (pure string functions; throw on any unexpected content)
// ---------------------------------------------------------------------------

class PatchError extends Error {}

/**
 * Finds the single statement matching `startRe` (anchored at a line start), and returns
 * [start, end) covering it through the balanced closing bracket of the first `(` or `[`
 * at/after the match, plus the trailing newline.
 */
function findStatement(src, startRe, what, file) {
  const re = new RegExp(startRe.source, startRe.flags.includes('g') ? startRe.flags : startRe.flags + 'g');
  const matches = [...src.matchAll(re)];
  if (matches.length !== 1) {
    throw new PatchError(
      `${file}: expected exactly one ${what} (pattern ${startRe}), found ${matches.length}`,
    );
  }
  const start = matches[0].index;
  const openIdx = src.slice(start).search(/[([]/) + start;
  if (openIdx < start) throw new PatchError(`${file}: no opening bracket after ${what}`);
  const stack = [];
  let quote = null;
  for (let i = openIdx; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '#') {
      const nl = src.indexOf('\n', i);
      i = nl === -1 ? src.length : nl - 1;
    } else if (c === '(' || c === '[') stack.push(c);
    else if (c === ')' || c === ']') {
      const expected = c === ')' ? '(' : '[';
      if (stack.pop() !== expected) {
        throw new PatchError(`${file}: unbalanced brackets in ${what}`);
      }
      if (stack.length === 0) {
        let end = i + 1;
        if (src[end] === '\n') end++;
        return [start, end];
      }
    }
  }
  throw new PatchError(`${file}: unterminated ${what}`);
}

function replaceStatement(src, startRe, replacement, what, file) {
  const [start, end] = findStatement(src, startRe, what, file);
  return src.slice(0, start) + replacement + src.slice(end);
}

function replaceExactly(src, needle, replacement, count, file) {
  const found = src.split(needle).length - 1;
  if (found !== count) {
    throw new PatchError(
      `${file}: expected ${count} occurrence(s) of ${JSON.stringify(needle)}, found ${found}`,
    );
  }
  return src.split(needle).join(replacement);
}

const SYSTEM_DEPS = `# --- patched by infra/bootstrap/mediasoup-worker.mjs: system libraries instead of subprojects ---
openssl_dep = dependency('openssl')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
# The sources say \`#include <srtp.h>\`; Debian installs it in <includedir>/srtp2.
libsrtp2_sys_dep = dependency('libsrtp2')
libsrtp2_dep = declare_dependency(
  dependencies: libsrtp2_sys_dep,
  include_directories: include_directories(libsrtp2_sys_dep.get_variable(pkgconfig: 'includedir', default_value: '/usr/include') / 'srtp2'),
)
usrsctp_dep = dependency('usrsctp')
absl_container_dep = dependency('absl_flat_hash_map')
`;

/** Patches the top-level worker/meson.build of mediasoup 3.12.x. */
export function patchWorkerMesonBuild(src, file = 'worker/meson.build') {
  let out = src;

  // 1. Debian 12 ships meson 1.0.1.
  const verRe = /meson_version\s*:\s*'>=\s*[0-9.]+'/g;
  const verMatches = out.match(verRe) ?? [];
  if (verMatches.length !== 1) {
    throw new PatchError(`${file}: expected one meson_version: '>= x.y.z', found ${verMatches.length}`);
  }
  out = out.replace(verRe, "meson_version: '>= 1.0.0'");

  // 2. subproject() calls -> system dependencies (the first one is replaced by the whole
  //    block, the others removed).
  const subprojects = [
    ['openssl_proj', 'openssl'],
    ['nlohmann_json_proj', 'nlohmann_json'],
    ['libuv_proj', 'libuv'],
    ['libsrtp2_proj', 'libsrtp2'],
    ['usrsctp_proj', 'usrsctp'],
    ['abseil_cpp_proj', 'abseil-cpp'],
    ['catch2_proj', 'catch2'],
  ];
  subprojects.forEach(([varName, projName], i) => {
    out = replaceStatement(
      out,
      new RegExp(`^${varName}\\s*=\\s*subproject\\(\\s*'${projName}'`, 'm'),
      i === 0 ? SYSTEM_DEPS : '',
      `${varName} = subproject('${projName}', ...)`,
      file,
    );
  });

  // 3. dependencies list.
  out = replaceStatement(
    out,
    /^dependencies\s*=\s*\[/m,
    `dependencies = [
  absl_container_dep,
  openssl_dep,
  nlohmann_json_dep,
  libuv_dep,
  libsrtp2_dep,
  usrsctp_dep,
  libwebrtc_dep,
]
`,
    'dependencies = [...]',
    file,
  );

  // 4. link_whole: only libwebrtc is built here; the rest are system (shared) libraries.
  out = replaceStatement(
    out,
    /^link_whole\s*=\s*\[/m,
    'link_whole = [\n  libwebrtc,\n]\n',
    'link_whole = [...]',
    file,
  );

  // 5. Drop test and fuzzer targets (they need catch2 / libFuzzer).
  out = replaceStatement(out, /^test_sources\s*=\s*\[/m, '', 'test_sources = [...]', file);
  out = replaceStatement(
    out,
    /^mediasoup_worker_test\s*=\s*executable\(/m,
    '',
    'mediasoup-worker-test executable',
    file,
  );
  out = replaceStatement(
    out,
    /^mediasoup_worker_test_asan\s*=\s*executable\(/m,
    '',
    'mediasoup-worker-test-asan executable',
    file,
  );
  out = replaceStatement(
    out,
    /^test\(\s*'mediasoup-worker-test',/m,
    '',
    "test('mediasoup-worker-test')",
    file,
  );
  out = replaceStatement(
    out,
    /^test\(\s*'mediasoup-worker-test-asan',/m,
    '',
    "test('mediasoup-worker-test-asan')",
    file,
  );
  out = replaceStatement(
    out,
    /^executable\(\s*'mediasoup-worker-fuzzer',/m,
    '',
    'mediasoup-worker-fuzzer executable',
    file,
  );

  out = out.replace(/\n{3,}/g, '\n\n').replace(/\s+$/, '\n');

  // Sanity checks: nothing may still refer to the removed subprojects.
  const leftovers = [];
  for (const [varName, projName] of subprojects) {
    if (out.includes(varName)) leftovers.push(varName);
    if (new RegExp(`subproject\\(\\s*'${projName}'`).test(out)) leftovers.push(`subproject('${projName}')`);
  }
  if (/catch2/.test(out)) leftovers.push('catch2');
  if (leftovers.length) {
    throw new PatchError(`${file}: references remain after patching: ${leftovers.join(', ')}`);
  }
  if (!/^executable\(\s*'mediasoup-worker',/m.test(out)) {
    throw new PatchError(`${file}: the mediasoup-worker executable target is missing after patching`);
  }
  return out;
}

/** Patches worker/deps/libwebrtc/meson.build of mediasoup 3.12.x. */
export function patchLibwebrtcMesonBuild(src, file = 'worker/deps/libwebrtc/meson.build') {
  let out = replaceStatement(
    src,
    /^abseil_cpp_proj\s*=\s*subproject\(/m,
    '# patched by infra/bootstrap/mediasoup-worker.mjs: system abseil\n' +
      "absl_strings_dep = dependency('absl_strings')\n" +
      "absl_optional_dep = dependency('absl_optional')\n",
    "abseil_cpp_proj = subproject('abseil-cpp')",
    file,
  );
  out = replaceExactly(out, "openssl_proj.get_variable('openssl_dep')", 'openssl_dep', 1, file);
  out = replaceExactly(
    out,
    "nlohmann_json_proj.get_variable('nlohmann_json_dep')",
    'nlohmann_json_dep',
    1,
    file,
  );
  out = replaceExactly(out, "libuv_proj.get_variable('libuv_dep')", 'libuv_dep', 1, file);
  out = replaceExactly(out, "abseil_cpp_proj.get_variable('absl_strings_dep')", 'absl_strings_dep', 2, file);
  out = replaceExactly(out, "abseil_cpp_proj.get_variable('absl_types_dep')", 'absl_optional_dep', 2, file);
  if (/_proj\b/.test(out) || /subproject\(/.test(out)) {
    throw new PatchError(`${file}: subproject references remain after patching`);
  }
  return out;
}

async function patchWorkerTree(workerDir) {
  const edits = [
    ['meson.build', patchWorkerMesonBuild],
    ['deps/libwebrtc/meson.build', patchLibwebrtcMesonBuild],
  ];
  // Compute every patch before writing any file: never leave a half-patched tree.
  const patched = [];
  for (const [rel, fn] of edits) {
    const file = path.join(workerDir, rel);
    const src = await fsp.readFile(file, 'utf8');
    patched.push([file, fn(src, `worker/${rel}`)]);
  }
  for (const [file, text] of patched) await fsp.writeFile(file, text);

  // No wrap files => meson can never try to download anything.
  const subDir = path.join(workerDir, 'subprojects');
  const entries = await fsp.readdir(subDir).catch(() => []);
  for (const name of entries) {
    if (name.endsWith('.wrap')) await fsp.rm(path.join(subDir, name), { force: true });
  }
}

// ---------------------------------------------------------------------------
// Process helpers
// ---------------------------------------------------------------------------

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function tailFile(file, n) {
  try {
    const text = await fsp.readFile(file, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch {
    return '(no build log)';
  }
}

class StepError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

/**
 * Runs cmd with args (no shell), appending stdout+stderr to the log file, and logs a
 * progress line (latest ninja `[n/m]` counter) every PROGRESS_EVERY_MS.
 */
function runStep({ step, cmd, args, cwd, logFd, log }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    fs.writeSync(logFd, `\n$ (cd ${cwd} && ${[cmd, ...args].join(' ')})\n`);
    let child;
    try {
      child = spawn(cmd, args, {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NINJA_STATUS: '[%f/%t] ' },
      });
    } catch (err) {
      reject(new StepError(step, `${step}: cannot start ${cmd}: ${err.message}`));
      return;
    }
    let counter = null;
    let partial = '';
    const onData = (chunk) => {
      fs.writeSync(logFd, chunk);
      const text = partial + chunk.toString('utf8');
      const lines = text.split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^\[(\d+)\/(\d+)\]/.exec(line);
        if (m) counter = `[${m[1]}/${m[2]}]`;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(`mediasoup-worker: ${step} ${counter ?? 'running'} (${secs}s)`);
    }, PROGRESS_EVERY_MS);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new StepError(step, `${step}: cannot start ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else
        reject(new StepError(step, `${step} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

// ---------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------

function lockOwnerFile(lockDir) {
  return path.join(lockDir, 'owner.json');
}

async function lockIsStale(lockDir) {
  let owner = null;
  let mtimeMs;
  try {
    const st = await fsp.stat(lockOwnerFile(lockDir));
    mtimeMs = st.mtimeMs; // heartbeat-refreshed while building
    owner = JSON.parse(await fsp.readFile(lockOwnerFile(lockDir), 'utf8'));
  } catch {
    try {
      mtimeMs = (await fsp.stat(lockDir)).mtimeMs;
    } catch {
      return false; // vanished: not stale, just retry
    }
  }
  if (Date.now() - mtimeMs > LOCK_STALE_MS) return true;
  if (owner && owner.hostname === os.hostname() && !pidAlive(owner.pid)) return true;
  return false;
}

/**
 * Acquires `<cacheRoot>/<key>.lock`. Returns a release function, or null if the binary
 * appeared while waiting (another process built it).
 */
async function acquireLock(lockDir, binPath, log) {
  let announced = false;
  for (;;) {
    try {
      await fsp.mkdir(lockDir);
      const owner = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
      await fsp.writeFile(lockOwnerFile(lockDir), JSON.stringify(owner) + '\n');
      const heartbeat = () => {
        const now = new Date();
        try {
          fs.utimesSync(lockOwnerFile(lockDir), now, now);
        } catch {
          /* ignore */
        }
      };
      const release = async () => {
        await fsp.rm(lockDir, { recursive: true, force: true });
      };
      return { release, heartbeat };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (isExecutableFile(binPath)) return null;
    if (await lockIsStale(lockDir)) {
      log(`mediasoup-worker: removing stale lock ${lockDir}`);
      // Move it aside first (atomic) so a concurrent remover cannot delete a fresh lock by accident.
      const aside = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await fsp.rename(lockDir, aside);
        await fsp.rm(aside, { recursive: true, force: true });
      } catch {
        /* someone else handled it */
      }
      continue;
    }
    if (!announced) {
      log(`mediasoup-worker: another process is building (lock ${lockDir}); waiting…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

// ---------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------

function isExecutableFile(p) {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Removes `.build-<pid>-*` directories left behind by dead processes. */
async function cleanupAbandonedBuildDirs(cacheRoot) {
  const entries = await fsp.readdir(cacheRoot).catch(() => []);
  for (const name of entries) {
    const m = /^\.build-(\d+)(?:-|$)/.exec(name);
    if (m && !pidAlive(Number(m[1]))) {
      await fsp.rm(path.join(cacheRoot, name), { recursive: true, force: true }).catch(() => {});
    }
  }
}

/** The worker refuses to run without MEDIASOUP_VERSION and exits 41: proves it links and starts. */
function smokeTest(bin) {
  const env = { ...process.env };
  delete env.MEDIASOUP_VERSION;
  const res = spawnSync(bin, [], { env, encoding: 'utf8', timeout: 10000 });
  if (res.status !== 41) {
    throw new StepError(
      'smoke test',
      `smoke test of ${bin} failed: expected exit code 41, got ${res.status ?? res.signal ?? res.error?.message}\n${(res.stderr ?? '').trim()}`,
    );
  }
}

async function buildWorker({ mediasoupDir, cacheRoot, key, inputs, binPath, log }) {
  const logPath = path.join(cacheRoot, `${key}.build.log`);
  const buildDir = path.join(cacheRoot, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  const srcWorker = path.join(mediasoupDir, 'worker');
  const workerCopy = path.join(buildDir, 'worker');
  const mesonBuildDir = path.join(workerCopy, 'BUILD');
  const t0 = Date.now();
  let logFd = fs.openSync(logPath, 'w');
  let step = 'copy sources';
  try {
    fs.writeSync(logFd, `mediasoup-worker build ${key}\n${JSON.stringify(inputs, null, 2)}\n`);
    log(`mediasoup-worker: building ${key} (log: ${logPath})`);

    await fsp.mkdir(buildDir, { recursive: true });
    await fsp.cp(srcWorker, workerCopy, {
      recursive: true,
      // Skip build outputs / downloaded subprojects an earlier postinstall may have left.
      filter: (src) => {
        const rel = path.relative(srcWorker, src);
        if (rel === 'out' || rel.startsWith(`out${path.sep}`)) return false;
        if (rel === 'BUILD' || rel.startsWith(`BUILD${path.sep}`)) return false;
        const parts = rel.split(path.sep);
        if (parts[0] === 'subprojects' && parts.length >= 2 && !parts[1].endsWith('.wrap')) return false;
        return true;
      },
    });

    step = 'patch';
    await patchWorkerTree(workerCopy);
    fs.writeSync(
      logFd,
      'patched worker/meson.build and worker/deps/libwebrtc/meson.build; removed subprojects/*.wrap\n',
    );

    step = 'meson setup';
    log('mediasoup-worker: meson setup');
    await runStep({
      step,
      cmd: 'meson',
      args: ['setup', mesonBuildDir, '--buildtype=release', '--wrap-mode=nofallback'],
      cwd: workerCopy,
      logFd,
      log,
    });

    step = 'ninja';
    log('mediasoup-worker: ninja -C BUILD mediasoup-worker (a few minutes)');
    await runStep({
      step,
      cmd: 'ninja',
      args: ['-C', mesonBuildDir, 'mediasoup-worker'],
      cwd: workerCopy,
      logFd,
      log,
    });

    step = 'install into cache';
    const built = path.join(mesonBuildDir, 'mediasoup-worker');
    smokeTest(built);
    const destDir = path.dirname(binPath);
    await fsp.mkdir(destDir, { recursive: true });
    const keyJsonTmp = path.join(destDir, `.key.json.tmp-${process.pid}`);
    await fsp.writeFile(
      keyJsonTmp,
      JSON.stringify(
        {
          key,
          ...inputs,
          builtAt: new Date().toISOString(),
          buildSeconds: Math.round((Date.now() - t0) / 1000),
        },
        null,
        2,
      ) + '\n',
    );
    await fsp.rename(keyJsonTmp, path.join(destDir, 'key.json'));
    const binTmp = path.join(destDir, `.mediasoup-worker.tmp-${process.pid}`);
    await fsp.copyFile(built, binTmp);
    await fsp.chmod(binTmp, 0o755);
    await fsp.rename(binTmp, binPath);
    const secs = Math.round((Date.now() - t0) / 1000);
    fs.writeSync(logFd, `\nOK: ${binPath} (${secs}s)\n`);
    log(`mediasoup-worker: built in ${secs}s -> ${binPath}`);
  } catch (err) {
    const reason =
      err instanceof StepError || err instanceof PatchError ? err.message : `${step}: ${err.message}`;
    try {
      fs.writeSync(logFd, `\nFAILED at step "${step}": ${reason}\n`);
    } catch {
      /* ignore */
    }
    fs.closeSync(logFd);
    logFd = null;
    const tail = await tailFile(logPath, LOG_TAIL_LINES);
    throw new Error(
      `mediasoup-worker build failed at step "${step}": ${reason}\n` +
        `--- last ${LOG_TAIL_LINES} lines of ${logPath} ---\n${tail}`,
      { cause: err },
    );
  } finally {
    if (logFd !== null) fs.closeSync(logFd);
    await fsp.rm(buildDir, { recursive: true, force: true }).catch(() => {});
  }
}

export async function ensureMediasoupWorker({ mediasoupDir, cacheRoot, log } = {}) {
  if (!mediasoupDir) throw new Error('mediasoup-worker: mediasoupDir is required');
  log ??= (msg) => console.log(msg);
  cacheRoot = path.resolve(cacheRoot ?? defaultCacheRoot());
  mediasoupDir = path.resolve(mediasoupDir);

  const inputs = keyInputs({ mediasoupDir });
  const key = keyFromInputs(inputs);
  const binPath = path.join(cacheRoot, key, 'mediasoup-worker');
  if (isExecutableFile(binPath)) return binPath;

  if (inputs.mediasoupVersion !== VERIFIED_VERSION) {
    log(
      `mediasoup-worker: warning: recipe verified for mediasoup ${VERIFIED_VERSION}, got ${inputs.mediasoupVersion}`,
    );
  }
  const missing = Object.entries(inputs.packages)
    .filter(([, v]) => v === null)
    .map(([p]) => p);
  if (missing.length) {
    log(`mediasoup-worker: warning: Debian packages not installed: ${missing.join(' ')}`);
  }
  if (!fs.existsSync(path.join(mediasoupDir, 'worker', 'meson.build'))) {
    throw new Error(`mediasoup-worker: ${mediasoupDir}/worker/meson.build not found`);
  }

  await fsp.mkdir(cacheRoot, { recursive: true });
  const lockDir = path.join(cacheRoot, `${key}.lock`);
  const lock = await acquireLock(lockDir, binPath, log);
  if (!lock) return binPath; // built by someone else while we waited
  const heartbeat = setInterval(lock.heartbeat, PROGRESS_EVERY_MS);
  heartbeat.unref();
  try {
    if (isExecutableFile(binPath)) return binPath; // built just before we got the lock
    await cleanupAbandonedBuildDirs(cacheRoot);
    await buildWorker({ mediasoupDir, cacheRoot, key, inputs, binPath, log });
    return binPath;
  } finally {
    clearInterval(heartbeat);
    await lock.release();
  }
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

function invokedDirectly() {
  try {
    return Boolean(process.argv[1]) && fs.realpathSync(process.argv[1]) === fs.realpathSync(SCRIPT_PATH);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const mediasoupDir = process.argv[2];
  if (!mediasoupDir) {
    console.error('usage: node infra/bootstrap/mediasoup-worker.mjs <mediasoupDir>');
    process.exit(2);
  }
  try {
    // Progress goes to stderr so stdout carries only the path.
    const bin = await ensureMediasoupWorker({ mediasoupDir, log: (msg) => console.error(msg) });
    console.log(bin);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
