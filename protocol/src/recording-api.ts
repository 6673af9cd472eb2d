import { z } from 'zod';
import { streamProfileSchema } from './domain.ts';
import { recordingGapReasonSchema } from './recording.ts';
import { clientText } from './text.ts';

// ——— The gateway's recording API (timeline, evidence holds, retention, verification) ———

/** The longest range one timeline request covers. */
export const MAX_TIMELINE_DAYS = 31;

const isoTime = z.iso.datetime({ offset: true });
const uuid = z.guid().transform((s) => s.toLowerCase());

/** `GET /api/cameras/:id/recordings?profile=&from=&to=` (from/to: ISO times, to > from, ≤ 31 days). */
export const recordingTimelineQuerySchema = z
  .object({
    profile: streamProfileSchema.default('main'),
    from: isoTime,
    to: isoTime,
  })
  .strict();

export const recordedRangeSchema = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  segments: z.number().int(),
  bytes: z.number().int(),
});

export const recordingGapItemSchema = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  reason: recordingGapReasonSchema,
  detail: z.string().nullable(),
});

export const evidenceHoldSchema = z.object({
  id: z.string(),
  cameraIds: z.array(z.string()),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  reason: z.string(),
  caseNumber: z.string(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  releasedBy: z.string().nullable(),
  releasedAt: z.iso.datetime().nullable(),
});
export type EvidenceHold = z.infer<typeof evidenceHoldSchema>;

export const recordingTimelineSchema = z.object({
  cameraId: z.string(),
  profile: streamProfileSchema,
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** Allowed under a major incident's grant (R-RET-3), not a standing right. */
  emergency: z.boolean(),
  ranges: z.array(recordedRangeSchema),
  gaps: z.array(recordingGapItemSchema),
  holds: z.array(evidenceHoldSchema),
});
export type RecordingTimeline = z.infer<typeof recordingTimelineSchema>;

/** `POST /api/recordings/holds`. */
export const createEvidenceHoldSchema = z
  .object({
    cameraIds: z.array(uuid).min(1).max(100),
    from: isoTime,
    to: isoTime,
    reason: clientText({ trim: true, min: 1, max: 500 }),
    caseNumber: clientText({ trim: true, min: 1, max: 100 }),
  })
  .strict();
export type CreateEvidenceHold = z.input<typeof createEvidenceHoldSchema>;

/** `GET /api/recordings/holds?cameraId=&active=`. */
export const evidenceHoldQuerySchema = z
  .object({
    cameraId: uuid.optional(),
    active: z.stringbool().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** `PUT /api/cameras/:id/retention`: days (≥ 30, RETENTION_FLOOR_DAYS), or null for the default. */
export const cameraRetentionSchema = z
  .object({ days: z.number().int().min(1).max(36_500).nullable() })
  .strict();

export const cameraRetentionAnswerSchema = z.object({
  cameraId: z.string(),
  /** The camera's own setting; null: the gateway's default. */
  days: z.number().int().nullable(),
  /** What applies now. */
  effectiveDays: z.number().int(),
});

/** `GET /api/recordings/verify?cameraId=&profile=&from=&to=&files=`. */
export const recordingVerifyQuerySchema = z
  .object({
    cameraId: uuid.optional(),
    profile: streamProfileSchema.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    /** Re-hash the files too (default true). */
    files: z.stringbool().default(true),
  })
  .strict();

export const recordingProblemSchema = z.object({
  /** `orphan_file`: a file in the recording directory that no index row names (past a grace period). */
  kind: z.enum(['altered', 'missing_file', 'chain_break', 'reordered', 'unexplained_gap', 'orphan_file']),
  /** The segment row; null for an orphan file. */
  segmentId: z.number().int().nullable(),
  node: z.string(),
  storageKey: z.string(),
  startAt: z.string(),
  detail: z.string(),
});

export const recordingVerifyReportSchema = z.object({
  ok: z.boolean(),
  chains: z.number().int(),
  segments: z.number().int(),
  /** Chain problems and orphan files together. */
  problemCount: z.number().int(),
  filesChecked: z.boolean(),
  /**
   * Files under the recording directory (in the camera/profile/time scope asked) that no index row
   * names, older than the grace period; searched when files are checked. `orphans` holds the first
   * ones (capped), `orphanFiles` counts them all.
   */
  orphanFiles: z.number().int(),
  orphans: z.array(recordingProblemSchema),
  firstBroken: recordingProblemSchema
    .extend({ cameraId: z.string(), profile: streamProfileSchema })
    .nullable(),
  results: z.array(
    z.object({
      cameraId: z.string(),
      profile: streamProfileSchema,
      ok: z.boolean(),
      segments: z.number().int(),
      problemCount: z.number().int(),
      cuts: z.number().int(),
      problems: z.array(recordingProblemSchema),
      firstBroken: recordingProblemSchema.nullable(),
    }),
  ),
});
