// `npm run bench -- wall [map] [tiles]`: the web wall's figures in headless Chromium. Writes
// bench/results/wall.json (parts not run keep their last figures).
//   map    the map with 1 000 and 100 000 cameras: first render, frame times panning/zooming, ratios
//   tiles  16- and 36-tile walls: time until all tiles live, decoded fps and dropped frames, page CPU
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runMapBench } from './map.ts';
import { runTilesBench } from './tiles.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'wall.json');
const only = process.argv.slice(3);
const want = (part: string) => only.length === 0 || only.includes(part);
const print = (s: string) => process.stdout.write(`${s}\n`);

const previous = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>)
  : {};
const result: Record<string, unknown> = {
  ...previous,
  name: 'wall',
  at: new Date().toISOString(),
  machine: { cores: cpus().length, node: process.version },
};
if (want('map')) result.map = await runMapBench(print);
if (want('tiles')) result.tiles = await runTilesBench(print);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
print(`→ ${RESULTS}`);
