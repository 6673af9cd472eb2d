import { AUDIT_RESULTS, type AuditResult, clientText } from '@wall/protocol';
import { z } from 'zod';
import { type JsonObject, normalizeJsonObject, storableText } from './json.ts';

export { AUDIT_RESULTS, type AuditResult } from '@wall/protocol';
export type { JsonObject, JsonValue } from './json.ts';

/** Free text is cut, not refused: an over-long reason must not make the audited action fail. */
const text = (max: number) => z.string().transform((s) => storableText(s, max));

/**
 * One audit entry as the application describes it. Identifiers (`action`, `targetKind`) are
 * validated strictly (they come from code); free text (names, reasons, addresses, IDs that may
 * come from a client) is made storable: NUL and lone surrogates become U+FFFD, length is capped.
 */
export const auditEntryInputSchema = z
  .object({
    /** The user, when known; a failed login of an unknown name has only `actorName`. */
    actorId: z
      .guid()
      .transform((s) => s.toLowerCase())
      .nullish()
      .transform((v) => v ?? null),
    actorName: text(256),
    /** `domain.verb`, e.g. `auth.login`, `camera.view`, `registry.update`. */
    action: z
      .string()
      .max(100)
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/),
    targetKind: z
      .string()
      .max(64)
      .regex(/^[a-z][a-z0-9_]*$/)
      .nullish()
      .transform((v) => v ?? null),
    targetId: text(256)
      .nullish()
      .transform((v) => v ?? null),
    result: z.enum(AUDIT_RESULTS),
    reason: text(2000)
      .nullish()
      .transform((v) => v ?? null),
    /** Client address as the gateway saw it (after trusted proxies). */
    address: text(100)
      .nullish()
      .transform((v) => v ?? null),
    /** Access under an emergency override (break-glass). */
    emergency: z.boolean().default(false),
    /** Structured context; plain JSON only (keys are sorted for hashing, see canonical.ts). */
    detail: z
      .record(z.string(), z.unknown())
      .default({})
      .transform((d, ctx) => {
        try {
          return normalizeJsonObject(d);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
  })
  .strict();

export type AuditEntryInput = z.input<typeof auditEntryInputSchema>;
export type AuditEntry = z.output<typeof auditEntryInputSchema>;

/** A stored audit entry. */
export interface AuditRow {
  seq: number;
  at: Date;
  actorId: string | null;
  actorName: string;
  action: string;
  targetKind: string | null;
  targetId: string | null;
  result: AuditResult;
  reason: string | null;
  address: string | null;
  emergency: boolean;
  detail: JsonObject;
  prevHash: string;
  hash: string;
}

export const MAX_AUDIT_PAGE = 500;

/** Query string of `GET /api/audit`: every filter optional, newest first, keyset paging by `before`. */
export const auditQuerySchema = z
  .object({
    actorId: z
      .guid()
      .transform((s) => s.toLowerCase())
      .optional(),
    actor: clientText({ min: 1, max: 256 }).optional(),
    action: clientText({ min: 1, max: 100 }).optional(),
    targetKind: clientText({ min: 1, max: 64 }).optional(),
    targetId: clientText({ min: 1, max: 256 }).optional(),
    result: z.enum(AUDIT_RESULTS).optional(),
    emergency: z.stringbool().optional(),
    /** Inclusive lower bound of `at`. */
    from: z.iso.datetime({ offset: true }).optional(),
    /** Exclusive upper bound of `at`. */
    to: z.iso.datetime({ offset: true }).optional(),
    /** Only entries with a smaller seq: the `nextBefore` of the previous page. */
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(100),
  })
  .strict();

/** The query string as sent. */
export type AuditQuery = z.input<typeof auditQuerySchema>;
/** Filters as `listAudit` takes them (the parsed query; `limit` defaults to 100, at most MAX_AUDIT_PAGE). */
export type AuditFilter = Omit<z.output<typeof auditQuerySchema>, 'limit'> & { limit?: number };

export interface AuditPage {
  entries: AuditRow[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

export type AuditVerifyResult =
  | { ok: true; entries: number }
  | { ok: false; brokenAt: number; entries: number; why: 'hash' | 'link' | 'gap' };
