import { createHash } from 'node:crypto';
import {
  AppError,
  type ErrorCode,
  MAX_RETRIEVAL_RANGE_DAYS,
  type RetrievalApproval,
  type RetrievalDraft,
  type RetrievalRequest,
  type RetrievalState,
} from '@wall/protocol';
import { type AuditEntryInput, appendAudit } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import { findUserById } from '../identity/index.ts';
import type { CurrentUser } from '../lib/current-user.ts';
import {
  type Action,
  decide,
  hidesCamera,
  mayApproveRetrievals,
  type PolicyContext,
  type RetrievalGrant,
  type RetrievalIncident,
  subjectOf,
} from '../policy/index.ts';
import { sniffDocumentType } from './document.ts';
import {
  activeGrants,
  insertDocument,
  insertRetrieval,
  listRetrievals,
  loadDocumentContent,
  loadIncidentFacts,
  loadRetrieval,
  type RetrievalContent,
  type RetrievalRow,
  setApproved,
  setClosed,
  setRejected,
  setSubmitted,
  updateRetrievalContent,
} from './repository.ts';

/** Who acts, from where (for the audit). */
export interface RetrievalActor {
  user: CurrentUser;
  address: string;
}

export interface RetrievalServiceDeps {
  db: Db;
  decisions: DecisionService;
  /** Records an event with no change to commit with it (reads, refusals); resolves once committed. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  /** RETRIEVAL_DOCUMENT_MAX_BYTES. */
  documentMaxBytes: number;
  /** RETRIEVAL_APPROVAL_TTL_H in ms. */
  approvalTtlMs: number;
  /** PLAYBACK_INCIDENT_LOOKBACK_MIN in ms: how far before its incident an `emergency` range may start. */
  incidentLookbackMs: number;
  now?: () => Date;
}

/** The role that reads every request and document (no video). */
export const AUDITOR_ROLE = 'auditor';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;

const DENY_MESSAGES: Partial<Record<ErrorCode, string>> = {
  'forbidden:basis': 'this legal basis does not fit your department (Art. 21)',
  'forbidden:certificate':
    'retrievals are approved by police holding a county-level-or-above certificate with the approver role',
  'forbidden:same_person': 'nobody approves their own retrieval request',
  'forbidden:tier': 'this request lies outside your tier',
  'forbidden:grade': 'your clearance is below a named camera’s security grade',
  'forbidden:state': 'a named camera has no recordings',
  'forbidden:retrieval': 'a named camera lies outside the incident’s area',
};

type Refused = { code: ErrorCode; message: string; detail?: Record<string, unknown> };

/** A refusal decided inside a transaction: its audit entry commits, then it is thrown. */
class Refusal {
  constructor(readonly error: AppError) {}
}

/**
 * Retrieval requests (Art. 21, 22; R-RET-1…3): draft → submitted → approved | rejected →
 * (executed, a later slice) → closed, and the approval with its document. Every change commits with
 * its audit entry; every refusal is audited and changes nothing. An approved request not executed
 * within RETRIEVAL_APPROVAL_TTL_H reads as `expired`.
 */
export class RetrievalService {
  readonly #d: RetrievalServiceDeps;
  readonly #now: () => Date;

  constructor(deps: RetrievalServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Creates a draft after deciding `retrieval:request` on every camera. */
  async create(actor: RetrievalActor, draft: RetrievalDraft): Promise<RetrievalRequest> {
    const base = { action: 'retrieval.create', targetId: null } as const;
    const checked = await this.#check(actor.user, draft);
    if ('code' in checked) return this.#refuse(actor, base, checked, draftDetail(draft));
    const id = await this.#d.db.transaction(async (tx) => {
      const id = await insertRetrieval(tx, {
        ...checked,
        orgId: actor.user.orgId,
        requestedBy: actor.user.id,
      });
      await appendAudit(
        tx,
        this.#entry(actor, { ...base, targetId: id }, 'ok', null, contentDetail(checked)),
      );
      return id;
    });
    return this.#out(await this.#load(id));
  }

  /** Replaces a draft's content (the requester only, while a draft). */
  async edit(
    actor: RetrievalActor,
    id: string | undefined,
    draft: RetrievalDraft,
  ): Promise<RetrievalRequest> {
    const base = { action: 'retrieval.edit', targetId: id ?? null } as const;
    const checked = await this.#check(actor.user, draft);
    if ('code' in checked) return this.#refuse(actor, base, checked, draftDetail(draft));
    return this.#transition(actor, base, id, async (tx, row) => {
      const refused = this.#ownDraft(actor.user, row);
      if (refused) return refused;
      await updateRetrievalContent(tx, row.id, checked);
      return { detail: { from: contentDetail(row), to: contentDetail(checked) } };
    });
  }

  /** Submits a draft for approval, deciding `retrieval:request` again on what it names now. */
  async submit(actor: RetrievalActor, id: string | undefined): Promise<RetrievalRequest> {
    const base = { action: 'retrieval.submit', targetId: id ?? null } as const;
    return this.#transition(actor, base, id, async (tx, row) => {
      const refused = this.#ownDraft(actor.user, row);
      if (refused) return refused;
      const checked = await this.#check(actor.user, contentOf(row));
      if ('code' in checked) return checked;
      await setSubmitted(tx, row.id, this.#now());
      return { detail: contentDetail(row) };
    });
  }

  /**
   * Approves a submitted request with the approval-document number and the document (PDF, PNG or
   * JPEG by its bytes, ≤ RETRIEVAL_DOCUMENT_MAX_BYTES, stored with its SHA-256), deciding
   * `retrieval:approve` on every camera.
   */
  async approve(
    actor: RetrievalActor,
    id: string | undefined,
    body: RetrievalApproval,
  ): Promise<RetrievalRequest> {
    const base = { action: 'retrieval.approve', targetId: id ?? null } as const;
    const content = Buffer.from(body.documentBase64, 'base64');
    const docDetail = {
      documentNumber: body.documentNumber,
      documentName: body.documentName,
      bytes: content.length,
    };
    if (!mayApproveRetrievals(subjectOf(actor.user))) {
      return this.#refuse(actor, base, this.#denied('forbidden:certificate'), docDetail);
    }
    if (content.length === 0 || content.length > this.#d.documentMaxBytes) {
      return this.#refuse(
        actor,
        base,
        {
          code: 'invalid:document_size',
          message: `an approval document holds 1 to ${this.#d.documentMaxBytes} bytes`,
        },
        { ...docDetail, maxBytes: this.#d.documentMaxBytes },
      );
    }
    const contentType = sniffDocumentType(content);
    if (contentType === null) {
      return this.#refuse(
        actor,
        base,
        { code: 'invalid:document_type', message: 'an approval document is a PDF, PNG or JPEG file' },
        docDetail,
      );
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    return this.#transition(
      actor,
      base,
      id,
      async (tx, row) => {
        const refused = await this.#decidable(actor.user, row, 'retrieval:approve');
        if (refused) return { ...refused, detail: { ...refused.detail, ...docDetail } };
        const now = this.#now();
        const expiresAt = new Date(now.getTime() + this.#d.approvalTtlMs);
        await setApproved(tx, row.id, actor.user.id, now, expiresAt);
        await insertDocument(tx, {
          requestId: row.id,
          number: body.documentNumber,
          name: body.documentName,
          contentType,
          content,
          sha256,
          uploadedBy: actor.user.id,
        });
        return {
          reason: body.documentNumber,
          detail: {
            ...contentDetail(row),
            ...docDetail,
            contentType,
            sha256,
            requestedBy: row.requestedByName,
            expiresAt: expiresAt.toISOString(),
          },
        };
      },
      true,
    );
  }

  /** Rejects a submitted request, with a reason. */
  async reject(actor: RetrievalActor, id: string | undefined, reason: string): Promise<RetrievalRequest> {
    const base = { action: 'retrieval.reject', targetId: id ?? null } as const;
    if (!mayApproveRetrievals(subjectOf(actor.user))) {
      return this.#refuse(actor, base, this.#denied('forbidden:certificate'), { reason });
    }
    return this.#transition(
      actor,
      base,
      id,
      async (tx, row) => {
        const refused = await this.#decidable(actor.user, row, 'retrieval:approve');
        if (refused) return refused;
        await setRejected(tx, row.id, actor.user.id, this.#now(), reason);
        return { reason, detail: { ...contentDetail(row), requestedBy: row.requestedByName } };
      },
      true,
    );
  }

  /** Closes (withdraws or ends) a request of the caller's organisation that is not rejected or closed. */
  async close(actor: RetrievalActor, id: string | undefined): Promise<RetrievalRequest> {
    const base = { action: 'retrieval.close', targetId: id ?? null } as const;
    return this.#transition(actor, base, id, async (tx, row) => {
      if (row.orgId !== actor.user.orgId) {
        return { code: 'forbidden:role', message: 'only the requesting organisation closes its request' };
      }
      if (row.state === 'rejected' || row.state === 'closed') {
        return { code: 'conflict:state', message: `a ${row.state} request cannot be closed` };
      }
      await setClosed(tx, row.id, this.#now());
      return { detail: { from: this.#stateOf(row) } };
    });
  }

  /** One request the caller may see (else not_found:retrieval). */
  async get(actor: RetrievalActor, id: string | undefined): Promise<RetrievalRequest> {
    const row = id === undefined ? undefined : await loadRetrieval(this.#d.db, id);
    if (!row || !(await this.#visible(actor.user, row))) {
      throw new AppError('not_found:retrieval', 'no such retrieval request');
    }
    return this.#out(row);
  }

  /**
   * Requests of the caller's organisation, those the caller decided, and — for approvers — the
   * submitted requests they may approve; auditors see all. Newest first.
   */
  async list(
    actor: RetrievalActor,
    q: { state?: RetrievalState | undefined; limit: number },
  ): Promise<RetrievalRequest[]> {
    const approver = mayApproveRetrievals(subjectOf(actor.user));
    const stored = q.state === 'expired' ? 'approved' : q.state;
    const rows = await listRetrievals(this.#d.db, {
      orgId: actor.user.orgId,
      userId: actor.user.id,
      submitted: approver,
      all: actor.user.roles.includes(AUDITOR_ROLE),
      state: stored,
      limit: q.limit,
    });
    const out: RetrievalRequest[] = [];
    for (const row of rows) {
      if (q.state !== undefined && this.#stateOf(row) !== q.state) continue;
      if (!(await this.#visible(actor.user, row))) continue;
      out.push(this.#out(row));
    }
    return out;
  }

  /** The approval document, for the requesting organisation, the approver and auditors (audited). */
  async document(
    actor: RetrievalActor,
    id: string | undefined,
  ): Promise<{ content: Buffer; contentType: string; name: string; sha256: string }> {
    const base = { action: 'retrieval.document', targetId: id ?? null } as const;
    const row = id === undefined ? undefined : await loadRetrieval(this.#d.db, id);
    const doc =
      row && (await this.#visible(actor.user, row))
        ? await loadDocumentContent(this.#d.db, row.id)
        : undefined;
    if (!row || !doc) {
      return this.#refuse(
        actor,
        base,
        { code: 'not_found:retrieval', message: 'no such approval document' },
        {},
      );
    }
    await this.#d.audit(
      this.#entry(actor, base, 'allow', null, {
        documentNumber: row.document?.number ?? null,
        sha256: doc.sha256,
      }),
    );
    return doc;
  }

  /** Approved, unexpired requests of an organisation, as `playback:view` and `export` read them. */
  grants(orgId: string): Promise<RetrievalGrant[]> {
    return activeGrants(this.#d.db, orgId, this.#now());
  }

  /** Validates a draft and decides `retrieval:request` on each camera; the content, or the refusal. */
  async #check(user: CurrentUser, draft: RetrievalDraft): Promise<RetrievalContent | Refused> {
    const now = this.#now();
    const ranges = draft.ranges.map((r) => ({ from: new Date(r.from), to: new Date(r.to) }));
    for (const r of ranges) {
      if (!(r.to.getTime() > r.from.getTime()))
        return { code: 'invalid:range', message: '`to` must be after `from`' };
      if (r.to.getTime() - r.from.getTime() > MAX_RETRIEVAL_RANGE_DAYS * DAY_MS) {
        return { code: 'invalid:range', message: `a range covers at most ${MAX_RETRIEVAL_RANGE_DAYS} days` };
      }
      if (r.to.getTime() > now.getTime()) {
        return { code: 'invalid:range', message: 'a range ends at the latest now: footage not yet recorded' };
      }
    }
    let incident: RetrievalIncident | null = null;
    if (draft.basis === 'emergency') {
      if (draft.incidentId === undefined) {
        return { code: 'invalid:basis', message: 'an emergency request names its incident' };
      }
      incident = (await loadIncidentFacts(this.#d.db, draft.incidentId)) ?? null;
      if (!incident) return { code: 'not_found:incident', message: 'no such incident' };
      if (incident.kind === null) {
        return {
          code: 'invalid:basis',
          message: 'the incident has no kind (public order, natural disaster, accident, public health)',
        };
      }
      const earliest = incident.openedAt.getTime() - this.#d.incidentLookbackMs;
      if (ranges.some((r) => r.from.getTime() < earliest)) {
        return {
          code: 'invalid:range',
          message: 'an emergency request covers footage from shortly before its incident opened on',
          detail: { earliest: new Date(earliest).toISOString() },
        };
      }
    } else if (draft.incidentId !== undefined) {
      return { code: 'invalid:basis', message: 'only an emergency request names an incident' };
    }
    const cameraIds = [...new Set(draft.cameraIds)];
    const context: PolicyContext = {
      now,
      openIncidents: [],
      retrieval: { basis: draft.basis, incident },
    };
    const subject = subjectOf(user);
    for (const cameraId of cameraIds) {
      const camera = UUID.test(cameraId) ? await this.#d.decisions.camera(cameraId) : undefined;
      if (!camera) return { code: 'not_found:camera', message: 'no such camera', detail: { cameraId } };
      const d = decide(subject, camera.facts, 'retrieval:request', context);
      if (d.allow) continue;
      if (hidesCamera(d)) {
        return { code: 'not_found:camera', message: 'no such camera', detail: { cameraId, why: d.reason } };
      }
      return { ...this.#denied(d.reason), detail: { cameraId } };
    }
    return {
      basis: draft.basis,
      cameraIds,
      ranges,
      purpose: draft.purpose,
      caseNumber: draft.caseNumber,
      incidentId: draft.incidentId ?? null,
    };
  }

  /** A draft the user asked for; else the refusal. */
  #ownDraft(user: CurrentUser, row: RetrievalRow): Refused | null {
    if (row.requestedBy !== user.id) {
      return { code: 'forbidden:role', message: 'only the requester edits and submits a draft' };
    }
    if (row.state !== 'draft') {
      return { code: 'conflict:state', message: `a ${this.#stateOf(row)} request is no draft` };
    }
    return null;
  }

  /** A submitted request the approver may decide on every camera; else the refusal. */
  async #decidable(user: CurrentUser, row: RetrievalRow, action: Action): Promise<Refused | null> {
    const state = this.#stateOf(row);
    if (state === 'expired') return { code: 'conflict:expired', message: 'this approval has expired' };
    if (state !== 'submitted')
      return { code: 'conflict:state', message: `a ${state} request is not awaiting a decision` };
    return this.#approvalRefusal(user, row, action);
  }

  async #approvalRefusal(user: CurrentUser, row: RetrievalRow, action: Action): Promise<Refused | null> {
    const requester = await findUserById(this.#d.db, row.requestedBy);
    if (!requester) return { code: 'forbidden:retrieval', message: 'the requester is no longer active' };
    const context: PolicyContext = {
      now: this.#now(),
      openIncidents: [],
      retrieval: { basis: row.basis, requester: subjectOf(requester) },
    };
    const subject = subjectOf(user);
    for (const cameraId of row.cameraIds) {
      const camera = await this.#d.decisions.camera(cameraId);
      if (!camera)
        return { code: 'not_found:camera', message: 'a named camera no longer exists', detail: { cameraId } };
      const d = decide(subject, camera.facts, action, context);
      if (!d.allow) return { ...this.#denied(d.reason), detail: { cameraId } };
    }
    return null;
  }

  /** The requesting organisation, the decider, auditors, and approvers who may decide it while submitted. */
  async #visible(user: CurrentUser, row: RetrievalRow): Promise<boolean> {
    if (row.orgId === user.orgId || row.decidedBy === user.id || user.roles.includes(AUDITOR_ROLE))
      return true;
    if (row.state !== 'submitted' || !mayApproveRetrievals(subjectOf(user))) return false;
    return (await this.#approvalRefusal(user, row, 'retrieval:approve')) === null;
  }

  /**
   * Loads the request under a row lock, runs `change` (which answers a refusal, or the audit's
   * reason and detail of the change it made), and commits the change with its audit entry; a
   * refusal commits only its audit entry and is thrown.
   */
  async #transition(
    actor: RetrievalActor,
    base: { action: string; targetId: string | null },
    id: string | undefined,
    change: (
      tx: Queryable,
      row: RetrievalRow,
    ) => Promise<Refused | { reason?: string; detail: Record<string, unknown> }>,
    deciding = false,
  ): Promise<RetrievalRequest> {
    const out = await this.#d.db.transaction(async (tx) => {
      const row = id === undefined ? undefined : await loadRetrieval(tx, id, true);
      // An approver (checked before) deciding sees every request past its draft, so that a
      // refusal names its reason (tier, grade, same person, state) rather than a missing request.
      const visible = row
        ? (deciding && row.state !== 'draft') || (await this.#visible(actor.user, row))
        : false;
      const result: Refused | { reason?: string; detail: Record<string, unknown> } =
        row && visible
          ? await change(tx, row)
          : { code: 'not_found:retrieval', message: 'no such retrieval request' };
      if ('code' in result) {
        await appendAudit(tx, this.#entry(actor, base, 'deny', result.code, result.detail ?? {}));
        return new Refusal(new AppError(result.code, result.message));
      }
      await appendAudit(tx, this.#entry(actor, base, 'ok', result.reason ?? null, result.detail));
      return id as string;
    });
    if (out instanceof Refusal) throw out.error;
    return this.#out(await this.#load(out));
  }

  async #refuse(
    actor: RetrievalActor,
    base: { action: string; targetId: string | null },
    r: Refused,
    detail: Record<string, unknown>,
  ): Promise<never> {
    await this.#d.audit(this.#entry(actor, base, 'deny', r.code, { ...detail, ...r.detail }));
    throw new AppError(r.code, r.message);
  }

  #denied(code: ErrorCode): Refused {
    return { code, message: DENY_MESSAGES[code] ?? 'denied' };
  }

  async #load(id: string): Promise<RetrievalRow> {
    const row = await loadRetrieval(this.#d.db, id);
    if (!row) throw new AppError('not_found:retrieval', 'no such retrieval request');
    return row;
  }

  #stateOf(row: RetrievalRow): RetrievalState {
    if (row.state === 'approved' && row.expiresAt && !(this.#now().getTime() < row.expiresAt.getTime())) {
      return 'expired';
    }
    return row.state;
  }

  #out(row: RetrievalRow): RetrievalRequest {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      id: row.id,
      state: this.#stateOf(row),
      basis: row.basis,
      cameraIds: row.cameraIds,
      ranges: row.ranges.map((r) => ({ from: r.from.toISOString(), to: r.to.toISOString() })),
      purpose: row.purpose,
      caseNumber: row.caseNumber,
      incidentId: row.incidentId,
      incidentKind: row.basis === 'emergency' ? row.incidentKind : null,
      orgId: row.orgId,
      requestedBy: row.requestedBy,
      requestedByName: row.requestedByName,
      createdAt: row.createdAt.toISOString(),
      submittedAt: iso(row.submittedAt),
      decidedBy: row.decidedBy,
      decidedByName: row.decidedByName,
      decidedAt: iso(row.decidedAt),
      rejectionReason: row.rejectionReason,
      expiresAt: iso(row.expiresAt),
      executedAt: iso(row.executedAt),
      closedAt: iso(row.closedAt),
      document: row.document,
    };
  }

  #entry(
    actor: RetrievalActor,
    base: { action: string; targetId: string | null },
    result: 'ok' | 'deny' | 'allow',
    reason: string | null,
    detail: Record<string, unknown>,
  ): AuditEntryInput {
    return {
      actorId: actor.user.id,
      actorName: actor.user.username,
      address: actor.address,
      action: base.action,
      targetKind: 'retrieval',
      targetId: base.targetId,
      result,
      reason,
      detail,
    };
  }
}

/** A stored request's content as the API takes it (dates as ISO text); also its audit detail. */
function contentOf(c: RetrievalContent): RetrievalDraft {
  return {
    basis: c.basis,
    cameraIds: c.cameraIds,
    ranges: c.ranges.map((r) => ({ from: r.from.toISOString(), to: r.to.toISOString() })),
    purpose: c.purpose,
    caseNumber: c.caseNumber,
    ...(c.incidentId ? { incidentId: c.incidentId } : {}),
  };
}

function contentDetail(c: RetrievalContent): Record<string, unknown> {
  return { ...contentOf(c) };
}

function draftDetail(d: RetrievalDraft): Record<string, unknown> {
  return {
    basis: d.basis,
    cameraIds: d.cameraIds,
    ranges: d.ranges,
    caseNumber: d.caseNumber,
    ...(d.incidentId ? { incidentId: d.incidentId } : {}),
  };
}
