import { z } from 'zod';

/**
 * Stable error codes. A code is never renamed or reused: clients and audit rows depend on it.
 * The HTTP status belongs to the code, so every service answers the same code the same way.
 */
export const ERROR_CODES = {
  'invalid:request': 400,
  /** A string from a client carried a control character (NUL, CR, LF … — see text.ts). */
  'invalid:control_char': 400,
  /** A path segment longer than the router takes (the URL is not echoed). */
  'invalid:url_too_long': 414,
  'invalid:config': 500,
  unauthenticated: 401,
  'forbidden:grade': 403,
  'forbidden:tier': 403,
  'forbidden:private': 403,
  'forbidden:role': 403,
  'forbidden:state': 403,
  'forbidden:csrf': 403,
  'refused:private_space': 422,
  'not_found:route': 404,
  'not_found:camera': 404,
  rate_limited: 429,
  'unavailable:dependency': 503,
  // Stream tokens (R-ACC-5): the media server serves nothing without a valid one.
  'token:missing': 401,
  'token:malformed': 401,
  'token:signature': 401,
  'token:expired': 401,
  'token:lifetime': 401,
  'token:camera': 403,
  'token:node': 403,
  'token:profile': 403,
  /** A live token presented for playback, or a playback token for live or outside its range. */
  'token:scope': 403,
  // Media streams.
  'stream:not_ingested': 409,
  'stream:offline': 503,
  'stream:unsupported_codec': 422,
  'invalid:source_url': 422,
  'transport:missing': 409,
  'transport:limit': 429,
  'not_found:consumer': 404,
  // Registry (cameras, source systems).
  'not_found:source': 404,
  'conflict:state': 409,
  'conflict:duplicate': 409,
  'conflict:in_use': 409,
  'invalid:location': 422,
  'invalid:reference': 422,
  // Walls and realtime.
  'auth:required': 401,
  'forbidden:origin': 403,
  'forbidden:wall': 403,
  'not_found:wall': 404,
  'conflict:version': 409,
  // Incidents.
  'not_found:incident': 404,
  'forbidden:area': 403,
  'forbidden:same_person': 403,
  'invalid:incident_radius': 422,
  'conflict:confirmed': 409,
  'conflict:lapsed': 409,
  // GB/T 28181.
  'ptz:unsupported': 422,
  // Recording, retention and playback (R-REC-1…3, R-RET-1…3).
  /** Playback needs a retrieval right (county-level police certificate) or an approval (R-RET-2). */
  'forbidden:retrieval': 403,
  /** A retention below the 30-day floor (R-REC-1). */
  'invalid:retention_floor': 400,
  /** A time range that ends before it starts, or is longer than the route allows. */
  'invalid:range': 400,
  'not_found:hold': 404,
  /** The evidence hold was released already. */
  'conflict:released': 409,
  /** A recorded segment whose file no longer has the SHA-256 the index holds: not played. */
  'recording:damaged': 409,
  /** A recorded segment whose file is gone. */
  'recording:missing': 404,
  /** A recorded segment the node cannot serve to a browser (e.g. H.265 with no transcoder). */
  'recording:codec': 422,
  /** The node's H.265 → H.264 playback transcoder has too many segments waiting: try again shortly. */
  'recording:transcode_busy': 503,
  /** The playback transcode of a recorded segment failed or took too long. */
  'recording:transcode_failed': 502,
  // Retrieval requests and their approval (Art. 21, 22; R-RET-1…3).
  'not_found:retrieval': 404,
  /** Approvals are given by police holding a county-level-or-above certificate with the approver role. */
  'forbidden:certificate': 403,
  /** A request's legal basis does not fit the requester (e.g. `certificate` asked by a non-police user). */
  'forbidden:basis': 403,
  /** An `emergency` request without an incident, or whose incident has no kind. */
  'invalid:basis': 422,
  /** The approved request was not executed within RETRIEVAL_APPROVAL_TTL_H: ask again. */
  'conflict:expired': 409,
  /** An approval document that is not a PDF, PNG or JPEG by its bytes. */
  'invalid:document_type': 415,
  /** An approval document over RETRIEVAL_DOCUMENT_MAX_BYTES, or empty. */
  'invalid:document_size': 413,
  internal: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}

/** Acknowledgement of a socket.io request: the request/response shape of every acked event. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/**
 * The one error type of every service: a stable code, its HTTP status, and a cause kept
 * server-side (never sent to clients).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = httpStatusOf(code);
  }
}
