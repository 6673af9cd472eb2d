// Verifies recorded segments against their chain and files (R-REC-2), for auditors and operators:
//
//   node --import tsx src/recordings/verify-cli.ts [--camera <uuid>] [--profile main|sub]
//        [--from <ISO time>] [--to <ISO time>] [--no-files] [--dir <RECORDING_DIR>]
//        [--orphan-grace <seconds>]
//
// The database and the recording directory come from the gateway's configuration (DATABASE_URL or
// PGLITE_DIR, RECORDING_DIR, RECORDING_ORPHAN_GRACE_S). With files checked, files in the directory
// that no index row names (older than the grace) are reported as orphan_file.
// Prints a report; exit 0 intact, 1 broken (orphans too), 2 usage or configuration.
import { parseArgs } from 'node:util';
import { streamProfileSchema } from '@wall/protocol';
import { z } from 'zod';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/index.ts';
import { fileStorage } from './storage.ts';
import { verifyRecordings } from './verify.ts';

const USAGE =
  'usage: verify-cli [--camera <uuid>] [--profile main|sub] [--from <ISO time>] [--to <ISO time>] [--no-files] [--dir <RECORDING_DIR>] [--orphan-grace <seconds>]\n';

const argsSchema = z
  .object({
    camera: z.guid().optional(),
    profile: streamProfileSchema.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    'no-files': z.boolean().optional(),
    dir: z.string().min(1).optional(),
    'orphan-grace': z.coerce.number().int().min(0).max(86_400).optional(),
  })
  .refine((a) => !a.from || !a.to || new Date(a.to) > new Date(a.from), {
    message: '--to must be after --from',
  });

function usage(message: string): never {
  process.stderr.write(`verify-cli: ${message}\n${USAGE}`);
  process.exit(2);
}

let raw: Record<string, unknown>;
try {
  raw = parseArgs({
    options: {
      camera: { type: 'string' },
      profile: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'no-files': { type: 'boolean' },
      dir: { type: 'string' },
      'orphan-grace': { type: 'string' },
    },
    allowPositionals: false,
  }).values;
} catch (err) {
  usage((err as Error).message);
}
const args = argsSchema.safeParse(raw);
if (!args.success)
  usage(args.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; '));
const config = loadConfig(process.env);
if (!config.ok) usage(`invalid configuration: ${config.problems.join('; ')}`);
const c = config.value;
const a = args.data;

const db = await openDb(c.DATABASE_URL ? { databaseUrl: c.DATABASE_URL } : { pgliteDir: c.PGLITE_DIR });
try {
  const dir = a.dir ?? c.RECORDING_DIR;
  const report = await verifyRecordings(db, {
    cameraId: a.camera,
    profile: a.profile,
    from: a.from ? new Date(a.from) : undefined,
    to: a.to ? new Date(a.to) : undefined,
    storage: a['no-files'] ? undefined : fileStorage(dir),
    orphanGraceMs: (a['orphan-grace'] ?? c.RECORDING_ORPHAN_GRACE_S) * 1000,
  });
  const out: string[] = [];
  out.push(
    `recordings ${report.ok ? 'INTACT' : 'BROKEN'}: ${report.segments} segments in ${report.chains} camera profiles, ` +
      `${report.problemCount} problems; files ${report.filesChecked ? `re-hashed under ${dir}, ${report.orphanFiles} orphan files` : 'not checked'}`,
  );
  for (const r of report.results) {
    out.push(
      `  ${r.cameraId}/${r.profile}: ${r.segments} segments, ${r.cuts} retention cuts, ${r.ok ? 'ok' : `${r.problemCount} problems`}`,
    );
    for (const p of r.problems)
      out.push(`    ${p.kind} segment ${p.segmentId} ${p.storageKey} at ${p.startAt}: ${p.detail}`);
  }
  for (const o of report.orphans)
    out.push(`  orphan_file ${o.storageKey}${o.node ? ` (node ${o.node})` : ''}: ${o.detail}`);
  if (report.firstBroken) {
    const f = report.firstBroken;
    out.push(`first broken: ${f.cameraId}/${f.profile} segment ${f.segmentId} ${f.storageKey} (${f.kind})`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await db.close();
}
