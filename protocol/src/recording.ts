import { z } from 'zod';
import { streamProfileSchema } from './domain.ts';
import { ingestSourceSchema } from './media.ts';

// ——— Recording (R-REC-1…3, R-MED-3): what a media node records and tells the gateways ———
//
// A media node records each camera with a recording plan continuously, from the same relay as
// live (one connection to the camera), without re-encoding: the camera's own bitstream in
// fragmented-MP4 segments that start on key frames. Each segment file is self-contained (its own
// `ftyp`+`moov`, then `moof`+`mdat`), so it plays and verifies alone; `initBytes` says where the
// media part starts, for HLS byte ranges. The node appends one event per closed segment, and one
// per gap, to the Redis stream RECORDING_EVENTS_STREAM; the gateways index them in PostgreSQL
// (chained per camera) — the stream keeps them while no gateway reads.

/** Recordings are kept at least this long; nothing can set or delete below it (R-REC-1, Art. 18(7)). */
export const RETENTION_FLOOR_DAYS = 30;

/** The Redis stream (a key: scoped by the connection's database) of `recordingEventSchema` entries. */
export const RECORDING_EVENTS_STREAM = 'media:recording-events';
/**
 * The one field of each stream entry: its value is the JSON of a `recordingEventSchema` event
 * (`XADD media:recording-events MAXLEN ~ 1000000 * event '{"kind":"segment",…}'`).
 */
export const RECORDING_EVENT_FIELD = 'event';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** A path under the node's recording store, `/`-separated, no `..`, no leading `/`. */
export const storageKeySchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, 'a relative path of safe characters');

export const recordedSegmentSchema = z.object({
  kind: z.literal('segment'),
  node: z.string().min(1).max(128),
  cameraId: z.string().min(1).max(128),
  profile: streamProfileSchema,
  /** Wall-clock time of the segment's first frame and of its end (exclusive), ms since the epoch. */
  startMs: z.number().int().nonnegative(),
  endMs: z.number().int().nonnegative(),
  /** Media duration from the samples' timestamps (may differ from endMs − startMs by clock drift). */
  durationMs: z.number().int().nonnegative(),
  frames: z.number().int().positive(),
  bytes: z.number().int().positive(),
  /** Bytes of `ftyp`+`moov` at the start of the file. */
  initBytes: z.number().int().positive(),
  /** SHA-256 of the whole file as written. */
  sha256: sha256Hex,
  storageKey: storageKeySchema,
  codec: z.enum(['h264', 'h265']),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
});
export type RecordedSegment = z.infer<typeof recordedSegmentSchema>;

/** Why a camera's recording has a hole: recorded as such, never a silent one. */
export const recordingGapReasonSchema = z.enum([
  /** The camera stopped delivering (ingest offline or stalled). */
  'source_lost',
  /** The media node (re)started: nothing was recorded while it was down. */
  'node_restart',
  /** Recording of this camera stopped because storage ran out (lowest priority first). */
  'storage_full',
  /** The plan was switched off or the camera left service. */
  'recording_stopped',
  /** Frames could not be recorded (a write failed, an unsupported stream). */
  'recorder_error',
]);
export type RecordingGapReason = z.infer<typeof recordingGapReasonSchema>;

export const recordingGapSchema = z.object({
  kind: z.literal('gap'),
  node: z.string().min(1).max(128),
  cameraId: z.string().min(1).max(128),
  profile: streamProfileSchema,
  fromMs: z.number().int().nonnegative(),
  toMs: z.number().int().nonnegative(),
  reason: recordingGapReasonSchema,
  /** Words for a person (e.g. the ingest's own reason `rtsp:401`); never credentials. */
  detail: z.string().max(200).optional(),
});
export type RecordingGap = z.infer<typeof recordingGapSchema>;

export const recordingEventSchema = z.discriminatedUnion('kind', [recordedSegmentSchema, recordingGapSchema]);
export type RecordingEvent = z.infer<typeof recordingEventSchema>;

/** Gateway → media node: record this camera profile continuously (an entry of the node's plan). */
export const recordingPlanEntrySchema = z.object({
  cameraId: z.string().min(1).max(128),
  profile: streamProfileSchema,
  /** Lower numbers stop first when storage runs out (0 = lowest). */
  priority: z.number().int().min(0).max(100).default(50),
  /** What the node ingests to record it (a URL it pulls: it records without the gateway). */
  source: ingestSourceSchema,
});
export type RecordingPlanEntry = z.infer<typeof recordingPlanEntrySchema>;

/** `PUT /control/recordings`: the node's whole plan (replaces the one before). */
export const recordingPlanRequestSchema = z.object({
  plan: z.array(recordingPlanEntrySchema).max(2000),
});
export type RecordingPlanRequest = z.input<typeof recordingPlanRequestSchema>;
