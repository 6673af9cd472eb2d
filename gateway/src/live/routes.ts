import { liveAnswerSchema, liveRequestSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  answer,
  CAMERA_NOT_FOUND,
  COMMON_ERRORS,
  DENIED,
  defineRoute,
  errorSchema,
  registerRoutes,
} from '../openapi/index.ts';
import { LiveService, type LiveServiceDeps } from './service.ts';

/** POST /api/cameras/:id/live — see {@link LiveService}. */
export function registerLiveRoutes(app: FastifyInstance, deps: LiveServiceDeps): LiveService {
  const live = new LiveService(deps);
  registerRoutes(app, [
    defineRoute({
      method: 'post',
      url: '/api/cameras/:id/live',
      summary: 'Live view: decide, audit, place on a media node, ensure ingest, issue a stream token',
      tag: 'live',
      access: 'session+csrf',
      action: 'live:view',
      rule: 'Policy action live:view. Every decision is audited (camera.live), and the token issue (stream.token). A denial starts nothing and issues nothing. A page playing the stream asks again with refresh: true before its token expires (decided and audited again, the issue as stream.refresh, not a new emergency use) and hands the token to the node (stream:refresh); a node closes a consumer whose token expired unrefreshed.',
      // Any id: one that is not a camera's answers 404 not_found:camera (the decision finds none).
      params: z.object({ id: z.string() }),
      body: liveRequestSchema,
      invalid: { body: answer('invalid:request', 'profile must be "main" or "sub"') },
      responses: {
        200: { description: 'the token and the node to present it to', schema: liveAnswerSchema },
        ...COMMON_ERRORS,
        403: DENIED,
        404: CAMERA_NOT_FOUND,
        503: { description: 'unavailable:dependency — no media node, or it failed', schema: errorSchema },
      },
      handler: async ({ req, auth, params, body }) =>
        live.request({
          user: auth.user,
          sessionId: auth.session.id,
          address: req.ip,
          cameraId: params.id,
          profile: body.profile,
          refresh: body.refresh,
        }),
    }),
  ]);
  return live;
}
