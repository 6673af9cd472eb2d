import { z } from 'zod';
import { streamProfileSchema } from './domain.ts';
import type { Ack } from './errors.ts';
import { clientText } from './text.ts';

/** `POST /api/cameras/:id/live`: the profile to watch. */
export const liveRequestSchema = z.object({
  profile: streamProfileSchema,
  /** A page renewing the token of a stream it plays (before it expires): not a new use. */
  refresh: z.boolean().optional(),
});
export type LiveRequest = z.infer<typeof liveRequestSchema>;

/** The gateway's answer to a live request: the stream token and the media node to present it to. */
export const liveAnswerSchema = z.object({
  token: z.string().meta({ description: 'EdDSA JWT for the media node, valid ≤ 60 s' }),
  nodeUrl: z.string(),
  expiresAt: z.iso.datetime(),
  emergency: z.boolean().meta({ description: 'true when allowed by a major incident (R-ACC-4)' }),
});
export type LiveAnswer = z.infer<typeof liveAnswerSchema>;

/** `POST /api/cameras/:id/ptz`: the API's PTZ vocabulary (each kind of source translates it). */
export const PTZ_COMMANDS = ['left', 'right', 'up', 'down', 'zoom_in', 'zoom_out', 'stop'] as const;
export type PtzCommandName = (typeof PTZ_COMMANDS)[number];
export const ptzRequestSchema = z
  .object({
    command: z.enum(PTZ_COMMANDS),
    /** Pan/tilt speed 1–255 (zoom: scaled to 1–15); default 128. */
    speed: z.number().int().min(1).max(255).optional(),
  })
  .strict();
export type PtzRequest = z.infer<typeof ptzRequestSchema>;
export const ptzAnswerSchema = z.object({
  sent: z.string().meta({ description: 'the PTZCmd sent, 16 hex digits (A50F01…checksum)' }),
});

/** Longest lifetime a stream token may be issued with (R-ACC-5). */
export const STREAM_TOKEN_MAX_LIFETIME_S = 60;

/**
 * Claims of a stream token: an EdDSA (Ed25519) JWT the gateway signs for one user, one camera,
 * one profile and one media node, valid for at most 60 s from issue.
 */
export const streamTokenClaimsSchema = z.object({
  /** The user the stream is for. */
  sub: z.string().min(1).max(128),
  /** The camera. */
  cam: z.string().min(1).max(128),
  prof: streamProfileSchema,
  /** The media node that may serve it. */
  aud: z.string().min(1).max(128),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(8).max(64),
  /** Set when the policy allowed it as an emergency access (R-ACC-4). */
  emg: z.boolean().optional(),
  /** The incident whose emergency grant allowed it (with `emg`): its end ends the stream. */
  inc: z.string().min(1).max(64).optional(),
  /** The viewer's session as a one-way handle (not the session id): signing out ends the stream. */
  sid: z.string().min(1).max(64).optional(),
  /**
   * Playback tokens only: the recorded range `[fromMs, toMs)` (ms since the epoch) the holder may
   * fetch segments of. A token with `rng` is refused by live routes and one without it by playback
   * routes (`token:scope`).
   */
  rng: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).optional(),
});
export type StreamTokenClaims = z.infer<typeof streamTokenClaimsSchema>;

/** An RTSP source as the media node pulls it; credentials may be in the URL (never logged). */
export const rtspSourceSchema = z.object({
  kind: z.literal('rtsp'),
  url: clientText({ max: 2048 }).regex(
    /^rtsps?:\/\/[^\s]+$/,
    'expected an rtsp:// or rtsps:// URL without whitespace',
  ),
  transport: z.enum(['tcp', 'udp']).default('tcp'),
});
export type RtspSource = z.infer<typeof rtspSourceSchema>;

/**
 * A GB/T 28181 channel: the node opens a media port and receives PS over RTP from the device,
 * which the gateway INVITEs to that port (TCP passive by default: the node listens, the device
 * connects; UDP supported). `ssrc` is the `y=` SSRC of the INVITE (10 decimal digits); devices
 * that send another SSRC are logged, not dropped.
 */
export const gbSourceSchema = z.object({
  kind: z.literal('gb28181'),
  /** The channel's 20-digit GB ID (for logs and the stream status). */
  channelId: z.string().regex(/^[0-9]{20}$/),
  transport: z.enum(['tcp-passive', 'udp']).default('tcp-passive'),
  ssrc: z.string().regex(/^[0-9]{10}$/),
});
export type GbSource = z.infer<typeof gbSourceSchema>;

export const ingestSourceSchema = z.discriminatedUnion('kind', [rtspSourceSchema, gbSourceSchema]);
export type IngestSource = z.infer<typeof ingestSourceSchema>;

/** Control API (gateway → media node): make sure a camera profile is being ingested. */
export const ensureIngestRequestSchema = z.object({
  cameraId: clientText({ min: 1, max: 128 }),
  profile: streamProfileSchema,
  source: ingestSourceSchema,
});
export type EnsureIngestRequest = z.infer<typeof ensureIngestRequestSchema>;

/**
 * Where a GB device must send the media of an ensured GB ingest (the answer of ensure-ingest
 * carries it as `gbMedia` in the stream status): the gateway puts it in its INVITE's SDP. Present
 * while the node waits for (or receives) the device's stream.
 */
export const gbMediaSchema = z.object({
  ip: z.string(),
  port: z.number().int().min(1).max(65535),
  transport: z.enum(['tcp-passive', 'udp']),
  ssrc: z.string(),
  /** True until the device's first RTP packet arrived: the gateway must (re-)INVITE. */
  awaitingMedia: z.boolean(),
});
export type GbMedia = z.infer<typeof gbMediaSchema>;

/**
 * Gateway → node, `POST /control/ingest/:cameraId/:profile/steps`: signalling steps only the
 * gateway sees (INVITE sent, 200/ACK), so the stream's timeline shows every step in one place.
 */
export const ingestStepsSchema = z.object({
  invite_sent: z.number().optional(),
  invite_ok: z.number().optional(),
});

/**
 * What a node asks the gateway on `CHANNELS.keyframeRequest`: a key frame of a camera (a new viewer
 * joined a GB stream: the gateway sends DeviceControl IFameCmd).
 */
export const keyFrameRequestSchema = z.object({
  cameraId: z.string(),
  profile: streamProfileSchema,
  node: z.string(),
});

export const streamStateSchema = z.enum(['starting', 'live', 'stalled', 'offline']);
export type StreamState = z.infer<typeof streamStateSchema>;

/** Start-up steps of an ingest, with the time each was reached (ms since the epoch). */
export const startupStepSchema = z.enum([
  'ingest_spawned',
  // GB/T 28181 only: the gateway's INVITE, its 200 OK + ACK, the first PS pack header.
  'invite_sent',
  'invite_ok',
  'first_rtp',
  'first_ps_pack',
  'first_keyframe',
  'first_producer_packet',
  'first_consumer_frame',
]);

export const streamStatusSchema = z.object({
  cameraId: z.string(),
  profile: streamProfileSchema,
  node: z.string(),
  state: streamStateSchema,
  /** Why the stream is offline or stalled, in a stable word (e.g. `rtsp:401`, `unreachable`). */
  reason: z.string().optional(),
  codec: z.string().optional(),
  transcoded: z.boolean(),
  bitrateKbps: z.number(),
  fps: z.number(),
  width: z.number().optional(),
  height: z.number().optional(),
  lastKeyFrameAt: z.number().optional(),
  viewers: z.number().int(),
  startedAt: z.number(),
  timeline: z.partialRecord(startupStepSchema, z.number()),
  restarts: z.number().int(),
  /** GB/T 28181 ingests: where the device must send its media (see gbMediaSchema). */
  gbMedia: gbMediaSchema.optional(),
});
export type StreamStatus = z.infer<typeof streamStatusSchema>;

/** What a media node publishes about itself in Redis (heartbeat). */
/** A recorder the node stopped because its storage ran out (R-REC-3): lowest priority first. */
export const storageStopSchema = z.object({
  cameraId: z.string(),
  profile: streamProfileSchema,
  priority: z.number().int(),
  /** When it stopped (ms since the epoch). */
  since: z.number(),
});
export type StorageStop = z.infer<typeof storageStopSchema>;

/**
 * A media node's recording volume (R-REC-3): total and free bytes as recording sees them (with
 * RECORDING_CAPACITY_BYTES, the total is capped and free = cap − used), the free space below which
 * it stops recording, and the recorders it stopped for lack of space.
 */
export const nodeRecordingVolumeSchema = z.object({
  totalBytes: z.number().int().nonnegative(),
  freeBytes: z.number().int().nonnegative(),
  minFreeBytes: z.number().int().nonnegative(),
  measuredAt: z.number(),
  stopped: z.array(storageStopSchema),
});
export type NodeRecordingVolume = z.infer<typeof nodeRecordingVolumeSchema>;

export const mediaNodeInfoSchema = z.object({
  id: z.string(),
  /** Where browsers reach its signalling (socket.io) and snapshots. */
  publicUrl: z.string(),
  /** Where the gateway reaches its control API. */
  controlUrl: z.string(),
  workers: z.number().int(),
  streams: z.number().int(),
  consumers: z.number().int(),
  /** 0…1: a load figure for placement (CPU of the workers, streams). */
  load: z.number(),
  heartbeatAt: z.number(),
  /** Its recording volume as last measured (statfs of RECORDING_DIR); absent on a node that does not say. */
  recording: nodeRecordingVolumeSchema.optional(),
});
export type MediaNodeInfo = z.infer<typeof mediaNodeInfoSchema>;

// ——— Viewer signalling (socket.io namespace `/viewer` on the media node) ———

export const VIEWER_NAMESPACE = '/viewer';
/** Consumers one page may hold on its receive transport. */
export const MAX_CONSUMERS_PER_TRANSPORT = 64;

/** mediasoup objects cross the wire as plain JSON; the server validates what it receives. */
const jsonObject = z.record(z.string(), z.unknown());

export const transportConnectSchema = z.object({ dtlsParameters: jsonObject });
export const consumeRequestSchema = z.object({
  token: clientText({ min: 1, max: 4096 }),
  rtpCapabilities: jsonObject,
});
export const consumerRefSchema = z.object({ consumerId: clientText({ min: 1, max: 64 }) });
/** A fresh token for a consumer's stream, presented before the current one expires. */
export const streamRefreshSchema = z.object({
  consumerId: clientText({ min: 1, max: 64 }),
  token: clientText({ min: 1, max: 4096 }),
});

/**
 * Why a stream was ended by its right ending (`stream:revoked`), never resumed by the client on
 * its own: the viewer signed out, the emergency grant that allowed it ended (incident closed, not
 * confirmed in time, or at its maximum), the user's rights changed, the camera left service, or
 * no fresh token came before the last one expired.
 */
export const revocationReasonSchema = z.enum([
  'signed_out',
  'grant_ended',
  'rights_changed',
  'camera_out_of_service',
  'token_expired',
]);
export type RevocationReason = z.infer<typeof revocationReasonSchema>;

/** Gateway → media nodes on `CHANNELS.streamRevoke`: end every consumer whose token matches. */
export const streamRevocationSchema = z.object({
  scope: z.enum(['session', 'user', 'camera', 'incident']),
  id: z.string().min(1).max(128),
  reason: revocationReasonSchema,
});
export type StreamRevocation = z.infer<typeof streamRevocationSchema>;

export interface TransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}

export interface ConsumeResult {
  consumerId: string;
  producerId: string;
  cameraId: string;
  profile: 'main' | 'sub';
  kind: 'video';
  rtpParameters: unknown;
}

export interface ViewerClientToServerEvents {
  'router:capabilities': (ack: (res: Ack<{ rtpCapabilities: unknown }>) => void) => void;
  'transport:create': (ack: (res: Ack<TransportInfo>) => void) => void;
  'transport:connect': (req: { dtlsParameters: unknown }, ack: (res: Ack<null>) => void) => void;
  'stream:consume': (
    req: { token: string; rtpCapabilities: unknown },
    ack: (res: Ack<ConsumeResult>) => void,
  ) => void;
  'stream:resume': (req: { consumerId: string }, ack: (res: Ack<null>) => void) => void;
  'stream:close': (req: { consumerId: string }, ack: (res: Ack<null>) => void) => void;
  /** A fresh token for a consumer (same camera, profile and user); answers the new expiry (s). */
  'stream:refresh': (
    req: { consumerId: string; token: string },
    ack: (res: Ack<{ expiresAt: number }>) => void,
  ) => void;
}

export interface ViewerServerToClientEvents {
  /** The stream behind a consumer broke (worker death, source lost): consume again with a new token. */
  'stream:interrupted': (info: {
    consumerId: string;
    cameraId: string;
    profile: 'main' | 'sub';
    reason: string;
  }) => void;
  /** The right to the stream ended: the consumer is closed; do not consume it again on your own. */
  'stream:revoked': (info: {
    consumerId: string;
    cameraId: string;
    profile: 'main' | 'sub';
    reason: RevocationReason;
  }) => void;
}
