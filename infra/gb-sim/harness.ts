import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The simulator as a child process, for tests and benchmarks: its JSON event lines (stdout) are
 * collected and awaited, commands go to its stdin, `stop()` sends SIGTERM (it unregisters).
 */

const infraDir = fileURLToPath(new URL('..', import.meta.url));

export type SimEvent = { event: string; at: number } & Record<string, unknown>;

/** A port free for both UDP and TCP on 127.0.0.1 (the SIP server binds both). */
export async function freeSipPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const tcp = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    const udp = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (tcp && udp) return port;
  }
  throw new Error('no free port');
}

export class GbSim {
  readonly events: SimEvent[] = [];
  readonly #child: ChildProcess;
  readonly #waiters: { match: (e: SimEvent) => boolean; resolve: (e: SimEvent) => void }[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  /** `password`: the device's SIP password, given as GB_SIM_PASSWORD (argv is public). */
  constructor(args: string[], { password }: { password: string }) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', 'gb-sim/main.ts', ...args], {
      cwd: infraDir,
      env: { ...process.env, GB_SIM_PASSWORD: password },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        let e: SimEvent;
        try {
          e = JSON.parse(line) as SimEvent;
        } catch {
          continue;
        }
        this.events.push(e);
        for (const w of [...this.#waiters]) {
          if (w.match(e)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      }
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
  }

  /** The first event (already seen or to come) matching `match`. */
  waitFor(match: (e: SimEvent) => boolean, timeoutMs = 15_000, since = 0): Promise<SimEvent> {
    const seen = this.events.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { match, resolve };
      this.#waiters.push(w);
      setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) {
          this.#waiters.splice(i, 1);
          reject(
            new Error(
              `simulator: no matching event in ${timeoutMs} ms; last: ${JSON.stringify(this.events.slice(-5))} ${this.stderr.slice(-500)}`,
            ),
          );
        }
      }, timeoutMs);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  command(cmd: Record<string, unknown>): void {
    this.#child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 8000);
      const code = await this.exited;
      clearTimeout(timer);
      return code;
    }
    return this.#child.exitCode;
  }
}
