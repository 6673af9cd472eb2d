import type { Queryable } from '../db/index.ts';
import { GENESIS_HASH, hashAudit } from './canonical.ts';
import type { AuditDbRow } from './row.ts';
import type { AuditVerifyResult } from './types.ts';

export interface VerifyAuditOptions {
  /**
   * Entries read per query (keyset by seq). Small batches die young in V8's heap: 1 000 verified
   * about 25 % faster than 10 000 (fewer objects promoted to the old generation).
   */
  batchSize?: number;
}

type VerifyDbRow = Omit<AuditDbRow, 'at'> & { at_ms: string };

// `at` as exact epoch milliseconds (numeric): a time altered below the millisecond shows as a
// fraction and fails its hash, where a parsed Date would silently round it away.
const SELECT_BATCH = `SELECT seq, extract(epoch FROM at) * 1000 AS at_ms, actor_id, actor_name, action,
    target_kind, target_id, result, reason, address, emergency, detail, prev_hash, hash
  FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`;

/**
 * Walks the whole chain in seq order and reports the first entry that breaks it:
 * - `gap`: entry `brokenAt` is missing (seq must run 1, 2, 3 … — a deleted entry);
 * - `link`: entry `brokenAt` does not carry the previous entry's hash;
 * - `hash`: entry `brokenAt` does not hash to its stored hash (an altered entry).
 * `entries` counts the entries verified before the break. The next batch is fetched while the
 * current one is hashed. Deleting the newest entries leaves a shorter valid chain: detecting that
 * needs the head (seq, hash) kept somewhere else.
 */
export async function verifyAudit(
  db: Queryable,
  options: VerifyAuditOptions = {},
): Promise<AuditVerifyResult> {
  const batchSize = options.batchSize ?? 1000;
  const fetch = (after: number) => {
    const p = db.query<VerifyDbRow>(SELECT_BATCH, [after, batchSize]);
    // Awaited below, unless a break ends the walk first: never an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };

  let expected = 1;
  let prevHash = GENESIS_HASH;
  let next = fetch(0);
  for (;;) {
    const { rows } = await next;
    const last = rows[rows.length - 1];
    if (last && rows.length === batchSize) next = fetch(Number(last.seq));
    for (const r of rows) {
      const seq = Number(r.seq);
      const entries = expected - 1;
      if (seq !== expected) return { ok: false, brokenAt: expected, entries, why: 'gap' };
      if (r.prev_hash !== prevHash) return { ok: false, brokenAt: seq, entries, why: 'link' };
      const ms = Number(r.at_ms);
      if (
        !Number.isInteger(ms) ||
        hashAudit({
          seq,
          at: new Date(ms),
          actorId: r.actor_id,
          actorName: r.actor_name,
          action: r.action,
          targetKind: r.target_kind,
          targetId: r.target_id,
          result: r.result,
          reason: r.reason,
          address: r.address,
          emergency: r.emergency,
          detail: r.detail,
          prevHash: r.prev_hash,
        }) !== r.hash
      ) {
        return { ok: false, brokenAt: seq, entries, why: 'hash' };
      }
      prevHash = r.hash;
      expected = seq + 1;
    }
    if (rows.length < batchSize) return { ok: true, entries: expected - 1 };
  }
}
