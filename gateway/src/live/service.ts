import type { KeyObject } from 'node:crypto';
import { AppError, type EmergencyUseNotice, type LiveAnswer, type StreamProfile } from '@wall/protocol';
import type { DecisionService } from '../decisions/index.ts';
import { type EmergencyDetail, noticeOf } from '../emergency/index.ts';
import type { CurrentUser } from '../identity/index.ts';
import type { MediaDirectory } from '../media/directory.ts';
import { issueStreamToken, sessionHandle } from '../media/tokens.ts';
import { hidesCamera, subjectOf } from '../policy/index.ts';
import type { SourceRegistry } from '../sources/index.ts';

export interface AuditWrite {
  actorId: string;
  actorName: string;
  action: string;
  targetKind: string;
  targetId: string;
  result: 'allow' | 'deny' | 'ok' | 'error';
  reason: string;
  address: string;
  emergency?: boolean;
  detail?: Record<string, unknown>;
}

export interface LiveServiceDeps {
  decisions: DecisionService;
  /** The source kinds: how a camera's stream reaches a media node (URL pull, INVITE, …). */
  sources: SourceRegistry;
  directory: MediaDirectory;
  /** Undefined when live video is not configured (no signing key or control secret). */
  media?: { tokenKey: KeyObject; controlSecret: string };
  /** Resolves with the entry's place in the chain once it is committed (group commit: see AuditBatcher). */
  audit: (entry: AuditWrite) => Promise<{ seq: number; at: Date }>;
  /**
   * Told of each use of a major incident's grant once the node ingests the camera (R-ACC-4: the
   * owner is notified). Must not throw; a failure to tell is the callee's to log.
   */
  onEmergencyUse?: (use: { ownerOrgId: string; notice: EmergencyUseNotice }) => void;
}

const DENY_MESSAGES: Record<string, string> = {
  'forbidden:grade': 'your clearance is below this camera’s security grade',
  'forbidden:private': 'this privately owned camera is open only to its owner outside a major incident',
  'forbidden:role': 'your department has no right to live video without a granting role',
  'forbidden:state': 'this camera is not in service',
};

/** One live request: who, from where, which camera and profile. */
export interface LiveRequestInput {
  user: CurrentUser;
  /** The session id (the token carries a one-way handle of it). */
  sessionId: string;
  address: string;
  cameraId: string;
  profile: StreamProfile;
  /** A page renewing the token of a stream it plays: decided and audited again, not a new use. */
  refresh?: boolean | undefined;
}

/**
 * Live access (use case): decide (policy), audit the decision, prepare the camera's stream by its
 * source kind, place it on a media node, make sure the node ingests it, and issue a stream token
 * (≤ 60 s). A denied request starts no ingest and issues no token.
 */
export class LiveService {
  readonly #deps: LiveServiceDeps;

  constructor(deps: LiveServiceDeps) {
    this.#deps = deps;
  }

  /** Throws AppError: not_found:camera, forbidden:*, unavailable:dependency. */
  async request(r: LiveRequestInput): Promise<LiveAnswer> {
    const outcome = await this.#deps.decisions.decide(subjectOf(r.user), r.cameraId, 'live:view');
    if (!outcome) throw new AppError('not_found:camera', 'no such camera');
    const { camera, decision } = outcome;
    const entry: AuditWrite = {
      actorId: r.user.id,
      actorName: r.user.username,
      action: 'camera.live',
      targetKind: 'camera',
      targetId: camera.facts.id,
      result: decision.allow ? 'allow' : 'deny',
      reason: decision.reason,
      address: r.address,
      emergency: decision.allow && decision.reason === 'allowed:emergency',
      detail: {
        policyAction: 'live:view',
        profile: r.profile,
        ...(r.refresh ? { refresh: true } : {}),
        // An emergency use keeps who owned and funded the camera and who watched, as they were now
        // (the owners' notices and the after-action review read them from the log).
        ...(decision.allow && decision.emergency
          ? ({
              incidentId: decision.emergency.incidentId,
              ownerOrgId: camera.facts.ownerOrgId,
              funding: camera.facts.funding,
              actorOrgId: r.user.orgId,
            } satisfies EmergencyDetail)
          : {}),
      },
    };
    // Every decision is audited, allow or deny, before anything acts on it. An allow is written
    // together with its token issue, in one commit, after the read-only preparation (source URL,
    // placement) and before the node is asked to ingest.
    if (!decision.allow) {
      await this.#deps.audit(entry);
      // Outside the caller's tier: answered exactly like a missing camera (the audit keeps why).
      if (hidesCamera(decision)) throw new AppError('not_found:camera', 'no such camera');
      throw new AppError(decision.reason, DENY_MESSAGES[decision.reason] ?? 'denied');
    }
    const prepare = async () => {
      if (!this.#deps.media)
        throw new AppError('unavailable:dependency', 'live video is not configured on this gateway');
      // The kind's read-only preparation: the URL and its credentials, or the device's gateway.
      const stream = this.#deps.sources.get(camera.sourceKind).stream(camera, r.profile);
      const node = await this.#deps.directory.place(camera.facts.id, r.profile);
      if (!node) throw new AppError('unavailable:dependency', 'no media node is available');
      return { media: this.#deps.media, stream, node };
    };
    let prepared: Awaited<ReturnType<typeof prepare>>;
    try {
      prepared = await prepare();
    } catch (err) {
      await this.#deps.audit(entry);
      throw err;
    }
    const { media, stream, node } = prepared;
    const { token, claims } = issueStreamToken(media.tokenKey, {
      userId: r.user.id,
      cameraId: camera.facts.id,
      profile: r.profile,
      nodeId: node.id,
      emergency: entry.emergency === true,
      incidentId: decision.emergency?.incidentId,
      sessionHandle: sessionHandle(r.sessionId),
    });
    const tokenEntry: AuditWrite = {
      ...entry,
      action: r.refresh ? 'stream.refresh' : 'stream.token',
      result: 'ok',
      reason: 'issued',
      detail: { ...entry.detail, node: node.id, jti: claims.jti, expiresAt: claims.exp },
    };
    const [, issued] = await Promise.all([this.#deps.audit(entry), this.#deps.audit(tokenEntry)]);
    // If the node fails, the minted token is withheld, and that is audited too.
    const [ingest] = await Promise.allSettled([stream.ensure(node, media.controlSecret)]);
    if (ingest.status === 'rejected') {
      const code = ingest.reason instanceof AppError ? ingest.reason.code : 'internal';
      await this.#deps.audit({ ...tokenEntry, result: 'error', reason: `withheld:${code}` });
      throw ingest.reason;
    }
    if (decision.emergency && !r.refresh) {
      this.#deps.onEmergencyUse?.({
        ownerOrgId: camera.facts.ownerOrgId,
        notice: noticeOf({
          seq: issued.seq,
          at: issued.at,
          cameraId: camera.facts.id,
          cameraName: camera.name,
          incidentId: decision.emergency.incidentId,
          profile: r.profile,
          actor: r.user,
        }),
      });
    }
    return {
      token,
      nodeUrl: node.publicUrl,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      emergency: entry.emergency === true,
    };
  }
}
