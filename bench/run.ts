// `npm run bench -- <name>`: runs bench/<name>/index.ts, which prints its figures and writes
// bench/results/<name>.json. Benchmarks never gate CI.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const available = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'index.ts')))
  .map((e) => e.name);
const name = process.argv[2];
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}\n`);
  process.exit(2);
}
await import(join(dir, name, 'index.ts'));
