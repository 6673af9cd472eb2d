import type { ErrorCode } from '@wall/protocol';

/** Codes the playback client raises itself (never sent by a server). */
export type PlaybackClientCode =
  | 'client:unsupported'
  | 'client:media'
  | 'client:network'
  | 'client:protocol'
  | 'client:closed'
  | 'playback:not_recorded';

/** A server code (`forbidden:retrieval`, `recording:damaged`, `token:expired`…) or a client one. */
export type PlaybackErrorCode = ErrorCode | PlaybackClientCode | (string & {});

export class PlaybackError extends Error {
  override readonly name = 'PlaybackError';
  readonly code: PlaybackErrorCode;

  constructor(code: PlaybackErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }
}

/** The policy or the session refuses: nothing to retry, the page says why. */
export function isRefusal(code: string): boolean {
  return code.startsWith('forbidden:') || code === 'unauthenticated' || code.startsWith('not_found:');
}

/** `{ code, message }` of a thrown gateway/client error; anything else is `internal`. */
export function errorBody(err: unknown): { code: string; message: string } {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    const message = 'message' in err && typeof err.message === 'string' ? err.message : err.code;
    return { code: err.code, message };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/**
 * The `{ code, message }` a media node or the gateway answered on a failed HLS request (hls.js
 * loads segments as array buffers and the playlist as text), or undefined when the body is not one.
 */
export function answeredError(body: unknown): { code: string; message: string } | undefined {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof ArrayBuffer) text = new TextDecoder().decode(body);
  if (text === undefined || text.length === 0 || text.length > 10_000) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== 'object' || json === null) return undefined;
    const { code, message } = json as { code?: unknown; message?: unknown };
    if (typeof code !== 'string' || code.length === 0) return undefined;
    return { code, message: typeof message === 'string' ? message : code };
  } catch {
    return undefined;
  }
}
