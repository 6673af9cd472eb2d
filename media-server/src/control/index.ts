import { timingSafeEqual } from 'node:crypto';
import {
  clientText,
  ensureIngestRequestSchema,
  ingestStepsSchema,
  type MediaNodeInfo,
  requestErrorCode,
  streamProfileSchema,
} from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { IngestManager } from '../ingest/index.ts';
import { AppError } from '../lib/app-error.ts';
import { type Recordings, recordingPlanRequestSchema } from '../recording/index.ts';

export interface ControlDeps {
  ingests: IngestManager;
  secret: string;
  nodeInfo: () => MediaNodeInfo;
  recordings: Recordings;
}

function authorized(header: string | undefined, secret: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function issues(list: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return list.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');
}

const streamParams = z.object({ cameraId: clientText({ min: 1, max: 128 }), profile: streamProfileSchema });

/**
 * The control API, for the gateway only: shared-secret bearer auth (constant-time compare) on a
 * listener that binds to loopback or the private network (MEDIA_HOST).
 */
export async function registerControlRoutes(app: FastifyInstance, deps: ControlDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req) => {
      if (!authorized(req.headers.authorization, deps.secret)) {
        throw new AppError('unauthenticated', 'the control API needs the node secret');
      }
    });

    scope.post('/control/ingest', async (req) => {
      const body = ensureIngestRequestSchema.safeParse(req.body);
      if (!body.success) throw new AppError(requestErrorCode(body.error), issues(body.error.issues));
      const ingest = await deps.ingests.ensure(body.data);
      return ingest.status();
    });

    scope.delete('/control/ingest/:cameraId/:profile', async (req, reply) => {
      const p = streamParams.safeParse(req.params);
      if (!p.success) throw new AppError(requestErrorCode(p.error), 'bad camera or profile');
      if (!deps.ingests.stop(p.data.cameraId, p.data.profile)) {
        throw new AppError('stream:not_ingested', 'the camera is not being ingested on this node');
      }
      return reply.code(204).send();
    });

    // GB/T 28181: the gateway reports the signalling steps (INVITE sent, 200 OK + ACK) of an ingest.
    scope.post('/control/ingest/:cameraId/:profile/steps', async (req) => {
      const p = streamParams.safeParse(req.params);
      if (!p.success) throw new AppError(requestErrorCode(p.error), 'bad camera or profile');
      const body = ingestStepsSchema.safeParse(req.body);
      if (!body.success) throw new AppError(requestErrorCode(body.error), issues(body.error.issues));
      const ingest = deps.ingests.get(p.data.cameraId, p.data.profile);
      if (!ingest) throw new AppError('stream:not_ingested', 'the camera is not being ingested on this node');
      ingest.recordSteps(body.data);
      return ingest.status();
    });

    scope.get('/control/streams', async () => ({ streams: deps.ingests.list().map((i) => i.status()) }));

    scope.get('/control/streams/:cameraId/:profile', async (req) => {
      const p = streamParams.safeParse(req.params);
      if (!p.success) throw new AppError(requestErrorCode(p.error), 'bad camera or profile');
      const ingest = deps.ingests.get(p.data.cameraId, p.data.profile);
      if (!ingest) throw new AppError('stream:not_ingested', 'the camera is not being ingested on this node');
      return ingest.status();
    });

    scope.get('/control/load', async () => deps.nodeInfo());

    // Recording (issue 13): the camera profiles this node records continuously, set by the gateway.
    scope.put('/control/recordings', async (req) => {
      const body = recordingPlanRequestSchema.safeParse(req.body);
      if (!body.success) throw new AppError(requestErrorCode(body.error), issues(body.error.issues));
      return { recordings: await deps.recordings.setPlan(body.data.plan) };
    });

    scope.get('/control/recordings', async () => ({ recordings: deps.recordings.list() }));
  });
}
