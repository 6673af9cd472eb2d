import { z } from 'zod';
import { streamProfileSchema } from './domain.ts';
import type { Ack } from './errors.ts';

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
});
export type StreamTokenClaims = z.infer<typeof streamTokenClaimsSchema>;

/** An RTSP source as the media node pulls it; credentials may be in the URL (never logged). */
export const rtspSourceSchema = z.object({
  kind: z.literal('rtsp'),
  url: z
    .string()
    .max(2048)
    .regex(/^rtsps?:\/\/[^\s]+$/, 'expected an rtsp:// or rtsps:// URL without whitespace'),
  transport: z.enum(['tcp', 'udp']).default('tcp'),
});
export type RtspSource = z.infer<typeof rtspSourceSchema>;

/** Control API (gateway → media node): make sure a camera profile is being ingested. */
export const ensureIngestRequestSchema = z.object({
  cameraId: z.string().min(1).max(128),
  profile: streamProfileSchema,
  source: rtspSourceSchema,
});
export type EnsureIngestRequest = z.infer<typeof ensureIngestRequestSchema>;

export const streamStateSchema = z.enum(['starting', 'live', 'stalled', 'offline']);
export type StreamState = z.infer<typeof streamStateSchema>;

/** Start-up steps of an ingest, with the time each was reached (ms since the epoch). */
export const startupStepSchema = z.enum([
  'ingest_spawned',
  'first_rtp',
  'first_keyframe',
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
});
export type StreamStatus = z.infer<typeof streamStatusSchema>;

/** What a media node publishes about itself in Redis (heartbeat). */
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
  token: z.string().min(1).max(4096),
  rtpCapabilities: jsonObject,
});
export const consumerRefSchema = z.object({ consumerId: z.string().min(1).max(64) });

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
}

export interface ViewerServerToClientEvents {
  /** The stream behind a consumer broke (worker death, source lost): consume again with a new token. */
  'stream:interrupted': (info: {
    consumerId: string;
    cameraId: string;
    profile: 'main' | 'sub';
    reason: string;
  }) => void;
}
