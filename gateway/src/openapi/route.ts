import { AppError, type ErrorCode, requestErrorCode } from '@wall/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Action } from '../policy/index.ts';
import { type Access, type Operation, openApiPath } from './document.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every operation registered with `registerRoutes`, in order: the OpenAPI document's source. */
    apiOperations: Operation[];
  }
}

/** The signed-in user and session, as identity decorates every request (`req.auth`). */
type Auth = NonNullable<FastifyRequest['auth']>;

type Part = 'params' | 'query' | 'body';
type Schema = z.ZodType | undefined;
type Parsed<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

/** The request as a handler sees it: validated parts, and the session for non-public routes. */
export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema, A extends Access> {
  req: FastifyRequest;
  reply: FastifyReply;
  auth: A extends 'public' ? Auth | null : Auth;
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

/** How a route answers a part that fails its schema (an AppError, thrown; may audit first). */
export type InvalidAnswer = (
  error: z.ZodError,
  ctx: { req: FastifyRequest; reply: FastifyReply },
) => AppError | Promise<AppError>;

export interface RouteDefinition<P extends Schema, Q extends Schema, B extends Schema, A extends Access> {
  method: Operation['method'];
  /** Fastify form: `/api/cameras/:id`. */
  url: string;
  summary: string;
  tag: string;
  /** Enforced: a non-public route answers 401 `unauthenticated` without a session (CSRF: identity's hook). */
  access: A;
  /**
   * `false` when the feature checks the session itself in `guard` (it is given a reader of the
   * session rather than identity's `req.auth`); its handler must not read `auth`.
   */
  sessionCheck?: false;
  rule?: string;
  /** The policy action the route decides, where there is one (documented as `x-policy-action`). */
  action?: Action;
  params?: P;
  query?: Q;
  body?: B;
  /** Per part, the answer to input that fails its schema; default {@link invalidRequest}. */
  invalid?: Partial<Record<Part, InvalidAnswer>>;
  /**
   * Runs after the session check and before validation: refusals that come first whatever the
   * input (a role the route needs, audited by the route).
   */
  guard?: (ctx: {
    req: FastifyRequest;
    reply: FastifyReply;
    auth: RouteInput<P, Q, B, A>['auth'];
  }) => Promise<void>;
  responses: Operation['responses'];
  /** The route's own body limit in bytes (default: the server's, 1 MiB), for uploads. */
  bodyLimit?: number;
  handler: (input: RouteInput<P, Q, B, A>) => Promise<unknown>;
}

/** A defined route with its types erased: what features hand to `registerRoutes`. */
export interface ApiRoute {
  readonly operation: Operation;
  register(app: FastifyInstance): void;
}

/**
 * 400 naming every bad field (paths and messages only; values, secrets included, are never echoed):
 * `invalid:control_char` when a string carried a control character, else `invalid:request`.
 */
export function invalidRequest(part: Part): InvalidAnswer {
  return (error) =>
    new AppError(
      requestErrorCode(error),
      error.issues.map((i) => `${i.path.map(String).join('.') || `(${part})`}: ${i.message}`).join('; '),
    );
}

/** Answers invalid input with one fixed error (e.g. a malformed id: `not_found:incident`). */
export function answer(code: ErrorCode, message: string): InvalidAnswer {
  return () => new AppError(code, message);
}

/**
 * One gateway operation, defined once: method, path, schemas, access, policy action and handler.
 * The route is registered with these schemas (validated in the order session → guard → params →
 * query → body), and the OpenAPI document is built from the same definition.
 */
export function defineRoute<
  A extends Access,
  P extends Schema = undefined,
  Q extends Schema = undefined,
  B extends Schema = undefined,
>(def: RouteDefinition<P, Q, B, A>): ApiRoute {
  const operation: Operation = {
    method: def.method,
    path: openApiPath(def.url),
    summary: def.summary,
    tag: def.tag,
    access: def.access,
    ...(def.rule ? { rule: def.rule } : {}),
    ...(def.action ? { action: def.action } : {}),
    ...(def.query ? { query: def.query } : {}),
    ...(def.body ? { body: def.body } : {}),
    responses: def.responses,
  };
  const parse = async (
    part: Part,
    schema: Schema,
    value: unknown,
    ctx: { req: FastifyRequest; reply: FastifyReply },
  ): Promise<unknown> => {
    if (!schema) return undefined;
    const out = await schema.safeParseAsync(value);
    if (out.success) return out.data;
    throw await (def.invalid?.[part] ?? invalidRequest(part))(out.error, ctx);
  };
  return {
    operation,
    register(app) {
      app.route({
        method: def.method.toUpperCase() as Uppercase<Operation['method']>,
        url: def.url,
        ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
        handler: async (req, reply) => {
          if (def.access !== 'public' && def.sessionCheck !== false && !req.auth)
            throw new AppError('unauthenticated', 'sign in first');
          const ctx = { req, reply };
          const auth = req.auth as RouteInput<P, Q, B, A>['auth'];
          await def.guard?.({ ...ctx, auth });
          const params = await parse('params', def.params, req.params, ctx);
          const query = await parse('query', def.query, req.query, ctx);
          const body = await parse('body', def.body, req.body, ctx);
          return def.handler({
            ...ctx,
            auth,
            params: params as Parsed<P>,
            query: query as Parsed<Q>,
            body: body as Parsed<B>,
          });
        },
      });
      app.apiOperations.push(operation);
    },
  };
}

/** Registers defined routes and records their operations on the app (for the document and its check). */
export function registerRoutes(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  if (!app.hasDecorator('apiOperations')) app.decorate('apiOperations', []);
  for (const r of routes) r.register(app);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that must be a UUID (lower-cased); pair it with `invalid.params` naming the resource. */
export const uuidParams = z.object({
  id: z
    .string()
    .regex(UUID)
    .transform((id) => id.toLowerCase()),
});

/**
 * A path id, lower-cased when it is a UUID, else `undefined` — for routes that answer a malformed
 * id only after their other checks (e.g. after the body), as a missing resource.
 */
export const lenientIdParams = z.object({
  id: z.string().transform((id) => (UUID.test(id) ? id.toLowerCase() : undefined)),
});
