import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildDocument, type Operation, openApiPath } from './document.ts';
import { trackRoutes } from './index.ts';

const op = (method: Operation['method'], path: string): Operation => ({
  method,
  path,
  summary: 's',
  tag: 't',
  access: 'session',
  responses: { 200: { description: 'ok' } },
});

describe('OpenAPI document', () => {
  it('turns Fastify params into OpenAPI ones', () => {
    expect(openApiPath('/api/cameras/:id/live')).toBe('/api/cameras/{id}/live');
    expect(openApiPath('/api/walls/:wallId/commands/:n')).toBe('/api/walls/{wallId}/commands/{n}');
  });

  it('refuses to start when a route and the document disagree', async () => {
    const app = Fastify();
    const routes = trackRoutes(app);
    app.get('/api/a/:id', async () => ({}));
    app.post('/api/b', async () => ({}));
    app.get('/not-api', async () => ({}));
    expect(() => routes.check([op('get', '/api/a/{id}'), op('post', '/api/b')])).not.toThrow();
    expect(() => routes.check([op('get', '/api/a/{id}')])).toThrow('undocumented [post /api/b]');
    expect(() =>
      routes.check([op('get', '/api/a/{id}'), op('post', '/api/b'), op('delete', '/api/c')]),
    ).toThrow('not served [delete /api/c]');
    await app.close();
  });

  it('describes bodies, queries, path parameters and responses from the zod schemas', () => {
    const doc = buildDocument([
      {
        ...op('post', '/api/x/{id}'),
        access: 'session+csrf',
        query: z.object({ q: z.string().max(5), n: z.coerce.number().optional() }),
        body: z.object({ profile: z.enum(['main', 'sub']) }),
        responses: { 200: { description: 'ok', schema: z.object({ token: z.string() }) } },
      },
    ]) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.openapi).toBe('3.1.0');
    const post = doc.paths['/api/x/{id}']?.post as Record<string, unknown>;
    expect(post.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'q', in: 'query', required: true, schema: { type: 'string', maxLength: 5 } },
      { name: 'n', in: 'query', required: false, schema: expect.any(Object) },
    ]);
    expect(post.requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { profile: { type: 'string', enum: ['main', 'sub'] } },
            required: ['profile'],
          },
        },
      },
    });
    expect(post.security).toEqual([{ session: [] }]);
    expect(post['x-csrf']).toEqual(expect.stringContaining('x-csrf-token'));
  });
});
