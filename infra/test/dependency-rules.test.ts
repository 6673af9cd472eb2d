import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The architecture rules (.dependency-cruiser.cjs) must catch what they forbid: a tree laid out
// like this repository, with one planted violation per rule and the allowed neighbours of each,
// is checked with the real configuration, and every rule must fire — on the planted file only.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

const PLANTED: Record<string, string> = {
  // protocol-is-a-leaf
  'protocol/src/leaf.ts': "import { app } from '../../gateway/src/app.ts';\nexport const x = app;\n",
  // protocol-runs-in-browsers (and its allowed Node-only subpath)
  'protocol/src/uses-node.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'protocol/src/gb28181/sockets.ts':
    "import { createSocket } from 'node:dgram';\nexport const s = createSocket;\n",
  // web-does-not-import-services
  'web/src/page.ts': "import { app } from '../../gateway/src/app.ts';\nexport const p = app;\n",
  'gateway/src/app.ts': 'export const app = 1;\n',
  // services-do-not-import-each-other
  'gateway/src/live/index.ts':
    "import { b } from '../../../media-server/src/b.ts';\nexport const live = b;\n",
  'media-server/src/b.ts': 'export const b = 2;\n',
  // tests-share-only-named-support (the named support module is allowed)
  'gateway/test/t.test.ts':
    "import { h } from '../../media-server/test/helper.ts';\nimport { s } from '../../media-server/test/support.ts';\nexport const t = [h, s];\n",
  'media-server/test/helper.ts': 'export const h = 3;\n',
  'media-server/test/support.ts': 'export const s = 4;\n',
  // no-file-cycles
  'protocol/src/c1.ts': "import { c2 } from './c2.ts';\nexport const c1 = () => c2;\n",
  'protocol/src/c2.ts': "import { c1 } from './c1.ts';\nexport const c2 = () => c1;\n",
  // no-gateway-feature-cycles: folders in a loop, with no file cycle
  'gateway/src/alpha/index.ts': "import { beta } from '../beta/index.ts';\nexport const alpha = beta;\n",
  'gateway/src/beta/index.ts': "import { gamma } from '../gamma/index.ts';\nexport const beta = gamma;\n",
  'gateway/src/gamma/index.ts': "import { leaf } from '../alpha/leaf.ts';\nexport const gamma = leaf;\n",
  'gateway/src/alpha/leaf.ts': 'export const leaf = 5;\n',
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(dir: string): Violation[] {
  const r = spawnSync(
    DEPCRUISE,
    ['--config', CONFIG, '--output-type', 'json', 'protocol', 'gateway', 'media-server', 'web'],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  expect(r.error).toBeUndefined();
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return out.summary.violations;
}

describe('architecture rules (dependency-cruiser) catch planted violations', () => {
  let dir: string;
  let violations: Violation[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wall-deps-'));
    for (const [path, text] of Object.entries(PLANTED)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    violations = cruise(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const of = (rule: string) =>
    violations
      .filter((v) => v.rule.name === rule)
      .map((v) => `${v.from} → ${v.to}`)
      .sort();

  it.each([
    ['protocol-is-a-leaf', ['protocol/src/leaf.ts → gateway/src/app.ts']],
    ['protocol-runs-in-browsers', ['protocol/src/uses-node.ts → fs']],
    ['web-does-not-import-services', ['web/src/page.ts → gateway/src/app.ts']],
    ['services-do-not-import-each-other', ['gateway/src/live/index.ts → media-server/src/b.ts']],
    ['tests-share-only-named-support', ['gateway/test/t.test.ts → media-server/test/helper.ts']],
    ['no-file-cycles', ['protocol/src/c1.ts → protocol/src/c2.ts']],
  ])('%s fires on the planted import only', (rule, expected) => {
    expect(of(rule)).toEqual(expected);
  });

  it('no-gateway-feature-cycles fires on a loop of feature folders without any file cycle', () => {
    const folders = violations.filter((v) => v.rule.name === 'no-gateway-feature-cycles').map((v) => v.from);
    expect(folders.sort()).toEqual(['gateway/src/alpha', 'gateway/src/beta', 'gateway/src/gamma']);
  });

  it('names no rule that the configuration does not have, and every rule fired', () => {
    const names = new Set(violations.map((v) => v.rule.name));
    expect([...names].sort()).toEqual([
      'no-file-cycles',
      'no-gateway-feature-cycles',
      'protocol-is-a-leaf',
      'protocol-runs-in-browsers',
      'services-do-not-import-each-other',
      'tests-share-only-named-support',
      'web-does-not-import-services',
    ]);
  });
});
