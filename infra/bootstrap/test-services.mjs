// The real PostgreSQL and Redis the tests run against: the configured or default ones when they
// answer, else ones started here for the run (and stopped after it).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages, ROOT, run, StepError } from './steps.mjs';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function redisPing(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1500, () => done(false));
    sock.once('error', () => done(false));
    sock.connect(Number(u.port || 6379), u.hostname, () => sock.write('PING\r\n'));
    sock.once('data', (buf) => done(buf.toString().startsWith('+PONG')));
  });
}

async function pgPing(url) {
  const require = createRequire(join(ROOT, 'gateway', 'package.json'));
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startOwnRedis(cleanups) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wall-test-redis-'));
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  cleanups.push(() => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await redisPing(url)) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StepError('test services', 'the test redis-server did not start');
}

async function startOwnPostgres(cleanups) {
  const findBin = () => {
    const base = '/usr/lib/postgresql';
    if (!existsSync(base)) return undefined;
    const v = readdirSync(base).sort().at(-1);
    return v && existsSync(join(base, v, 'bin', 'initdb')) ? join(base, v, 'bin') : undefined;
  };
  if (!findBin()) await ensureDebianPackages(['postgresql']);
  const bin = findBin();
  if (!bin) throw new StepError('test services', 'PostgreSQL binaries not found after installing postgresql');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wall-test-pg-'));
  // PostgreSQL refuses to run as root: run it as the postgres user.
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(id.stdout), Number(gid.stdout));
    chmodSync(dir, 0o700);
  }
  await run(...wrap(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']), {
    quiet: true,
    step: 'test services',
  });
  await run(
    ...wrap(join(bin, 'pg_ctl'), [
      '-D',
      join(dir, 'data'),
      '-w',
      '-l',
      join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]),
    { quiet: true, step: 'test services' },
  );
  cleanups.push(() => {
    spawnSync(...wrap(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']));
    rmSync(dir, { recursive: true, force: true });
  });
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Returns { env, stop } with DATABASE_URL and REDIS_URL of reachable servers. */
export async function ensureTestServices() {
  const cleanups = [];
  const env = {};
  const notes = [];

  const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  if (await redisPing(redisUrl)) {
    env.REDIS_URL = redisUrl;
    notes.push(`Redis at ${redisUrl}`);
  } else if (process.env.REDIS_URL) {
    throw new StepError('test services', `REDIS_URL is set but does not answer: ${redisUrl}`);
  } else {
    env.REDIS_URL = await startOwnRedis(cleanups);
    notes.push(`own Redis at ${env.REDIS_URL}`);
  }

  const dbUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (await pgPing(dbUrl)) {
    env.DATABASE_URL = dbUrl;
    notes.push(`PostgreSQL at ${dbUrl.replace(/\/\/[^@/]*@/, '//…@')}`);
  } else if (process.env.DATABASE_URL) {
    throw new StepError('test services', 'DATABASE_URL is set but does not answer');
  } else {
    env.DATABASE_URL = await startOwnPostgres(cleanups);
    notes.push(`own PostgreSQL at ${env.DATABASE_URL}`);
  }

  return {
    env,
    detail: notes.join(', '),
    stop() {
      for (const c of cleanups.reverse()) {
        try {
          c();
        } catch {
          // best effort: the run is over
        }
      }
    },
  };
}
