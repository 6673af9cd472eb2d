import type { AuditResult, AuditRow, JsonObject } from './types.ts';

/** Columns in the order of the table; every read of whole entries selects these. */
export const AUDIT_COLUMNS =
  'seq, at, actor_id, actor_name, action, target_kind, target_id, result, reason, address, emergency, detail, prev_hash, hash';

/** A row as the drivers return it: bigint is a string (pg) or a number (PGlite). */
export interface AuditDbRow {
  seq: string | number | bigint;
  at: Date;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  result: AuditResult;
  reason: string | null;
  address: string | null;
  emergency: boolean;
  detail: JsonObject;
  prev_hash: string;
  hash: string;
}

export function fromDbRow(r: AuditDbRow): AuditRow {
  return {
    seq: Number(r.seq),
    at: r.at,
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
    hash: r.hash,
  };
}
