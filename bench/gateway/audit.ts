// The hash-chained audit log on PostgreSQL: appends per second through group commit (entries from
// many concurrent requests, each awaited until committed) and one entry per transaction (the
// per-change path); then the chain is grown to 1 000 000 rows and verified end to end, by worker
// threads as the API does on PostgreSQL, and on one thread.
import {
  AuditBatcher,
  type AuditEntryInput,
  appendAudit,
  defaultVerifyWorkers,
  verifyAudit,
  verifyAuditInWorkers,
  writeBatch,
} from '../../gateway/src/audit/index.ts';
import { auditEntryInputSchema } from '../../gateway/src/audit/types.ts';
import { freshDatabase } from './setup.ts';

const TARGET_APPENDS = 5000;
const TARGET_VERIFY_S = 10;
const VERIFY_ROWS = Number(process.env.AUDIT_VERIFY_ROWS ?? 1_000_000);

const entry = (i: number): AuditEntryInput => ({
  actorId: '6f1c7f0e-3c55-4f7e-9d2a-8f8f0c1d2e3f',
  actorName: 'eoc.operator',
  action: 'camera.live',
  targetKind: 'camera',
  targetId: `0b7a3c52-7f0e-4d2a-9c55-${String(i % 1e12).padStart(12, '0')}`,
  result: i % 7 === 0 ? 'deny' : 'allow',
  reason: i % 7 === 0 ? 'forbidden:grade' : 'allowed',
  address: '10.20.30.40',
  detail: { policyAction: 'live:view', profile: i % 2 ? 'main' : 'sub' },
});

async function inFlight(
  n: number,
  concurrency: number,
  one: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

export async function runAudit(print: (s: string) => void): Promise<Record<string, unknown>> {
  print('audit: hash-chained appends and verification (PostgreSQL)');
  const world = await freshDatabase();
  const { db } = world;
  try {
    const out: Record<string, unknown> = {
      targetAppendsPerS: TARGET_APPENDS,
      targetVerifyS: TARGET_VERIFY_S,
    };
    // One entry per transaction (entries that record a change commit with it).
    const singleN = 3000;
    const singleS = await inFlight(singleN, 16, (i) => db.transaction((tx) => appendAudit(tx, entry(i))));
    const singleRate = Math.round(singleN / singleS);
    print(`  one per transaction  ${singleRate} appends/s (16 in flight)`);
    out.perTransaction = { appendsPerS: singleRate, n: singleN, inFlight: 16 };

    // Group commit, as decisions, token issues and logins use it.
    const batcher = new AuditBatcher(db);
    for (const concurrency of [64, 1000]) {
      const n = 50_000;
      const s = await inFlight(n, concurrency, (i) => batcher.append(entry(i)));
      const rate = Math.round(n / s);
      print(
        `  group commit         ${rate} appends/s (${concurrency} in flight; target ${TARGET_APPENDS}: ratio ${(rate / TARGET_APPENDS).toFixed(2)})`,
      );
      out[`groupCommit${concurrency}`] = { appendsPerS: rate, n, inFlight: concurrency };
    }
    await batcher.close();

    // Grow to VERIFY_ROWS in large batches, then verify the whole chain.
    const have = Number(
      (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log')).rows[0]?.n,
    );
    const t0 = performance.now();
    const parsed = Array.from({ length: 5000 }, (_, i) => auditEntryInputSchema.parse(entry(i)));
    for (let done = have; done < VERIFY_ROWS; ) {
      const k = Math.min(parsed.length, VERIFY_ROWS - done);
      await db.transaction((tx) => writeBatch(tx, parsed.slice(0, k)));
      done += k;
      if (done % 100_000 < k) print(`    … ${done.toLocaleString('en')} rows`);
    }
    const fillS = (performance.now() - t0) / 1000;
    // As GET /api/audit/verify walks it on PostgreSQL (worker threads, one range each), then on
    // one thread as PGlite would.
    const workers = defaultVerifyWorkers();
    const t1 = performance.now();
    const verified = await verifyAuditInWorkers(world.url, { workers });
    const verifyS = (performance.now() - t1) / 1000;
    if (!verified.ok) throw new Error(`the chain did not verify: ${JSON.stringify(verified)}`);
    const t2 = performance.now();
    const oneThread = await verifyAudit(db);
    const oneThreadS = (performance.now() - t2) / 1000;
    if (!oneThread.ok || oneThread.entries !== verified.entries) throw new Error('the two walks disagree');
    print(
      `  verify               ${verified.entries.toLocaleString('en')} rows in ${verifyS.toFixed(2)} s with ${workers} worker threads (target ${TARGET_VERIFY_S} s: ratio ${(verifyS / TARGET_VERIFY_S).toFixed(2)}); ${oneThreadS.toFixed(2)} s on one thread; filled in ${fillS.toFixed(1)} s`,
    );
    out.verify = {
      rows: verified.entries,
      seconds: Math.round(verifyS * 100) / 100,
      workers,
      oneThreadSeconds: Math.round(oneThreadS * 100) / 100,
      fillSeconds: Math.round(fillS * 10) / 10,
    };
    return out;
  } finally {
    await world.drop();
  }
}
