import { z } from 'zod';

/** The outcome recorded with each audit entry. */
export const AUDIT_RESULTS = ['allow', 'deny', 'ok', 'error'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** One audit entry as `GET /api/audit` answers it (auditors only). */
export const auditRowSchema = z.object({
  seq: z.number().int(),
  at: z.iso.datetime(),
  actorId: z.string().nullable(),
  actorName: z.string(),
  action: z.string(),
  targetKind: z.string().nullable(),
  targetId: z.string().nullable(),
  result: z.enum(AUDIT_RESULTS),
  reason: z.string().nullable(),
  address: z.string().nullable(),
  emergency: z.boolean(),
  detail: z.record(z.string(), z.unknown()),
  prevHash: z.string().meta({ description: 'SHA-256 (hex) of the previous entry' }),
  hash: z.string().meta({ description: 'SHA-256 (hex) of this entry’s canonical content' }),
});
export type AuditRowWire = z.infer<typeof auditRowSchema>;

/** `GET /api/audit`: newest first, keyset-paged by `seq`. */
export const auditPageSchema = z.object({
  entries: z.array(auditRowSchema),
  nextBefore: z.number().int().nullable(),
});
