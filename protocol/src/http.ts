import type { ErrorBody } from './errors.ts';

/**
 * Headers on every HTTP answer of the gateway and the media nodes (JSON, snapshots, errors): never
 * sniffed into another type, never framed, never cached (answers are per user and per decision),
 * no referrer to whatever a client opens next, and a document-level policy that lets nothing run.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
});

/**
 * The answer to a request the HTTP router refused before any route ran (Fastify's
 * `frameworkErrors`: a path parameter over the router's length limit, a URL that does not
 * decode), in the platform's `{ code, message }` shape. The URL is never echoed.
 */
export function routerErrorAnswer(frameworkCode: string | undefined): { status: number; body: ErrorBody } {
  if (frameworkCode === 'FST_ERR_MAX_PARAM_LENGTH') {
    return { status: 414, body: { code: 'invalid:url_too_long', message: 'the URL is too long' } };
  }
  return { status: 400, body: { code: 'invalid:request', message: 'malformed URL' } };
}

/** What the two hooks below use of a Fastify reply (structural: protocol imports no server). */
interface ReplyLike {
  headers(values: Readonly<Record<string, string>>): ReplyLike;
  code(status: number): ReplyLike;
  send(body: unknown): unknown;
}

/**
 * Fastify's `frameworkErrors` for both services: the router's own refusals (a path segment over
 * its length limit: 414; a URL that does not decode: 400) in the platform's shape, with the
 * security headers, never echoing the URL.
 */
export function answerRouterError(err: { code?: string }, _req: unknown, reply: ReplyLike): void {
  const { status, body } = routerErrorAnswer(err.code);
  void reply.headers(API_SECURITY_HEADERS).code(status).send(body);
}

/** An `onRequest` hook, registered first, so that every answer carries API_SECURITY_HEADERS. */
export function securityHeadersHook(_req: unknown, reply: ReplyLike, done: () => void): void {
  reply.headers(API_SECURITY_HEADERS);
  done();
}
