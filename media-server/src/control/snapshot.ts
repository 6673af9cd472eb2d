import { clientText, requestErrorCode, type StreamTokenClaims, streamProfileSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { IngestManager } from '../ingest/index.ts';
import { AppError } from '../lib/app-error.ts';
import { requireCamera } from '../tokens/index.ts';

const query = z.object({
  profile: streamProfileSchema.default('sub'),
  token: clientText({ max: 4096 }).optional(),
});

/**
 * GET /snapshot/:cameraId — the latest key frame as JPEG, with the same stream token as the live
 * view (query `token` or `Authorization: Bearer`), so a tile shows a picture at once.
 */
export function registerSnapshotRoute(
  app: FastifyInstance,
  deps: { ingests: IngestManager; verifyToken: (t: string | undefined) => StreamTokenClaims },
): void {
  app.get('/snapshot/:cameraId', async (req, reply) => {
    const q = query.safeParse(req.query);
    const cameraId = (req.params as { cameraId?: string }).cameraId ?? '';
    if (!q.success) throw new AppError(requestErrorCode(q.error), 'bad query');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const claims = deps.verifyToken(q.data.token ?? bearer);
    requireCamera(claims, cameraId);
    if (claims.prof !== q.data.profile)
      throw new AppError('token:profile', 'the stream token is for another profile');
    const ingest = deps.ingests.get(cameraId, q.data.profile);
    if (!ingest) throw new AppError('stream:not_ingested', 'the camera is not being ingested on this node');
    const jpeg = await ingest.snapshot();
    if (!jpeg) throw new AppError('stream:offline', 'no key frame yet');
    return reply.header('content-type', 'image/jpeg').header('cache-control', 'no-store').send(jpeg);
  });
}
