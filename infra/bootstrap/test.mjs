// `npm test`: typecheck, lint, unit + integration (vitest, real Redis/PostgreSQL/mediasoup/ffmpeg),
// browser tests (Playwright in Debian's Chromium). Ends with one line `N passed, N failed`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { DEBIAN_PACKAGES, ensureDebianPackages, ROOT } from './steps.mjs';
import { ensureTestServices } from './test-services.mjs';

const RESULTS = join(ROOT, '.data', 'test-results');
const PACKAGES = ['protocol', 'stream-token', 'gateway', 'media-server', 'infra', 'web', 'bench'];
const bin = (pkg, name) => join(ROOT, pkg, 'node_modules', '.bin', name);

function sh(cmd, args, { cwd = ROOT, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const stages = [];
let passed = 0;
let failed = 0;
function record(stage, p, f, note = '') {
  passed += p;
  failed += f;
  stages.push({ stage, p, f, note });
}

// The failing tests by name with the first lines of their message, printed again under the summary
// so that the tail of a long log (all a CI report may keep) still says what failed and why.
const failures = [];
function firstLines(text, n = 4) {
  return stripVTControlCharacters(String(text ?? ''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
}
function vitestFailures(r) {
  for (const file of r.testResults ?? []) {
    const where = file.name.startsWith(ROOT) ? file.name.slice(ROOT.length + 1) : file.name;
    const failedTests = file.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failedTests) {
      failures.push({
        title: `vitest ${where} › ${a.fullName}`,
        lines: firstLines((a.failureMessages ?? []).join('\n')),
      });
    }
    if (file.status === 'failed' && failedTests.length === 0) {
      failures.push({ title: `vitest ${where} (suite)`, lines: firstLines(file.message) });
    }
  }
}
function playwrightFailures(report) {
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status !== 'unexpected') continue;
        const last = t.results?.at(-1);
        failures.push({
          title: `playwright ${spec.file}:${spec.line} › ${[...path, spec.title].join(' › ')}`,
          lines: firstLines(last?.error?.message ?? last?.status),
        });
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...path, child.title].filter(Boolean));
  };
  for (const s of report.suites ?? []) walk(s, []);
}

function header(title) {
  process.stdout.write(`\n━━ ${title} ${'━'.repeat(Math.max(0, 70 - title.length))}\n`);
}

await ensureDebianPackages(DEBIAN_PACKAGES.browser);
mkdirSync(RESULTS, { recursive: true });

header('typecheck');
for (const pkg of PACKAGES) {
  const code = await sh(bin(pkg, 'tsc'), ['-p', 'tsconfig.json'], { cwd: join(ROOT, pkg) });
  process.stdout.write(`  ${code === 0 ? 'ok  ' : 'FAIL'} tsc ${pkg}\n`);
  record(`typecheck ${pkg}`, code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}

header('lint and format (biome)');
{
  const code = await sh(join(ROOT, 'node_modules', '.bin', 'biome'), ['ci', '.']);
  record('lint', code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}

header('architecture rules (dependency-cruiser, .dependency-cruiser.cjs)');
{
  const code = await sh(join(ROOT, 'node_modules', '.bin', 'depcruise'), [
    '--config',
    '.dependency-cruiser.cjs',
    '--output-type',
    'err',
    'protocol',
    'stream-token',
    'gateway',
    'media-server',
    'web/src',
    'web/e2e',
    'infra',
    'bench',
  ]);
  record('architecture rules', code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}

header('test services');
let services;
try {
  services = await ensureTestServices();
  process.stdout.write(`  ${services.detail}\n`);
} catch (err) {
  process.stdout.write(`  FAIL ${err.message}\n`);
  record('test services', 0, 1, err.message);
}

const testEnv = { ...process.env, ...(services?.env ?? {}), NEXT_TELEMETRY_DISABLED: '1' };
try {
  if (services) {
    header('unit and integration tests (vitest)');
    const out = join(RESULTS, 'vitest.json');
    rmSync(out, { force: true });
    const code = await sh(
      join(ROOT, 'node_modules', '.bin', 'vitest'),
      ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
      { env: testEnv },
    );
    if (existsSync(out)) {
      const r = JSON.parse(readFileSync(out, 'utf8'));
      // A suite that failed to load counts as a failure even if it never reached a test.
      const broken = (r.testResults ?? []).filter(
        (t) => t.status === 'failed' && t.assertionResults.length === 0,
      ).length;
      record('vitest', r.numPassedTests, r.numFailedTests + broken);
      vitestFailures(r);
    } else {
      record('vitest', 0, 1, `vitest exited ${code} without results`);
    }
    if (code !== 0 && stages.at(-1).f === 0) record('vitest exit', 0, 1, `vitest exited ${code}`);

    header('browser tests (Playwright, Debian Chromium)');
    const pwOut = join(RESULTS, 'playwright.json');
    rmSync(pwOut, { force: true });
    const pwCode = await sh(bin('web', 'playwright'), ['test'], {
      cwd: join(ROOT, 'web'),
      env: { ...testEnv, PLAYWRIGHT_JSON_OUTPUT_NAME: pwOut },
    });
    if (existsSync(pwOut)) {
      const report = JSON.parse(readFileSync(pwOut, 'utf8'));
      const s = report.stats ?? {};
      playwrightFailures(report);
      record('playwright', (s.expected ?? 0) + (s.flaky ?? 0), s.unexpected ?? 0);
      if (pwCode !== 0 && !s.unexpected) record('playwright exit', 0, 1, `playwright exited ${pwCode}`);
    } else {
      record('playwright', 0, 1, `playwright exited ${pwCode} without results`);
    }
  }
} finally {
  services?.stop();
}

header('summary');
for (const s of stages) {
  process.stdout.write(
    `  ${s.stage.padEnd(24)} ${String(s.p).padStart(4)} passed ${String(s.f).padStart(3)} failed ${s.note}\n`,
  );
}
if (failures.length > 0) {
  header('failed');
  for (const f of failures) {
    process.stdout.write(`  ✗ ${f.title}\n`);
    for (const l of f.lines) process.stdout.write(`      ${l}\n`);
  }
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
