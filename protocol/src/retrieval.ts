import { z } from 'zod';
import { clientText } from './text.ts';

// ——— Retrieval of recordings (Art. 21, 22; R-RET-1…3): requests and their approval ———

/** The longest time range one retrieval request names. */
export const MAX_RETRIEVAL_RANGE_DAYS = 31;
/** Cameras one request names at most. */
export const MAX_RETRIEVAL_CAMERAS = 64;
/** Time ranges one request names at most. */
export const MAX_RETRIEVAL_RANGES = 16;

/**
 * The legal basis a request names (Art. 21):
 * - `certificate` — police holding a county-level-or-above certificate (¶1, R-RET-1);
 * - `approval` — another administrative department, approved by county-level-or-above police (¶2, R-RET-2);
 * - `emergency` — a public-order, natural-disaster, accident or public-health emergency, for
 *   departments with investigation and handling powers (¶3, R-RET-3); names the incident.
 */
export const RETRIEVAL_BASES = ['certificate', 'approval', 'emergency'] as const;
export const retrievalBasisSchema = z.enum(RETRIEVAL_BASES);
export type RetrievalBasis = z.infer<typeof retrievalBasisSchema>;

/** The kinds of sudden public event of Art. 21 ¶3 (社会治安、自然灾害、事故灾难、公共卫生). */
export const INCIDENT_KINDS = ['public_order', 'natural_disaster', 'accident', 'public_health'] as const;
export const incidentKindSchema = z.enum(INCIDENT_KINDS);
export type IncidentKind = z.infer<typeof incidentKindSchema>;

/**
 * draft → submitted → approved | rejected; approved → executed → closed. A draft, submitted or
 * approved request may be closed (withdrawn). An approved request not executed within
 * RETRIEVAL_APPROVAL_TTL_H reads as `expired` (computed, never stored).
 */
export const RETRIEVAL_STATES = [
  'draft',
  'submitted',
  'approved',
  'rejected',
  'executed',
  'closed',
  'expired',
] as const;
export const retrievalStateSchema = z.enum(RETRIEVAL_STATES);
export type RetrievalState = z.infer<typeof retrievalStateSchema>;

/** Approval documents accepted, by their magic bytes (the declared type is not trusted). */
export const RETRIEVAL_DOCUMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type RetrievalDocumentType = (typeof RETRIEVAL_DOCUMENT_TYPES)[number];

const isoTime = z.iso.datetime({ offset: true });
const uuid = z.guid().transform((s) => s.toLowerCase());

export const retrievalRangeSchema = z.object({ from: isoTime, to: isoTime }).strict();
export type RetrievalRange = z.infer<typeof retrievalRangeSchema>;

/** `POST /api/retrievals` (a draft) and `PATCH /api/retrievals/:id` (edit the draft: the whole request). */
export const retrievalDraftSchema = z
  .object({
    cameraIds: z.array(uuid).min(1).max(MAX_RETRIEVAL_CAMERAS),
    ranges: z.array(retrievalRangeSchema).min(1).max(MAX_RETRIEVAL_RANGES),
    purpose: clientText({ trim: true, min: 1, max: 500 }),
    caseNumber: clientText({ trim: true, min: 1, max: 64 }),
    basis: retrievalBasisSchema,
    /** The incident of an `emergency` request; absent otherwise. */
    incidentId: uuid.optional(),
  })
  .strict();
export type RetrievalDraft = z.infer<typeof retrievalDraftSchema>;

/**
 * `POST /api/retrievals/:id/approve`: the approval-document number and the document itself
 * (PDF, PNG or JPEG, base64; its type is read from its bytes, its size limited by
 * RETRIEVAL_DOCUMENT_MAX_BYTES).
 */
export const retrievalApprovalSchema = z
  .object({
    documentNumber: clientText({ trim: true, min: 1, max: 64 }),
    /** The file name as uploaded, kept for the download. */
    documentName: clientText({ trim: true, min: 1, max: 200 }),
    documentBase64: z.base64(),
  })
  .strict();
export type RetrievalApproval = z.infer<typeof retrievalApprovalSchema>;

/** `POST /api/retrievals/:id/reject`. */
export const retrievalRejectionSchema = z
  .object({ reason: clientText({ trim: true, min: 1, max: 500 }) })
  .strict();

/** `GET /api/retrievals?state=`. */
export const retrievalListQuerySchema = z
  .object({
    state: retrievalStateSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const retrievalDocumentInfoSchema = z.object({
  number: z.string(),
  name: z.string(),
  contentType: z.enum(RETRIEVAL_DOCUMENT_TYPES),
  bytes: z.number().int(),
  sha256: z.string(),
});

export const retrievalRequestSchema = z.object({
  id: z.string(),
  state: retrievalStateSchema,
  basis: retrievalBasisSchema,
  cameraIds: z.array(z.string()),
  ranges: z.array(z.object({ from: z.iso.datetime(), to: z.iso.datetime() })),
  purpose: z.string(),
  caseNumber: z.string(),
  incidentId: z.string().nullable(),
  /** The incident's kind when the basis is `emergency`. */
  incidentKind: incidentKindSchema.nullable(),
  orgId: z.string(),
  requestedBy: z.string(),
  requestedByName: z.string(),
  createdAt: z.iso.datetime(),
  submittedAt: z.iso.datetime().nullable(),
  decidedBy: z.string().nullable(),
  decidedByName: z.string().nullable(),
  decidedAt: z.iso.datetime().nullable(),
  rejectionReason: z.string().nullable(),
  /** An approval not executed by this instant expires. */
  expiresAt: z.iso.datetime().nullable(),
  executedAt: z.iso.datetime().nullable(),
  closedAt: z.iso.datetime().nullable(),
  document: retrievalDocumentInfoSchema.nullable(),
});
export type RetrievalRequest = z.infer<typeof retrievalRequestSchema>;
export const retrievalListSchema = z.array(retrievalRequestSchema);
