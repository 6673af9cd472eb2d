import { z } from 'zod';
import { departmentKindSchema, fundingSchema, streamProfileSchema } from './domain.ts';

// ——— Emergency access (R-ACC-4): owners are told, every use is listed for the after-action review ———
//
// A use is one stream token issued under a major incident's grant (`allowed:emergency`) — the
// `stream.token` entry of the audit log. A token the gateway minted but withheld because the media
// node failed gave no access and is listed as withheld (review) or not at all (owners).

/**
 * Pushed on the realtime namespace as `access:emergency` to the signed-in users of the camera's
 * owner organisation, once the token is issued and the node ingests the camera.
 */
export const emergencyUseNoticeSchema = z.object({
  /** The audit entry of the token issue (`stream.token`). */
  seq: z.number().int().positive(),
  at: z.iso.datetime({ offset: true }),
  cameraId: z.guid(),
  cameraName: z.string(),
  incidentId: z.guid(),
  profile: streamProfileSchema,
  /** Who watched, as the owner is told: the organisation and its kind, not the person. */
  actorOrgName: z.string(),
  actorDepartment: departmentKindSchema,
});
export type EmergencyUseNotice = z.infer<typeof emergencyUseNoticeSchema>;

/** One use as the owner lists it: `GET /api/emergency-uses` (cameras of the caller's organisation). */
export const emergencyUseSchema = emergencyUseNoticeSchema.extend({
  incidentTitle: z.string(),
  incidentLevel: z.number().int().min(1).max(4),
});
export type EmergencyUse = z.infer<typeof emergencyUseSchema>;

export const emergencyUsePageSchema = z.object({
  uses: z.array(emergencyUseSchema),
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: z.number().int().nullable(),
});
export type EmergencyUsePage = z.infer<typeof emergencyUsePageSchema>;

export const MAX_EMERGENCY_USE_PAGE = 200;

export const emergencyUseQuerySchema = z
  .object({
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_EMERGENCY_USE_PAGE).default(50),
  })
  .strict();

/** One use in the after-action review: who (the person too), which camera, whose, and whether withheld. */
export const reviewUseSchema = emergencyUseSchema.extend({
  actorId: z.guid().nullable(),
  actorName: z.string(),
  ownerOrgId: z.guid(),
  ownerOrgName: z.string(),
  funding: fundingSchema,
  /** The token was minted but not handed out (the media node failed): no video was seen. */
  withheld: z.boolean(),
});
export type ReviewUse = z.infer<typeof reviewUseSchema>;

/** Most uses one review lists; `truncated` says when there were more. */
export const MAX_REVIEW_USES = 10_000;

/** `GET /api/incidents/:id/review`: every use of the incident's emergency grant, oldest first. */
export const incidentReviewSchema = z.object({
  incidentId: z.guid(),
  title: z.string(),
  level: z.number().int().min(1).max(4),
  openedAt: z.iso.datetime({ offset: true }),
  closedAt: z.iso.datetime({ offset: true }).nullable(),
  /** A major incident's confirmation: its deadline (null: none needed), when and by whom it came. */
  confirmBy: z.iso.datetime({ offset: true }).nullable(),
  confirmedAt: z.iso.datetime({ offset: true }).nullable(),
  confirmedBy: z.string().nullable(),
  /** When the grant ended (or will end): closing, the set maximum, or the lapse of an unconfirmed one. */
  grantEndsAt: z.iso.datetime({ offset: true }).nullable(),
  uses: z.array(reviewUseSchema),
  truncated: z.boolean(),
  summary: z.object({
    /** Tokens handed out (withheld ones not counted). */
    uses: z.number().int(),
    withheld: z.number().int(),
    cameras: z.number().int(),
    privateCameras: z.number().int(),
    users: z.number().int(),
    ownerOrgs: z.number().int(),
  }),
});
export type IncidentReview = z.infer<typeof incidentReviewSchema>;
