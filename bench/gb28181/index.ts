// `npm run bench -- gb28181 [invite] [storm] [demux]`: GB/T 28181 figures. Writes
// bench/results/gb28181.json (parts not run keep their last figures).
//   invite  INVITE → first key frame at the producer, p50/p95 over ≥ 20 cold starts (the launcher's
//           platform with its simulated GB platform, TCP passive), and one channel played in Chromium
//   storm   2 000 simulated devices REGISTER at once and keep alive every 60 s: p99 REGISTER latency
//           and the gateway process's CPU (GB_STORM_DEVICES, GB_STORM_STEADY_S, GB_STORM_TRANSPORT)
//   demux   PS demux throughput on one core (MB/s), pure
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runDemux } from './demux.ts';
import { runInvite } from './invite.ts';
import { runStorm } from './storm.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'gb28181.json');
const only = process.argv.slice(3);
const want = (part: string) => only.length === 0 || only.includes(part);

const previous = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>)
  : {};
const result: Record<string, unknown> = {
  ...previous,
  name: 'gb28181',
  at: new Date().toISOString(),
  machine: { cores: cpus().length, node: process.version, cpu: cpus()[0]?.model },
};
const print = (s: string) => process.stdout.write(`${s}\n`);

if (want('demux')) result.demux = runDemux(print);
if (want('storm')) result.storm = await runStorm(print);
if (want('invite')) result.invite = await runInvite(print);

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
print(`→ ${RESULTS}`);
process.exit(0);
