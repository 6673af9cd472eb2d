import { AppError, clientText } from '@wall/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildDocument } from './document.ts';
import { trackRoutes } from './index.ts';
import { answer, defineRoute, lenientIdParams, registerRoutes, uuidParams } from './route.ts';

const ID = '7D0E8F0A-1B2C-4D3E-8F4A-5B6C7D8E9F00';
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A bare app answering AppErrors like the gateway, with `req.auth` set from an x-user header. */
function bare(): FastifyInstance {
  const a = Fastify();
  a.decorateRequest('auth', null);
  a.addHook('onRequest', async (req) => {
    const user = req.headers['x-user'];
    if (typeof user === 'string') req.auth = { user: { id: user }, session: { id: 's' } } as never;
  });
  a.setErrorHandler((err, _req, reply) =>
    err instanceof AppError
      ? reply.code(err.status).send({ code: err.code, message: err.message })
      : reply.code(500).send({ code: 'internal', message: String(err) }),
  );
  return a;
}

describe('defineRoute', () => {
  it('checks, in order, the session, the guard, params, query and body, then runs the handler', async () => {
    app = bare();
    const routes = trackRoutes(app);
    const seen: string[] = [];
    registerRoutes(app, [
      defineRoute({
        method: 'post',
        url: '/api/things/:id',
        summary: 's',
        tag: 't',
        access: 'session+csrf',
        action: 'live:view',
        guard: async ({ req }) => {
          seen.push('guard');
          if (req.headers['x-refuse']) throw new AppError('forbidden:role', 'no');
        },
        params: uuidParams,
        query: z.object({ n: z.coerce.number().int().optional() }),
        body: z.object({ name: clientText({ max: 10 }) }),
        invalid: { params: answer('not_found:camera', 'no such camera') },
        responses: { 200: { description: 'ok' } },
        handler: async ({ auth, params, query, body }) => ({
          user: auth.user.id,
          id: params.id,
          n: query.n,
          body,
        }),
      }),
    ]);
    routes.check();
    const call = (url: string, payload: unknown, headers: Record<string, string> = { 'x-user': 'u1' }) =>
      app?.inject({ method: 'POST', url, payload: payload as object, headers });
    const bad = { name: 'x'.repeat(11) };

    const none = await call(`/api/things/nope?n=x`, bad, {});
    expect([none?.statusCode, none?.json().code]).toEqual([401, 'unauthenticated']);
    expect(seen).toEqual([]);
    const refused = await call(`/api/things/nope?n=x`, bad, { 'x-user': 'u1', 'x-refuse': '1' });
    expect([refused?.statusCode, refused?.json().code]).toEqual([403, 'forbidden:role']);
    const badId = await call(`/api/things/nope?n=x`, bad);
    expect([badId?.statusCode, badId?.json()]).toEqual([
      404,
      { code: 'not_found:camera', message: 'no such camera' },
    ]);
    const badQuery = await call(`/api/things/${ID}?n=x`, bad);
    expect([badQuery?.statusCode, badQuery?.json().code]).toEqual([400, 'invalid:request']);
    expect(badQuery?.json().message).toMatch(/^n: /);
    const badBody = await call(`/api/things/${ID}?n=2`, bad);
    expect([badBody?.statusCode, badBody?.json().code]).toEqual([400, 'invalid:request']);
    const control = await call(`/api/things/${ID}`, { name: 'a\u0007b' });
    expect([control?.statusCode, control?.json().code]).toEqual([400, 'invalid:control_char']);
    const notObject = await call(`/api/things/${ID}`, [1]);
    expect(notObject?.json().message).toMatch(/^\(body\): /);
    const ok = await call(`/api/things/${ID}?n=2`, { name: 'ok' });
    expect([ok?.statusCode, ok?.json()]).toEqual([
      200,
      { user: 'u1', id: ID.toLowerCase(), n: 2, body: { name: 'ok' } },
    ]);
  });

  it('feeds the OpenAPI document from the same definition, and the served-route check', async () => {
    app = bare();
    const routes = trackRoutes(app);
    registerRoutes(app, [
      defineRoute({
        method: 'get',
        url: '/api/things/:id',
        summary: 'one thing',
        tag: 't',
        access: 'public',
        action: 'catalog:read',
        params: lenientIdParams,
        query: z.object({ q: z.string().max(5) }),
        responses: { 200: { description: 'ok', schema: z.object({ id: z.string().nullable() }) } },
        handler: async ({ params }) => ({ id: params.id ?? null }),
      }),
    ]);
    expect(app.apiOperations.map((o) => `${o.method} ${o.path}`)).toEqual(['get /api/things/{id}']);
    expect(() => routes.check()).not.toThrow();
    app.get('/api/undocumented', async () => ({}));
    expect(() => routes.check()).toThrow('undocumented [get /api/undocumented]');
    const doc = buildDocument(app.apiOperations) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const get = doc.paths['/api/things/{id}']?.get;
    expect(get?.['x-policy-action']).toBe('catalog:read');
    expect(get?.security).toEqual([]);
    expect(get?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'q', in: 'query', required: true, schema: { type: 'string', maxLength: 5 } },
    ]);
    // A lenient id: anything that is not a UUID reaches the handler as undefined.
    const res = await app.inject({ method: 'GET', url: '/api/things/nope?q=a' });
    expect(res.json()).toEqual({ id: null });
  });
});
