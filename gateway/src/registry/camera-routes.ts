import {
  cameraCreateSchema,
  cameraItemSchema,
  cameraMapCompactSchema,
  cameraMapGeoJsonSchema,
  cameraMapQuerySchema,
  cameraPageSchema,
  cameraSearchQuerySchema,
  cameraUpdateSchema,
} from '@wall/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Auth } from '../identity/index.ts';
import {
  answer,
  CAMERA_NOT_FOUND,
  COMMON_ERRORS,
  DENIED,
  defineRoute,
  errorSchema,
  lenientIdParams,
  registerRoutes,
  uuidParams,
  WRITE_ERRORS,
} from '../openapi/index.ts';
import { CameraService } from './camera-service.ts';
import type { RegistryDeps } from './deps.ts';
import { REGISTRY_RULE } from './source-routes.ts';

const noSuchCamera = answer('not_found:camera', 'no such camera');
const actorOf = (req: FastifyRequest, auth: Auth) => ({ user: auth.user, address: req.ip });
/** The route's `:id` as the audit names the target of a refusal (null when it is not a UUID). */
const targetIdOf = (req: FastifyRequest) => lenientIdParams.parse(req.params).id ?? null;

/** Cameras: `/api/cameras` (search, map list, read, register, change, remove). */
export function registerCameraRoutes(app: FastifyInstance, deps: RegistryDeps): CameraService {
  const cameras = new CameraService(deps, app.log);
  const changeGuard =
    (action: 'camera.update' | 'camera.remove') =>
    ({ req, auth }: { req: FastifyRequest; auth: Auth }) =>
      cameras.requireAdmin(
        actorOf(req, auth),
        { action, targetKind: 'camera', targetId: targetIdOf(req) },
        'only registry administrators change cameras',
      );
  registerRoutes(app, [
    defineRoute({
      method: 'get',
      url: '/api/cameras',
      summary: 'Search cameras: bbox, radius, district, category, grade, state, text; cursor-paged',
      tag: 'registry',
      access: 'session',
      action: 'catalog:read',
      rule: 'Only cameras the caller may catalog:read (policy), emergency-visible ones flagged.',
      query: cameraSearchQuerySchema,
      responses: { 200: { description: 'a page', schema: cameraPageSchema }, ...COMMON_ERRORS },
      handler: async ({ auth, query }) => cameras.search(auth.user, query),
    }),
    defineRoute({
      method: 'get',
      url: '/api/cameras/geojson',
      summary: 'Every camera the caller may see, for the map (GeoJSON or a compact form)',
      tag: 'registry',
      access: 'session',
      action: 'catalog:read',
      query: cameraMapQuerySchema,
      responses: {
        200: {
          description: 'the cameras',
          schema: z.union([cameraMapGeoJsonSchema, cameraMapCompactSchema]),
        },
        ...COMMON_ERRORS,
      },
      handler: async ({ reply, auth, query }) => {
        const body = await cameras.map(auth.user, query);
        return reply
          .type(query.format === 'geojson' ? 'application/geo+json' : 'application/json')
          .send(body);
      },
    }),
    defineRoute({
      method: 'get',
      url: '/api/cameras/:id',
      summary: 'One camera’s file (catalog:read; out of tier answers 404 like a missing camera)',
      tag: 'registry',
      access: 'session',
      action: 'catalog:read',
      params: uuidParams,
      invalid: { params: noSuchCamera },
      responses: {
        200: { description: 'the camera', schema: cameraItemSchema },
        ...COMMON_ERRORS,
        403: DENIED,
        404: CAMERA_NOT_FOUND,
      },
      handler: async ({ req, auth, params }) => cameras.read(actorOf(req, auth), params.id),
    }),
    defineRoute({
      method: 'post',
      url: '/api/cameras',
      summary: 'Register a camera (Art. 9: private-space locations refused with refused:private_space)',
      tag: 'registry',
      access: 'session+csrf',
      rule: REGISTRY_RULE,
      guard: ({ req, auth }) =>
        cameras.requireAdmin(
          actorOf(req, auth),
          { action: 'camera.register', targetKind: 'camera', targetId: null },
          'only registry administrators register cameras',
        ),
      body: cameraCreateSchema,
      responses: {
        201: { description: 'registered', schema: cameraItemSchema },
        ...WRITE_ERRORS,
        409: { description: 'conflict:duplicate', schema: errorSchema },
        422: {
          description: 'refused:private_space | invalid:location | invalid:reference',
          schema: errorSchema,
        },
      },
      handler: async ({ req, reply, auth, body }) =>
        reply.code(201).send(await cameras.register(actorOf(req, auth), body)),
    }),
    defineRoute({
      method: 'patch',
      url: '/api/cameras/:id',
      summary: 'Change a camera (lifecycle registered → accepted → in_service → removed)',
      tag: 'registry',
      access: 'session+csrf',
      rule: REGISTRY_RULE,
      guard: changeGuard('camera.update'),
      params: uuidParams,
      body: cameraUpdateSchema,
      invalid: { params: noSuchCamera },
      responses: {
        200: { description: 'changed', schema: cameraItemSchema },
        ...WRITE_ERRORS,
        404: { description: 'not_found:camera', schema: errorSchema },
        409: { description: 'conflict:state', schema: errorSchema },
        422: { description: 'refused:private_space | invalid:location', schema: errorSchema },
      },
      handler: async ({ req, auth, params, body }) => cameras.update(actorOf(req, auth), params.id, body),
    }),
    defineRoute({
      method: 'delete',
      url: '/api/cameras/:id',
      summary: 'Remove a camera (state removed; its file and audit stay)',
      tag: 'registry',
      access: 'session+csrf',
      rule: REGISTRY_RULE,
      guard: changeGuard('camera.remove'),
      params: uuidParams,
      invalid: { params: noSuchCamera },
      responses: {
        200: { description: 'removed', schema: cameraItemSchema },
        ...WRITE_ERRORS,
        404: { description: 'not_found:camera', schema: errorSchema },
      },
      handler: async ({ req, auth, params }) => cameras.remove(actorOf(req, auth), params.id),
    }),
  ]);
  return cameras;
}
