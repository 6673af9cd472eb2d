// `npm run bench -- gateway [policy] [live] [search] [audit]`: the gateway's figures, against the
// real PostgreSQL and Redis. Writes bench/results/gateway.json (parts not run keep their last figures).
//   policy  access decisions per second on one core: warm cache, cold (facts loaded per decision)
//   live    POST /api/cameras/:id/live up to the token, over HTTP; the media node is a stand-in
//           HTTP server (the only mock: this measures the gateway, not ffmpeg)
//   search  camera search with 100 000 cameras: radius 2 km, bounding box (p95 target 20 ms)
//   audit   hash-chained appends per second (group commit and one per transaction); verify 1 M rows
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runAudit } from './audit.ts';
import { runLive } from './live.ts';
import { runPolicy } from './policy.ts';
import { runSearch } from './search.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'gateway.json');
const only = process.argv.slice(3);
const want = (part: string) => only.length === 0 || only.includes(part);

const previous = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>)
  : {};
const result: Record<string, unknown> = {
  ...previous,
  name: 'gateway',
  at: new Date().toISOString(),
  machine: { cores: cpus().length, node: process.version, cpu: cpus()[0]?.model },
};
const print = (s: string) => process.stdout.write(`${s}\n`);

if (want('policy')) result.policy = await runPolicy(print);
if (want('live')) result.live = await runLive(print);
if (want('search')) result.search = await runSearch(print);
if (want('audit')) result.audit = await runAudit(print);

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
print(`→ ${RESULTS}`);
