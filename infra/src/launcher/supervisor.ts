import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceSpec {
  name: string;
  cmd: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Resolves when the service is ready; rejects (or times out) when it will not be. */
  ready: (svc: RunningService) => Promise<void>;
  readyTimeoutMs: number;
}

export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
  /** Called for every line the service prints (stdout and stderr). */
  onLine(fn: (line: string) => void): void;
}

export type Print = (line: string) => void;

/**
 * Starts services in order as one process tree and stops them all: each child leads its own
 * process group, so a stop signal reaches the grandchildren too (ffmpeg, mediasoup workers, Next).
 * If a service exits on its own, everything is stopped and `onFatal` is told why.
 */
export class Supervisor {
  readonly #running: RunningService[] = [];
  readonly #print: Print;
  readonly #onFatal: (why: string) => void;
  #stopping = false;

  constructor(print: Print, onFatal: (why: string) => void) {
    this.#print = print;
    this.#onFatal = onFatal;
  }

  async start(spec: ServiceSpec): Promise<RunningService> {
    if (this.#stopping) throw new Error('stopping');
    const child = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listeners: ((line: string) => void)[] = [];
    const svc: RunningService = { spec, child, onLine: (fn) => listeners.push(fn) };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.#print(`[${spec.name}] ${line}`);
        for (const l of listeners) l(line);
      });
    }
    this.#running.push(svc);
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`${spec.name} could not start: ${err.message}`)));
      child.once('exit', (code, signal) => {
        const why = `${spec.name} exited (${code ?? signal})`;
        reject(new Error(why));
        if (!this.#stopping) this.#onFatal(why);
      });
    });
    exited.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${spec.name} was not ready within ${spec.readyTimeoutMs / 1000} s`)),
        spec.readyTimeoutMs,
      );
    });
    try {
      await Promise.race([spec.ready(svc), exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return svc;
  }

  /** SIGTERM to every group (last started first), SIGKILL after the grace period. Idempotent. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    for (const svc of [...this.#running].reverse()) {
      await stopGroup(svc, graceMs, this.#print);
    }
    this.#running.length = 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(svc: RunningService, graceMs: number, print: Print): Promise<void> {
  const pid = svc.child.pid;
  if (pid === undefined) return;
  const exited =
    svc.child.exitCode !== null || svc.child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => svc.child.once('exit', () => r()));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return; // the group is gone already
  }
  const deadline = Date.now() + graceMs;
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  // The leader may be gone while members of its group (e.g. ffmpeg) linger: wait for them too.
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    print(`[launcher] ${svc.spec.name} did not stop within ${graceMs / 1000} s: killing it`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone between the check and the kill
    }
  }
}

/** Polls an HTTP URL until it answers with the expected status. */
export async function waitForHttp(url: string, { status = 200, intervalMs = 250 } = {}): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves when the service prints a line matching the pattern. */
export function waitForLine(svc: RunningService, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => svc.onLine((line) => pattern.test(line) && resolve(line)));
}
