import { PROTOCOL_VERSION } from '@wall/protocol';
import { z } from 'zod';

/** Who may call an operation, as the document states it (the routes enforce it). */
export type Access = 'public' | 'session' | 'session+csrf';

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI form: `/api/cameras/{id}`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /** Extra words on who may call it beyond `access` (roles, policy actions). */
  rule?: string;
  /** The policy action the operation decides, where there is one. */
  action?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export const errorSchema = z.object({
  code: z.string().meta({ description: 'stable error code, e.g. forbidden:grade (never renamed or reused)' }),
  message: z.string(),
});

/** Errors every authenticated operation may answer. */
export const COMMON_ERRORS: Operation['responses'] = {
  400: {
    description:
      'invalid:request — the body or query failed validation; invalid:control_char — a string carried a control character',
    schema: errorSchema,
  },
  401: { description: 'unauthenticated — no valid session', schema: errorSchema },
};
export const WRITE_ERRORS: Operation['responses'] = {
  ...COMMON_ERRORS,
  403: {
    description: 'forbidden:csrf / forbidden:* — CSRF token or origin wrong, or denied',
    schema: errorSchema,
  },
};

/** A policy denial of a camera action, as the camera routes answer it. */
export const DENIED: Operation['responses'][number] = {
  description:
    'denied by the policy: forbidden:grade | forbidden:private | forbidden:role | forbidden:state (a camera outside the caller’s tier is 404, like a missing one)',
  schema: errorSchema,
};
export const CAMERA_NOT_FOUND: Operation['responses'][number] = {
  description:
    'not_found:camera — no such camera, or one outside the caller’s tier (answered alike; audited)',
  schema: errorSchema,
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** Fastify's `/api/cameras/:id` → OpenAPI's `/api/cameras/{id}`. */
export function openApiPath(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The OpenAPI 3.1 document for the given operations, schemas from the same zod the routes use. */
export function buildDocument(operations: readonly Operation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = op.query ? jsonSchema(op.query, 'input') : undefined;
    const queryProps = (query?.properties ?? {}) as Record<string, unknown>;
    const required = new Set((query?.required as string[] | undefined) ?? []);
    const queryParams = Object.entries(queryProps).map(([name, schema]) => ({
      name,
      in: 'query',
      required: required.has(name),
      schema,
    }));
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = {
      summary: op.summary,
      tags: [op.tag],
      ...(op.rule ? { description: op.rule } : {}),
      ...(op.action ? { 'x-policy-action': op.action } : {}),
      ...(params.length + queryParams.length > 0 ? { parameters: [...params, ...queryParams] } : {}),
      ...(op.access === 'session+csrf'
        ? {
            'x-csrf': 'the session’s CSRF token in the x-csrf-token header, from a configured web origin',
          }
        : {}),
      security: op.access === 'public' ? [] : [{ session: [] }],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(op.body, 'input') } },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.schema
              ? { content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } }
              : {}),
          },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Emergency-command video wall — gateway API',
      version: PROTOCOL_VERSION,
      description:
        'Every access is decided by the policy (security grade × permission tier, Art. 9/12/21 of the ' +
        'Changzhou measures) and audited. Cookie-authenticated writes need the x-csrf-token header.',
    },
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'wall_sid' } },
    },
    paths,
  };
}
