export { appendAudit, MAX_DETAIL_CHARS } from './append.ts';
export { AuditBatcher, type AuditBatcherOptions } from './batcher.ts';
export {
  type AuditContent,
  CANONICAL_FORMAT,
  canonicalAudit,
  canonicalJson,
  GENESIS_HASH,
  hashAudit,
} from './canonical.ts';
export { insertOnHead, writeBatch } from './chain.ts';
export { listAudit } from './query.ts';
export { type AuditRoutesDeps, registerAuditRoutes } from './routes.ts';
export {
  AUDIT_RESULTS,
  type AuditEntry,
  type AuditEntryInput,
  type AuditFilter,
  type AuditPage,
  type AuditQuery,
  type AuditResult,
  type AuditRow,
  type AuditVerifyResult,
  auditEntryInputSchema,
  auditQuerySchema,
  type JsonObject,
  type JsonValue,
  MAX_AUDIT_PAGE,
} from './types.ts';
export { joinRanges, type RangeResult, type VerifyAuditOptions, verifyAudit, verifyRange } from './verify.ts';
export { defaultVerifyWorkers, type VerifyInWorkersOptions, verifyAuditInWorkers } from './verify-workers.ts';
