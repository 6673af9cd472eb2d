// What else the machine was doing: CPU time of processes outside this benchmark's own process tree
// (the bench, the launcher and its services, Chromium, our simulators and ffmpegs), from /proc.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

interface ProcTimes {
  ppid: number;
  ticks: number;
}

function readProcs(): Map<number, ProcTimes> {
  const out = new Map<number, ProcTimes>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses).
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      // utime + stime, and cutime + cstime: children that ended and were reaped count too.
      const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
      out.set(Number(entry), { ppid, ticks });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function isOurs(pid: number, procs: Map<number, ProcTimes>, ours: Set<number>): boolean {
  const chain: number[] = [];
  let p = pid;
  for (let i = 0; i < 64 && p > 1; i++) {
    if (ours.has(p) || p === process.pid) {
      for (const c of chain) ours.add(c);
      return true;
    }
    chain.push(p);
    p = procs.get(p)?.ppid ?? 0;
  }
  return false;
}

/** Starts counting; `stop()` returns the CPU used by other processes meanwhile, in % of one core. */
export function foreignCpu(): { stop: () => number } {
  const ours = new Set<number>();
  const before = readProcs();
  const t0 = performance.now();
  const seenOurs = new Set<number>();
  for (const pid of before.keys()) if (isOurs(pid, before, ours)) seenOurs.add(pid);
  return {
    stop: () => {
      const after = readProcs();
      const seconds = (performance.now() - t0) / 1000;
      let ticks = 0;
      for (const [pid, a] of after) {
        if (seenOurs.has(pid) || isOurs(pid, after, ours)) continue;
        ticks += a.ticks - (before.get(pid)?.ticks ?? 0);
      }
      return seconds > 0 ? Math.round(((ticks / TICKS_PER_S) * 100) / seconds) : 0;
    },
  };
}

/** Starts counting; `stop()` returns CPU per command name (all processes), % of one core, busiest first. */
export function cpuByCommand(): { stop: () => Record<string, number> } {
  const read = () => {
    const m = new Map<number, { comm: string; ticks: number }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        m.set(Number(entry), { comm, ticks: Number(rest[11]) + Number(rest[12]) });
      } catch {
        // gone meanwhile
      }
    }
    return m;
  };
  const before = read();
  const t0 = performance.now();
  return {
    stop: () => {
      const after = read();
      const seconds = (performance.now() - t0) / 1000;
      const by = new Map<string, number>();
      for (const [pid, a] of after) {
        const name = a.comm.replace(/^(chromium|chrome).*/, 'chromium');
        by.set(name, (by.get(name) ?? 0) + a.ticks - (before.get(pid)?.ticks ?? 0));
      }
      return Object.fromEntries(
        [...by.entries()]
          .map(([k, t]): [string, number] => [k, Math.round(((t / TICKS_PER_S) * 100) / seconds)])
          .filter(([, v]) => v >= 2)
          .sort((a, b) => b[1] - a[1]),
      );
    },
  };
}
