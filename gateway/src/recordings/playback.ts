import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  AppError,
  MAX_PLAYBACK_HOURS,
  PLAYBACK_PLAYLIST_PATH,
  type PlaybackAnswer,
  type StreamProfile,
  type StreamTokenClaims,
} from '@wall/protocol';
import { encodeStreamToken, verifyStreamToken } from '@wall/stream-token';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import type { CurrentUser } from '../lib/current-user.ts';
import type { MediaDirectory } from '../media/directory.ts';
import { issueStreamToken, sessionHandle } from '../media/tokens.ts';
import { playbackSummary, playlistSegmentsStarting } from './playback-repository.ts';
import { buildPlaylist } from './playlist.ts';
import { PlaylistSegmentCache } from './playlist-cache.ts';
import { gapsIn } from './repository.ts';
import {
  checkRange,
  decidePlaybackView,
  decisionDetail,
  playbackRefusal,
  type RetrievalGrants,
} from './service.ts';

export interface PlaybackServiceDeps {
  db: Db;
  decisions: DecisionService;
  directory: MediaDirectory;
  /** Records a decision; resolves once committed. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  /** The stream-token signing key; undefined when media is not configured (503). */
  tokenKey: KeyObject | undefined;
  /** PLAYBACK_INCIDENT_LOOKBACK_MIN in ms. */
  incidentLookbackMs: number;
  /** The emergency grant's ceiling (EMERGENCY_GRANT_MAX_H); 0: none. */
  emergencyMaxMs: number;
  /** Approved, unexpired retrievals of an organisation (R-RET-2); absent: none. */
  retrievalGrants?: RetrievalGrants;
  /**
   * The past hours' segments kept for playlists (PlaylistSegmentCache): default 200,000 segments
   * (≈ 9 camera-days of 4 s segments, ≈ 60 MB), each hour for 5 min once it ended 2 min ago.
   */
  playlistCache?: { maxSegments?: number; ttlMs?: number; settleMs?: number };
}

export interface PlaybackRequestInput {
  user: CurrentUser;
  sessionId: string;
  address: string;
  cameraId: string;
  profile: StreamProfile;
  from: string;
  to: string;
  refresh?: boolean | undefined;
}

/** A playback token's claims: `rng` present. */
type PlaybackClaims = StreamTokenClaims & { rng: [number, number] };

/**
 * Playback of recordings over HLS (protocol/src/playback.ts): a request is decided as
 * `playback:view` for its range exactly as the timeline is, audited (`recording.playback`, allow or
 * deny, with camera, profile and range), and answered with a playback token (a stream token with
 * `rng`, ≤ 60 s) for the media node holding the segments. The playlist is built from the index for
 * whoever holds a valid playback token.
 */
export class PlaybackService {
  readonly #d: PlaybackServiceDeps;
  readonly #publicKey: KeyObject | undefined;

  readonly #segments: PlaylistSegmentCache;

  constructor(deps: PlaybackServiceDeps) {
    this.#d = deps;
    this.#publicKey = deps.tokenKey ? createPublicKey(deps.tokenKey) : undefined;
    this.#segments = new PlaylistSegmentCache({
      load: (cameraId, profile, from, to) => playlistSegmentsStarting(deps.db, cameraId, profile, from, to),
      maxSegments: deps.playlistCache?.maxSegments ?? 200_000,
      ttlMs: deps.playlistCache?.ttlMs ?? 5 * 60_000,
      settleMs: deps.playlistCache?.settleMs ?? 2 * 60_000,
    });
  }

  /** Throws AppError: invalid:range, not_found:camera, forbidden:*, unavailable:dependency. */
  async request(r: PlaybackRequestInput): Promise<PlaybackAnswer> {
    const from = new Date(r.from);
    const to = new Date(r.to);
    checkRange(from, to, MAX_PLAYBACK_HOURS / 24);
    const { camera, decision } = await decidePlaybackView(this.#d, r.user, r.cameraId, from, to);
    const emergency = decision.allow && decision.reason === 'allowed:emergency';
    const range = { profile: r.profile, from: from.toISOString(), to: to.toISOString() };
    const entry: AuditEntryInput = {
      actorId: r.user.id,
      actorName: r.user.username,
      action: 'recording.playback',
      targetKind: 'camera',
      targetId: camera.facts.id,
      result: decision.allow ? 'allow' : 'deny',
      reason: decision.reason,
      address: r.address,
      emergency,
      detail: {
        policyAction: 'playback:view',
        ...range,
        ...(r.refresh ? { refresh: true } : {}),
        ...decisionDetail(decision),
      },
    };
    if (!decision.allow) {
      await this.#d.audit(entry);
      throw playbackRefusal(decision);
    }
    // The allow is audited whatever follows: with the token it issues, or as an error.
    let found: [Awaited<ReturnType<typeof playbackSummary>>, Awaited<ReturnType<MediaDirectory['nodes']>>];
    try {
      found = await Promise.all([
        playbackSummary(this.#d.db, camera.facts.id, r.profile, from, to),
        this.#d.directory.nodes(),
      ]);
    } catch (err) {
      await this.#d.audit({ ...entry, result: 'error', reason: 'internal' });
      throw err;
    }
    const [summary, nodes] = found;
    // The node holding most of the range's segments (now registered); with nothing recorded, any.
    const node =
      summary.map((s) => nodes.find((n) => n.id === s.node)).find((n) => n !== undefined) ??
      (summary.length === 0 ? nodes[0] : undefined);
    if (!this.#d.tokenKey || !node) {
      await this.#d.audit({ ...entry, result: 'error', reason: 'unavailable:dependency' });
      throw new AppError(
        'unavailable:dependency',
        this.#d.tokenKey
          ? 'the media node holding these recordings is not available'
          : 'media is not configured',
      );
    }
    const { token, claims } = issueStreamToken(this.#d.tokenKey, {
      userId: r.user.id,
      cameraId: camera.facts.id,
      profile: r.profile,
      nodeId: node.id,
      emergency,
      incidentId: decision.emergency?.incidentId,
      sessionHandle: sessionHandle(r.sessionId),
      range: [from.getTime(), to.getTime()],
    });
    const segments = summary.reduce((n, s) => n + s.segments, 0);
    const codec = summary.length === 0 ? null : summary.some((s) => s.codec === 'h265') ? 'h265' : 'h264';
    await this.#d.audit({
      ...entry,
      detail: { ...entry.detail, node: node.id, jti: claims.jti, expiresAt: claims.exp, segments, codec },
    });
    return {
      playlistUrl: `${PLAYBACK_PLAYLIST_PATH}?token=${token}`,
      token,
      nodeUrl: node.publicUrl,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      emergency,
      from: range.from,
      to: range.to,
      codec,
      transcoded: codec === 'h265',
      segments,
    };
  }

  /**
   * The VOD playlist of a playback token's camera, profile and range. The token is the credential
   * (signature, expiry, `rng`); segments on another node than its audience get a token for that
   * node with the same claims.
   */
  async playlist(token: string): Promise<Buffer> {
    const claims = this.#verify(token);
    const from = new Date(claims.rng[0]);
    const to = new Date(claims.rng[1]);
    const [segments, gaps, nodes] = await Promise.all([
      this.#segments.overlapping(claims.cam, claims.prof, claims.rng[0], claims.rng[1]),
      gapsIn(this.#d.db, claims.cam, claims.prof, from, to),
      this.#d.directory.nodes(),
    ]);
    const key = this.#d.tokenKey as KeyObject;
    // Only the nodes holding segments; the token's own node uses the playlist URL's token.
    const holding = new Set(segments.map((s) => s.node));
    const urls = new Map<string, { url: string; token: string | null }>();
    for (const n of nodes) {
      if (!holding.has(n.id)) continue;
      const t = n.id === claims.aud ? null : encodeStreamToken({ ...claims, aud: n.id }, key);
      urls.set(n.id, { url: n.publicUrl, token: t });
    }
    return buildPlaylist({
      segments,
      gaps: gaps.map((g) => ({ fromMs: g.from.getTime(), toMs: g.to.getTime() })),
      nodes: urls,
    });
  }

  /** A playback token this gateway signed, for any node: signature, expiry, lifetime, `rng`. */
  #verify(token: string): PlaybackClaims {
    if (!this.#publicKey) throw new AppError('unavailable:dependency', 'media is not configured');
    // The audience is checked by the node that serves the segments; here any node's is accepted.
    let aud = '';
    try {
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      if (typeof payload?.aud === 'string') aud = payload.aud;
    } catch {
      // not JSON: verifyStreamToken answers token:malformed
    }
    const claims = verifyStreamToken(token, { publicKey: this.#publicKey, nodeId: aud });
    if (!claims.rng) throw new AppError('token:scope', 'a live stream token does not open recordings');
    return claims as PlaybackClaims;
  }
}
