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

/** An incident whose area (radius) holds the camera and whose time overlaps the timeline's range. */
export const timelineIncidentSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** 1 = Ⅰ especially major … 4 = Ⅳ general. */
  level: z.number().int().min(1).max(4),
  /** Opened at. */
  from: z.iso.datetime(),
  /** Closed at; null while open. */
  to: z.iso.datetime().nullable(),
});
export type TimelineIncident = z.infer<typeof timelineIncidentSchema>;

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
  /** Incidents (open or closed) that covered the camera during the range, oldest first (at most 100). */
  incidents: z.array(timelineIncidentSchema),
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

// ——— Recording capacity (R-REC-3) ———

/** Bytes for people, in decimal units as disks are sold: `1.5 GB`, `300.0 MB`, `12 B`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** ok; warning: more than RECORDING_CAPACITY_WARN_RATIO of the space is needed; shortfall: more than all of it. */
export const capacityStatusSchema = z.enum(['ok', 'warning', 'shortfall']);
export type CapacityStatus = z.infer<typeof capacityStatusSchema>;

/** One camera profile recorded on a volume: its measured rate and what its retention needs. */
export const cameraCapacitySchema = z.object({
  cameraId: z.string(),
  profile: streamProfileSchema,
  /** Measured over the last 24 h, scaled to a day from the time recorded in it. */
  bytesPerDay: z.number().int(),
  retentionDays: z.number().int(),
  /** Footage older than the retention kept by an evidence hold. */
  heldBytes: z.number().int(),
  /** bytesPerDay × retentionDays + heldBytes. */
  neededBytes: z.number().int(),
  storedBytes: z.number().int(),
});
export type CameraCapacity = z.infer<typeof cameraCapacitySchema>;

/** A media node's recording volume against what its cameras' retention needs. */
export const volumeCapacitySchema = z.object({
  node: z.string(),
  status: capacityStatusSchema,
  /** Why, in words (English; the web has its own). */
  reason: z.string(),
  totalBytes: z.number().int(),
  freeBytes: z.number().int(),
  minFreeBytes: z.number().int(),
  /** What recordings may occupy: what they hold now plus the free space above the minimum. */
  usableBytes: z.number().int(),
  storedBytes: z.number().int(),
  neededBytes: z.number().int(),
  bytesPerDay: z.number().int(),
  /** When the free space reaches the minimum at the measured rate (shortfall only). */
  runsOutAt: z.iso.datetime().nullable(),
  measuredAt: z.iso.datetime(),
  cameras: z.array(cameraCapacitySchema),
  /** Recorders the node stopped for lack of space (lowest priority first). */
  stopped: z.array(
    z.object({
      cameraId: z.string(),
      profile: streamProfileSchema,
      priority: z.number().int(),
      since: z.iso.datetime(),
    }),
  ),
});
export type VolumeCapacity = z.infer<typeof volumeCapacitySchema>;

/** An active storage alarm: a volume in warning or shortfall, or a recorder stopped for lack of space. */
export const capacityAlarmSchema = z.object({
  /** Stable while the alarm lasts: `volume:<node>` or `stopped:<node>:<camera>:<profile>`. */
  id: z.string(),
  kind: z.enum(['capacity_warning', 'capacity_shortfall', 'recording_stopped']),
  node: z.string(),
  cameraId: z.string().nullable(),
  profile: streamProfileSchema.nullable(),
  since: z.iso.datetime(),
  runsOutAt: z.iso.datetime().nullable(),
  reason: z.string(),
});
export type CapacityAlarm = z.infer<typeof capacityAlarmSchema>;

/** `GET /api/recordings/capacity` (administrators and auditors) and the realtime `recording:capacity`. */
export const capacityReportSchema = z.object({
  /** The worst volume's status (ok with no volume reported). */
  status: capacityStatusSchema,
  evaluatedAt: z.iso.datetime(),
  volumes: z.array(volumeCapacitySchema),
  alarms: z.array(capacityAlarmSchema),
});
export type CapacityReport = z.infer<typeof capacityReportSchema>;

/** Realtime `recording:capacity` to administrators: the report after a change, and what changed. */
export const capacityChangeSchema = z.object({
  report: capacityReportSchema,
  raised: z.array(capacityAlarmSchema),
  cleared: z.array(capacityAlarmSchema),
});
export type CapacityChange = z.infer<typeof capacityChangeSchema>;
