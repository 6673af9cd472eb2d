import {
  AppError,
  type ErrorCode,
  type EvidenceHold,
  MAX_TIMELINE_DAYS,
  RETENTION_FLOOR_DAYS,
  type RecordingGapReason,
  type RecordingTimeline,
  type StreamProfile,
} from '@wall/protocol';
import { type AuditEntryInput, appendAudit } from '../audit/index.ts';
import type { CameraRecord } from '../cameras/facts.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import type { CurrentUser } from '../lib/current-user.ts';
import {
  type Decision,
  type DenyDecision,
  decide,
  hidesCamera,
  mayAdminister,
  REGISTRY_ADMIN_ROLE,
  type RetrievalGrant,
  subjectOf,
} from '../policy/index.ts';
import {
  cameraRetentionForUpdate,
  gapsIn,
  type HoldRow,
  incidentsCovering,
  insertHold,
  listHolds,
  loadHold,
  recordedRanges,
  releaseHold,
  setCameraRetention,
} from './repository.ts';
import type { RecordingStorage } from './storage.ts';
import { type RecordingVerifyReport, type VerifyRecordingsOptions, verifyRecordings } from './verify.ts';

/** Who acts, from where (for the audit). */
export interface RecordingActor {
  user: CurrentUser;
  address: string;
}

export interface RecordingServiceDeps {
  db: Db;
  decisions: DecisionService;
  /** Records an event with no change to commit with it (reads, refusals); resolves once committed. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  storage: RecordingStorage;
  /** RECORDING_RETENTION_DAYS. */
  defaultRetentionDays: number;
  /** RECORDING_ORPHAN_GRACE_S in ms: younger files are not reported as orphans. */
  orphanGraceMs: number;
  /** PLAYBACK_INCIDENT_LOOKBACK_MIN in ms. */
  incidentLookbackMs: number;
  /** The emergency grant's ceiling (EMERGENCY_GRANT_MAX_H), as live uses it; 0: none. */
  emergencyMaxMs: number;
  /** Approved, unexpired retrievals of an organisation (R-RET-2); absent: none. */
  retrievalGrants?: RetrievalGrants;
}

/** The approved, unexpired retrieval requests of an organisation, as `playback:view` reads them. */
export type RetrievalGrants = (orgId: string) => Promise<RetrievalGrant[]>;

/** The role whose holders approve retrievals; they may place and release evidence holds. */
export const APPROVER_ROLE = 'approver';
export const AUDITOR_ROLE = 'auditor';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;

const DENY_MESSAGES: Partial<Record<ErrorCode, string>> = {
  'forbidden:grade': 'your clearance is below this camera’s security grade',
  'forbidden:retrieval':
    'recorded footage needs a county-level police certificate, a major incident covering this camera and time, or an approval',
  'forbidden:state': 'this camera has no recordings to show',
  'forbidden:private': 'this privately owned camera is open only to its owner',
  'forbidden:role': 'your department may not read this camera',
};

/** Evidence holds: police with the county-level certificate, and approvers (R-REC-1, R-RET-1). */
export function mayHold(user: CurrentUser): boolean {
  return (
    (user.departmentKind === 'police' && user.countyPoliceCertificate) || user.roles.includes(APPROVER_ROLE)
  );
}

/** A refusal decided inside a transaction: its audit entry commits, then it is thrown. */
class Refusal {
  constructor(readonly error: AppError) {}
}

/**
 * Recording use cases: the playback timeline (policy `playback:view`), evidence holds, per-camera
 * retention and verification. Every decision, change and refusal is audited — changes in their
 * transaction, reads and refusals before the answer is sent.
 */
export class RecordingService {
  readonly #d: RecordingServiceDeps;

  constructor(deps: RecordingServiceDeps) {
    this.#d = deps;
  }

  /** Recorded ranges, reported gaps and holds of a camera profile in [from, to) (≤ 31 days). */
  async timeline(
    actor: RecordingActor,
    cameraId: string,
    q: { profile: StreamProfile; from: string; to: string },
  ): Promise<RecordingTimeline> {
    const from = new Date(q.from);
    const to = new Date(q.to);
    checkRange(from, to, MAX_TIMELINE_DAYS);
    const { camera, decision } = await decidePlaybackView(this.#d, actor.user, cameraId, from, to);
    const id = camera.facts.id;
    const range = { profile: q.profile, from: from.toISOString(), to: to.toISOString() };
    const emergency = decision.allow && decision.reason === 'allowed:emergency';
    await this.#d.audit({
      actorId: actor.user.id,
      actorName: actor.user.username,
      action: 'recording.timeline',
      targetKind: 'camera',
      targetId: id,
      result: decision.allow ? 'allow' : 'deny',
      reason: decision.reason,
      address: actor.address,
      emergency,
      detail: {
        policyAction: 'playback:view',
        ...range,
        ...decisionDetail(decision),
      },
    });
    if (!decision.allow) throw playbackRefusal(decision);
    const [ranges, gaps, holds, incidents] = await Promise.all([
      recordedRanges(this.#d.db, id, q.profile, from, to),
      gapsIn(this.#d.db, id, q.profile, from, to),
      listHolds(this.#d.db, { cameraId: id, from, to, limit: 100 }),
      incidentsCovering(this.#d.db, id, from, to),
    ]);
    return {
      cameraId: id,
      profile: q.profile,
      from: range.from,
      to: range.to,
      emergency,
      ranges: ranges.map((r) => ({
        from: r.from.toISOString(),
        to: r.to.toISOString(),
        segments: r.segments,
        bytes: r.bytes,
      })),
      gaps: gaps.map((g) => ({
        from: g.from.toISOString(),
        to: g.to.toISOString(),
        reason: g.reason as RecordingGapReason,
        detail: g.detail,
      })),
      holds: holds.map(holdOut),
      incidents: incidents.map((i) => ({
        id: i.id,
        title: i.title,
        level: i.level,
        from: i.openedAt.toISOString(),
        to: i.closedAt?.toISOString() ?? null,
      })),
    };
  }

  /** Sets a camera's retention (≥ 30 days) or, with null, returns it to the default. Registry admins. */
  async setRetention(
    actor: RecordingActor,
    cameraId: string | undefined,
    days: number | null,
  ): Promise<{ cameraId: string; days: number | null; effectiveDays: number }> {
    const base = { action: 'camera.retention', targetKind: 'camera', targetId: cameraId ?? null } as const;
    if (!actor.user.roles.includes(REGISTRY_ADMIN_ROLE)) {
      await this.#d.audit(
        this.#entry(actor, { ...base, result: 'deny', reason: 'forbidden:role', detail: { days } }),
      );
      throw new AppError('forbidden:role', 'only registry administrators set a camera’s retention');
    }
    if (cameraId === undefined) throw new AppError('not_found:camera', 'no such camera');
    const out = await this.#d.db.transaction(async (tx) => {
      const refuse = async (code: ErrorCode, message: string, detail: Record<string, unknown>) => {
        await appendAudit(tx, this.#entry(actor, { ...base, result: 'deny', reason: code, detail }));
        return new Refusal(new AppError(code, message));
      };
      const cur = await cameraRetentionForUpdate(tx, cameraId);
      if (!cur) return refuse('not_found:camera', 'no such camera', { days });
      if (!mayAdminister(actor.user, { districtCode: cur.districtCode, ownerOrgId: cur.ownerOrgId })) {
        return refuse('forbidden:tier', 'this camera is outside your administrative scope', { days });
      }
      if (days !== null && days < RETENTION_FLOOR_DAYS) {
        return refuse(
          'invalid:retention_floor',
          `recordings are kept at least ${RETENTION_FLOOR_DAYS} days (R-REC-1)`,
          { days, floor: RETENTION_FLOOR_DAYS },
        );
      }
      await setCameraRetention(tx, cameraId, days);
      await appendAudit(
        tx,
        this.#entry(actor, {
          ...base,
          result: 'ok',
          reason: null,
          detail: { from: cur.retentionDays, to: days, defaultDays: this.#d.defaultRetentionDays },
        }),
      );
      return {
        cameraId,
        days,
        effectiveDays: Math.max(RETENTION_FLOOR_DAYS, days ?? this.#d.defaultRetentionDays),
      };
    });
    if (out instanceof Refusal) throw out.error;
    return out;
  }

  /** Places an evidence hold on cameras the caller may see, for [from, to). */
  async createHold(
    actor: RecordingActor,
    body: { cameraIds: string[]; from: string; to: string; reason: string; caseNumber: string },
  ): Promise<EvidenceHold> {
    const base = { action: 'recording.hold', targetKind: 'evidence_hold', targetId: null } as const;
    const detail = { cameraIds: body.cameraIds, from: body.from, to: body.to, caseNumber: body.caseNumber };
    const refuse = async (
      code: ErrorCode,
      message: string,
      extra: Record<string, unknown> = {},
    ): Promise<never> => {
      await this.#d.audit(
        this.#entry(actor, { ...base, result: 'deny', reason: code, detail: { ...detail, ...extra } }),
      );
      throw new AppError(code, message);
    };
    if (!mayHold(actor.user)) {
      return refuse(
        'forbidden:role',
        'evidence holds are placed by police with a county-level certificate or by approvers',
      );
    }
    const from = new Date(body.from);
    const to = new Date(body.to);
    if (!(to.getTime() > from.getTime())) return refuse('invalid:range', '`to` must be after `from`');
    for (const id of new Set(body.cameraIds)) {
      const refusal = await this.#cameraRefusal(actor.user, id);
      if (refusal) return refuse(refusal.code, refusal.message, { cameraId: id, why: refusal.why });
    }
    const hold = await this.#d.db.transaction(async (tx) => {
      const row = await insertHold(tx, {
        cameraIds: body.cameraIds,
        from,
        to,
        reason: body.reason,
        caseNumber: body.caseNumber,
        createdBy: actor.user.id,
      });
      await appendAudit(
        tx,
        this.#entry(actor, {
          ...base,
          targetId: row.id,
          result: 'ok',
          reason: body.reason,
          detail: { ...detail, cameraIds: row.cameraIds },
        }),
      );
      return row;
    });
    return holdOut(hold);
  }

  /** Releases a hold (its footage goes back under retention). */
  async releaseHold(actor: RecordingActor, holdId: string | undefined): Promise<EvidenceHold> {
    const base = {
      action: 'recording.hold_release',
      targetKind: 'evidence_hold',
      targetId: holdId ?? null,
    } as const;
    if (!mayHold(actor.user)) {
      await this.#d.audit(
        this.#entry(actor, { ...base, result: 'deny', reason: 'forbidden:role', detail: {} }),
      );
      throw new AppError(
        'forbidden:role',
        'evidence holds are released by police with a county-level certificate or by approvers',
      );
    }
    if (holdId === undefined) throw new AppError('not_found:hold', 'no such evidence hold');
    const current = await loadHold(this.#d.db, holdId);
    if (current) {
      for (const id of current.cameraIds) {
        if (await this.#cameraRefusal(actor.user, id)) {
          await this.#d.audit(
            this.#entry(actor, {
              ...base,
              result: 'deny',
              reason: 'forbidden:tier',
              detail: { cameraId: id },
            }),
          );
          throw new AppError('not_found:hold', 'no such evidence hold');
        }
      }
    }
    const out = await this.#d.db.transaction(async (tx) => {
      const hold = await loadHold(tx, holdId, true);
      if (!hold) {
        await appendAudit(
          tx,
          this.#entry(actor, { ...base, result: 'deny', reason: 'not_found:hold', detail: {} }),
        );
        return new Refusal(new AppError('not_found:hold', 'no such evidence hold'));
      }
      if (hold.releasedAt) {
        await appendAudit(
          tx,
          this.#entry(actor, { ...base, result: 'deny', reason: 'conflict:released', detail: {} }),
        );
        return new Refusal(new AppError('conflict:released', 'this evidence hold was released already'));
      }
      const released = await releaseHold(tx, holdId, actor.user.id);
      await appendAudit(
        tx,
        this.#entry(actor, {
          ...base,
          result: 'ok',
          reason: null,
          detail: {
            cameraIds: hold.cameraIds,
            from: hold.from.toISOString(),
            to: hold.to.toISOString(),
            caseNumber: hold.caseNumber,
          },
        }),
      );
      return released;
    });
    if (out instanceof Refusal) throw out.error;
    return holdOut(out);
  }

  /** Holds whose every camera the caller may see (auditors: all). */
  async listHolds(
    actor: RecordingActor,
    q: { cameraId?: string | undefined; active?: boolean | undefined; limit: number },
  ): Promise<EvidenceHold[]> {
    const auditor = actor.user.roles.includes(AUDITOR_ROLE);
    if (!mayHold(actor.user) && !auditor) {
      await this.#d.audit(
        this.#entry(actor, {
          action: 'recording.hold_list',
          targetKind: 'evidence_hold',
          targetId: null,
          result: 'deny',
          reason: 'forbidden:role',
          detail: {},
        }),
      );
      throw new AppError(
        'forbidden:role',
        'evidence holds are for police with a county-level certificate, approvers and auditors',
      );
    }
    const rows = await listHolds(this.#d.db, { ...q, ...(q.cameraId ? { cameraId: q.cameraId } : {}) });
    const out: EvidenceHold[] = [];
    for (const h of rows) {
      if (!auditor && (await this.#anyHidden(actor.user, h.cameraIds))) continue;
      out.push(holdOut(h));
    }
    return out;
  }

  /** Verifies recordings (auditors); the verdict is audited before it is answered. */
  async verify(
    actor: RecordingActor,
    q: {
      cameraId?: string | undefined;
      profile?: StreamProfile | undefined;
      from?: string | undefined;
      to?: string | undefined;
      files: boolean;
    },
  ): Promise<RecordingVerifyReport> {
    const base = {
      action: 'recording.verify',
      targetKind: 'recording',
      targetId: q.cameraId ?? null,
    } as const;
    const filters = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
    if (!actor.user.roles.includes(AUDITOR_ROLE)) {
      await this.#d.audit(
        this.#entry(actor, { ...base, result: 'deny', reason: 'forbidden:role', detail: { filters } }),
      );
      throw new AppError('forbidden:role', 'only auditors verify recordings');
    }
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to) checkRange(from, to, Number.POSITIVE_INFINITY);
    const opts: VerifyRecordingsOptions = {
      cameraId: q.cameraId,
      profile: q.profile,
      from,
      to,
      storage: q.files ? this.#d.storage : undefined,
      orphanGraceMs: this.#d.orphanGraceMs,
    };
    const report = await verifyRecordings(this.#d.db, opts);
    await this.#d.audit(
      this.#entry(actor, {
        ...base,
        result: 'ok',
        // A broken chain is what the auditor asked to learn: the read itself succeeded.
        reason: report.firstBroken
          ? `recordings broken at segment ${report.firstBroken.segmentId} (${report.firstBroken.kind})`
          : report.orphanFiles > 0
            ? `${report.orphanFiles} orphan files`
            : null,
        detail: {
          filters,
          ok: report.ok,
          chains: report.chains,
          segments: report.segments,
          problemCount: report.problemCount,
          orphanFiles: report.orphanFiles,
          firstOrphan: report.orphans[0]?.storageKey ?? null,
          firstBroken: report.firstBroken ? { ...report.firstBroken } : null,
        },
      }),
    );
    return report;
  }

  async #cameraRefusal(
    user: CurrentUser,
    id: string,
  ): Promise<{ code: ErrorCode; message: string; why: string } | null> {
    const camera = UUID.test(id) ? await this.#d.decisions.camera(id) : undefined;
    if (!camera) return { code: 'not_found:camera', message: 'no such camera', why: 'not_found:camera' };
    const d = decide(subjectOf(user), camera.facts, 'catalog:read', {
      now: new Date(),
      openIncidents: await this.#d.decisions.incidents(),
    });
    if (d.allow) return null;
    if (hidesCamera(d)) return { code: 'not_found:camera', message: 'no such camera', why: d.reason };
    return { code: d.reason, message: DENY_MESSAGES[d.reason] ?? 'denied', why: d.reason };
  }

  async #anyHidden(user: CurrentUser, ids: readonly string[]): Promise<boolean> {
    for (const id of ids) if (await this.#cameraRefusal(user, id)) return true;
    return false;
  }

  #entry(
    actor: RecordingActor,
    e: Pick<AuditEntryInput, 'action' | 'targetKind' | 'targetId' | 'result' | 'reason' | 'detail'>,
  ): AuditEntryInput {
    return { actorId: actor.user.id, actorName: actor.user.username, address: actor.address, ...e };
  }
}

/**
 * The `playback:view` decision on a camera for footage [from, to] — the timeline's and playback's
 * (R-RET-1, R-RET-3, and an approved retrieval of the user's organisation, R-RET-2). Throws
 * not_found:camera for an id that is no camera.
 */
export async function decidePlaybackView(
  d: Pick<RecordingServiceDeps, 'decisions' | 'emergencyMaxMs' | 'incidentLookbackMs' | 'retrievalGrants'>,
  user: CurrentUser,
  cameraId: string,
  from: Date,
  to: Date,
): Promise<{ camera: CameraRecord; decision: Decision }> {
  const camera = UUID.test(cameraId) ? await d.decisions.camera(cameraId.toLowerCase()) : undefined;
  if (!camera) throw new AppError('not_found:camera', 'no such camera');
  const [openIncidents, approvals] = await Promise.all([
    d.decisions.incidents(),
    d.retrievalGrants ? d.retrievalGrants(user.orgId) : [],
  ]);
  const decision = decide(subjectOf(user), camera.facts, 'playback:view', {
    now: new Date(),
    openIncidents,
    ...(d.emergencyMaxMs > 0 ? { emergencyMaxMs: d.emergencyMaxMs } : {}),
    playback: { from, to, lookbackMs: d.incidentLookbackMs, approvals },
  });
  return { camera, decision };
}

/** The audit detail of a `playback:view` allow: the incident or the retrieval request it rides on. */
export function decisionDetail(decision: Decision): Record<string, string> {
  if (!decision.allow) return {};
  if (decision.emergency) return { incidentId: decision.emergency.incidentId };
  if (decision.retrieval) return { retrievalId: decision.retrieval.requestId };
  return {};
}

/** The error a refused `playback:view` answers (outside the caller's tier: like a missing camera). */
export function playbackRefusal(decision: DenyDecision): AppError {
  if (hidesCamera(decision)) return new AppError('not_found:camera', 'no such camera');
  return new AppError(decision.reason, DENY_MESSAGES[decision.reason] ?? 'denied');
}

/** `to` after `from`, and no longer than `maxDays`: else 400 `invalid:range`. */
export function checkRange(from: Date, to: Date, maxDays: number): void {
  if (!(to.getTime() > from.getTime())) throw new AppError('invalid:range', '`to` must be after `from`');
  if (to.getTime() - from.getTime() > maxDays * DAY_MS) {
    throw new AppError('invalid:range', `a range covers at most ${maxDays} days`);
  }
}

function holdOut(h: HoldRow): EvidenceHold {
  return {
    id: h.id,
    cameraIds: h.cameraIds,
    from: h.from.toISOString(),
    to: h.to.toISOString(),
    reason: h.reason,
    caseNumber: h.caseNumber,
    createdBy: h.createdBy,
    createdAt: h.createdAt.toISOString(),
    releasedBy: h.releasedBy,
    releasedAt: h.releasedAt ? h.releasedAt.toISOString() : null,
  };
}
