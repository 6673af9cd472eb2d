// CPU time of a process (all its threads) from /proc, in seconds.
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
}

/** Starts measuring; `stop()` gives the CPU used meanwhile in % of one core, and the seconds. */
export function cpuMeter(pid: number): { stop: () => { pct: number; cpuS: number; wallS: number } } {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  return {
    stop: () => {
      const cpuS = cpuSeconds(pid) - c0;
      const wallS = (performance.now() - t0) / 1000;
      return {
        pct: Math.round((cpuS / wallS) * 1000) / 10,
        cpuS: Math.round(cpuS * 100) / 100,
        wallS: Math.round(wallS * 10) / 10,
      };
    },
  };
}
