import type { FastifyInstance } from 'fastify';
import { buildDocument, type Operation, openApiPath } from './document.ts';

export { COMMON_ERRORS, errorSchema, type Operation, WRITE_ERRORS } from './document.ts';
export { CORE_OPERATIONS, REGISTRY_OPERATIONS, WALL_OPERATIONS } from './operations.ts';

/**
 * Records every route as it is registered; call before registering any. `check()` then refuses to
 * start a gateway that serves an `/api` or health route the document does not describe, or
 * describes one it does not serve — the document cannot drift from the code.
 */
export function trackRoutes(app: FastifyInstance): { check: (ops: readonly Operation[]) => void } {
  const served = new Set<string>();
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      if (r.url.startsWith('/api/') || r.url === '/healthz')
        served.add(`${m.toLowerCase()} ${openApiPath(r.url)}`);
    }
  });
  return {
    check(ops) {
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

/** GET /api/openapi.json — built once from the operations. */
export function registerOpenApi(app: FastifyInstance, ops: readonly Operation[]): void {
  let doc: Record<string, unknown> | undefined;
  app.get('/api/openapi.json', async () => {
    doc ??= buildDocument(ops);
    return doc;
  });
}
