import type { ErrorCode } from '@wall/protocol';

/** Codes the live client raises itself (never sent by a server). */
export type ClientErrorCode =
  | 'client:timeout'
  | 'client:disconnected'
  | 'client:closed'
  | 'client:unsupported'
  | 'client:protocol'
  | 'client:transport_failed'
  | 'client:not_connected';

/** A server code from `@wall/protocol`, a client code, or (for a newer server) a code we do not know yet. */
export type LiveErrorCode = ErrorCode | ClientErrorCode | (string & {});

/**
 * Errors a server answers that may go away by themselves (a stream being re-ingested, a worker being
 * replaced, a dropped connection): worth another attempt after a pause.
 */
const TRANSIENT: ReadonlySet<string> = new Set<LiveErrorCode>([
  'stream:not_ingested',
  'stream:offline',
  'transport:missing',
  'not_found:consumer',
  'unavailable:dependency',
  'rate_limited',
  'internal',
  'client:timeout',
  'client:disconnected',
  'client:transport_failed',
]);

export class LiveViewerError extends Error {
  override readonly name = 'LiveViewerError';
  readonly code: LiveErrorCode;

  constructor(code: LiveErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }

  /** Whether trying the same thing again later may succeed. */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

export function isLiveViewerError(err: unknown): err is LiveViewerError {
  return err instanceof LiveViewerError;
}

/** Any thrown value as a LiveViewerError (unknown failures become `internal`). */
export function toLiveViewerError(err: unknown, fallback: LiveErrorCode = 'internal'): LiveViewerError {
  if (err instanceof LiveViewerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LiveViewerError(fallback, message, { cause: err });
}

/** `{ code, message }` as the server sends it in a nack or in a `connect_error`'s `data`. */
export function errorBodyOf(value: unknown): { code: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message } = value as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || code.length === 0) return undefined;
  return { code, message: typeof message === 'string' ? message : code };
}
