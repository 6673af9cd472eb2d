import type { FastifyInstance } from 'fastify';
import { buildDocument, type Operation, openApiPath } from './document.ts';
import { defineRoute, registerRoutes } from './route.ts';

export {
  type Access,
  CAMERA_NOT_FOUND,
  COMMON_ERRORS,
  DENIED,
  errorSchema,
  type Operation,
  WRITE_ERRORS,
} from './document.ts';
export {
  type ApiRoute,
  answer,
  defineRoute,
  type InvalidAnswer,
  invalidRequest,
  lenientIdParams,
  type RouteDefinition,
  type RouteInput,
  registerRoutes,
  uuidParams,
} from './route.ts';

/**
 * Records every route as it is registered; call before registering any. `check()` then refuses to
 * start a gateway that serves an `/api` or health route the document does not describe, or
 * describes one it does not serve — the document cannot drift from the code.
 */
export function trackRoutes(app: FastifyInstance): { check: (ops?: readonly Operation[]) => void } {
  const served = new Set<string>();
  if (!app.hasDecorator('apiOperations')) app.decorate('apiOperations', []);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      if (r.url.startsWith('/api/') || r.url === '/healthz')
        served.add(`${m.toLowerCase()} ${openApiPath(r.url)}`);
    }
  });
  return {
    /** Against the given operations, by default those registered with `registerRoutes`. */
    check(ops = app.apiOperations) {
      const documented = new Set(ops.map((o) => `${o.method} ${o.path}`));
      const undocumented = [...served].filter((k) => !documented.has(k));
      const unserved = [...documented].filter((k) => !served.has(k));
      if (undocumented.length > 0 || unserved.length > 0) {
        throw new Error(
          `OpenAPI document out of step with the routes: undocumented [${undocumented.join(', ')}], not served [${unserved.join(', ')}]`,
        );
      }
    },
  };
}

/** GET /api/openapi.json — built once, on first request, from every registered route's definition. */
export function registerOpenApi(app: FastifyInstance): void {
  let doc: Record<string, unknown> | undefined;
  registerRoutes(app, [
    defineRoute({
      method: 'get',
      url: '/api/openapi.json',
      summary: 'This document',
      tag: 'health',
      access: 'public',
      responses: { 200: { description: 'OpenAPI 3.1' } },
      handler: async () => {
        doc ??= buildDocument(app.apiOperations);
        return doc;
      },
    }),
  ]);
}
