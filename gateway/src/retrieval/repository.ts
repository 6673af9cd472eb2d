import type { IncidentKind, RetrievalBasis, RetrievalDocumentType } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import type { RetrievalGrant, RetrievalIncident } from '../policy/index.ts';

/** A stored state; `expired` is computed from `expiresAt`, never stored. */
export type StoredRetrievalState = 'draft' | 'submitted' | 'approved' | 'rejected' | 'executed' | 'closed';

export interface RetrievalRow {
  id: string;
  state: StoredRetrievalState;
  basis: RetrievalBasis;
  cameraIds: string[];
  ranges: { from: Date; to: Date }[];
  purpose: string;
  caseNumber: string;
  incidentId: string | null;
  incidentKind: IncidentKind | null;
  orgId: string;
  requestedBy: string;
  requestedByName: string;
  createdAt: Date;
  submittedAt: Date | null;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  rejectionReason: string | null;
  expiresAt: Date | null;
  executedAt: Date | null;
  closedAt: Date | null;
  document: {
    number: string;
    name: string;
    contentType: RetrievalDocumentType;
    bytes: number;
    sha256: string;
  } | null;
}

interface Row {
  id: string;
  state: StoredRetrievalState;
  basis: RetrievalBasis;
  camera_ids: string[];
  ranges: { from: string; to: string }[] | string;
  purpose: string;
  case_number: string;
  incident_id: string | null;
  incident_kind: IncidentKind | null;
  org_id: string;
  requested_by: string;
  requested_by_name: string;
  created_at: Date | string;
  submitted_at: Date | string | null;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: Date | string | null;
  rejection_reason: string | null;
  expires_at: Date | string | null;
  executed_at: Date | string | null;
  closed_at: Date | string | null;
  doc_number: string | null;
  doc_name: string | null;
  doc_type: RetrievalDocumentType | null;
  doc_bytes: number | null;
  doc_sha256: string | null;
}

const SELECT = `SELECT r.*, i.kind AS incident_kind, ru.username AS requested_by_name, du.username AS decided_by_name,
       d.number AS doc_number, d.name AS doc_name, d.content_type AS doc_type, d.bytes AS doc_bytes,
       d.sha256 AS doc_sha256
  FROM retrieval_requests r
  JOIN users ru ON ru.id = r.requested_by
  LEFT JOIN users du ON du.id = r.decided_by
  LEFT JOIN incidents i ON i.id = r.incident_id
  LEFT JOIN retrieval_documents d ON d.request_id = r.id`;

const date = (v: Date | string) => new Date(v);
const dateOrNull = (v: Date | string | null) => (v === null ? null : new Date(v));

/** The `ranges` column (jsonb: an array from pg, a string from some drivers) as dates. */
function parseRanges(v: { from: string; to: string }[] | string): { from: Date; to: Date }[] {
  const ranges = (typeof v === 'string' ? JSON.parse(v) : v) as { from: string; to: string }[];
  return ranges.map((x) => ({ from: date(x.from), to: date(x.to) }));
}

function toRow(r: Row): RetrievalRow {
  return {
    id: r.id,
    state: r.state,
    basis: r.basis,
    cameraIds: r.camera_ids,
    ranges: parseRanges(r.ranges),
    purpose: r.purpose,
    caseNumber: r.case_number,
    incidentId: r.incident_id,
    incidentKind: r.incident_kind,
    orgId: r.org_id,
    requestedBy: r.requested_by,
    requestedByName: r.requested_by_name,
    createdAt: date(r.created_at),
    submittedAt: dateOrNull(r.submitted_at),
    decidedBy: r.decided_by,
    decidedByName: r.decided_by_name,
    decidedAt: dateOrNull(r.decided_at),
    rejectionReason: r.rejection_reason,
    expiresAt: dateOrNull(r.expires_at),
    executedAt: dateOrNull(r.executed_at),
    closedAt: dateOrNull(r.closed_at),
    document:
      r.doc_number !== null && r.doc_type !== null
        ? {
            number: r.doc_number,
            name: r.doc_name ?? '',
            contentType: r.doc_type,
            bytes: Number(r.doc_bytes),
            sha256: r.doc_sha256 ?? '',
          }
        : null,
  };
}

export interface RetrievalContent {
  basis: RetrievalBasis;
  cameraIds: string[];
  ranges: { from: Date; to: Date }[];
  purpose: string;
  caseNumber: string;
  incidentId: string | null;
}

const rangesJson = (ranges: { from: Date; to: Date }[]) =>
  JSON.stringify(ranges.map((r) => ({ from: r.from.toISOString(), to: r.to.toISOString() })));

export async function insertRetrieval(
  tx: Queryable,
  c: RetrievalContent & { orgId: string; requestedBy: string },
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO retrieval_requests (basis, camera_ids, ranges, purpose, case_number, incident_id, org_id, requested_by)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8) RETURNING id`,
    [
      c.basis,
      c.cameraIds,
      rangesJson(c.ranges),
      c.purpose,
      c.caseNumber,
      c.incidentId,
      c.orgId,
      c.requestedBy,
    ],
  );
  return (rows[0] as { id: string }).id;
}

export async function updateRetrievalContent(tx: Queryable, id: string, c: RetrievalContent): Promise<void> {
  await tx.query(
    `UPDATE retrieval_requests SET basis = $2, camera_ids = $3, ranges = $4::jsonb, purpose = $5,
            case_number = $6, incident_id = $7, updated_at = now()
      WHERE id = $1`,
    [id, c.basis, c.cameraIds, rangesJson(c.ranges), c.purpose, c.caseNumber, c.incidentId],
  );
}

/** One request; `lock` takes a row lock on it (inside a transaction). */
export async function loadRetrieval(
  db: Queryable,
  id: string,
  lock = false,
): Promise<RetrievalRow | undefined> {
  if (lock) await db.query('SELECT id FROM retrieval_requests WHERE id = $1 FOR UPDATE', [id]);
  const { rows } = await db.query<Row>(`${SELECT} WHERE r.id = $1`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/**
 * Requests of an organisation, decided by a user, (for approvers) submitted and waiting, or (`all`)
 * every one, newest first; `state` filters on the stored state.
 */
export async function listRetrievals(
  db: Queryable,
  q: {
    orgId: string;
    userId: string;
    submitted: boolean;
    all: boolean;
    state?: StoredRetrievalState | undefined;
    limit: number;
  },
): Promise<RetrievalRow[]> {
  const params: unknown[] = [q.orgId, q.userId, q.submitted, q.limit, q.all];
  let where = `($5 OR r.org_id = $1 OR r.decided_by = $2 OR ($3 AND r.state = 'submitted'))`;
  if (q.state) {
    params.push(q.state);
    where += ` AND r.state = $${params.length}`;
  }
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE ${where} ORDER BY r.created_at DESC, r.id LIMIT $4`,
    params,
  );
  return rows.map(toRow);
}

export async function setSubmitted(tx: Queryable, id: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE retrieval_requests SET state = 'submitted', submitted_at = $2, updated_at = $2 WHERE id = $1`,
    [id, at],
  );
}

export async function setApproved(
  tx: Queryable,
  id: string,
  by: string,
  at: Date,
  expiresAt: Date,
): Promise<void> {
  await tx.query(
    `UPDATE retrieval_requests SET state = 'approved', decided_by = $2, decided_at = $3, expires_at = $4, updated_at = $3
      WHERE id = $1`,
    [id, by, at, expiresAt],
  );
}

export async function setRejected(
  tx: Queryable,
  id: string,
  by: string,
  at: Date,
  reason: string,
): Promise<void> {
  await tx.query(
    `UPDATE retrieval_requests SET state = 'rejected', decided_by = $2, decided_at = $3, rejection_reason = $4, updated_at = $3
      WHERE id = $1`,
    [id, by, at, reason],
  );
}

export async function setClosed(tx: Queryable, id: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE retrieval_requests SET state = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1`,
    [id, at],
  );
}

export async function insertDocument(
  tx: Queryable,
  d: {
    requestId: string;
    number: string;
    name: string;
    contentType: RetrievalDocumentType;
    content: Uint8Array;
    sha256: string;
    uploadedBy: string;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO retrieval_documents (request_id, number, name, content_type, bytes, sha256, content, uploaded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [d.requestId, d.number, d.name, d.contentType, d.content.length, d.sha256, d.content, d.uploadedBy],
  );
}

export async function loadDocumentContent(
  db: Queryable,
  requestId: string,
): Promise<
  { content: Buffer; contentType: RetrievalDocumentType; name: string; sha256: string } | undefined
> {
  const { rows } = await db.query<{
    content: Uint8Array;
    content_type: RetrievalDocumentType;
    name: string;
    sha256: string;
  }>('SELECT content, content_type, name, sha256 FROM retrieval_documents WHERE request_id = $1', [
    requestId,
  ]);
  const r = rows[0];
  if (!r) return undefined;
  return { content: Buffer.from(r.content), contentType: r.content_type, name: r.name, sha256: r.sha256 };
}

/** An incident with its kind, open or closed, for an `emergency` request. */
export async function loadIncidentFacts(db: Queryable, id: string): Promise<RetrievalIncident | undefined> {
  const { rows } = await db.query<{
    id: string;
    level: number;
    lon: number;
    lat: number;
    radius_m: number;
    opened_at: Date | string;
    closed_at: Date | string | null;
    kind: string | null;
  }>('SELECT id, level, lon, lat, radius_m, opened_at, closed_at, kind FROM incidents WHERE id = $1', [id]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    level: r.level as RetrievalIncident['level'],
    lon: r.lon,
    lat: r.lat,
    radiusM: r.radius_m,
    openedAt: new Date(r.opened_at),
    closedAt: dateOrNull(r.closed_at),
    kind: r.kind,
  };
}

/** Approved requests of an organisation whose approval has not expired at `now` (policy grants). */
export async function activeGrants(db: Queryable, orgId: string, now: Date): Promise<RetrievalGrant[]> {
  const { rows } = await db.query<{
    id: string;
    org_id: string;
    camera_ids: string[];
    ranges: { from: string; to: string }[] | string;
    expires_at: Date | string;
  }>(
    `SELECT id, org_id, camera_ids, ranges, expires_at FROM retrieval_requests
      WHERE org_id = $1 AND state = 'approved' AND expires_at > $2 ORDER BY decided_at, id`,
    [orgId, now],
  );
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    cameraIds: r.camera_ids,
    ranges: parseRanges(r.ranges),
    expiresAt: date(r.expires_at),
  }));
}
