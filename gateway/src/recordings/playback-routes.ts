import {
  PLAYBACK_PLAYLIST_PATH,
  playbackAnswerSchema,
  playbackRequestSchema,
  playlistQuerySchema,
} from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CAMERA_NOT_FOUND,
  COMMON_ERRORS,
  DENIED,
  defineRoute,
  errorSchema,
  registerRoutes,
} from '../openapi/index.ts';
import { PlaybackService, type PlaybackServiceDeps } from './playback.ts';

/** POST /api/cameras/:id/playback and GET PLAYBACK_PLAYLIST_PATH — see {@link PlaybackService}. */
export function registerPlaybackRoutes(app: FastifyInstance, deps: PlaybackServiceDeps): PlaybackService {
  const playback = new PlaybackService(deps);

  const request = defineRoute({
    method: 'post',
    url: '/api/cameras/:id/playback',
    summary: 'Playback of recordings: decide and audit playback:view for a range, issue a playback token',
    tag: 'recordings',
    access: 'session+csrf',
    action: 'playback:view',
    rule: 'Policy action playback:view for the range, decided as the timeline decides it (R-RET-1, R-RET-3). Every decision is audited (recording.playback) with camera, profile, range, emergency and refresh. The answer carries a playback token (a stream token with rng, ≤ 60 s) for the media node holding the segments and the playlist URL; the page asks again with refresh: true before it expires (decided and audited again).',
    // Any id: one that is not a camera's answers 404 not_found:camera.
    params: z.object({ id: z.string() }),
    body: playbackRequestSchema,
    responses: {
      200: { description: 'the playback token, playlist URL and media node', schema: playbackAnswerSchema },
      ...COMMON_ERRORS,
      400: {
        description: `invalid:range — \`to\` not after \`from\`, or over ${24} hours; invalid:request`,
        schema: errorSchema,
      },
      403: { ...DENIED, description: `${DENIED.description} | forbidden:retrieval — no retrieval basis` },
      404: CAMERA_NOT_FOUND,
      503: {
        description: 'unavailable:dependency — no media node holding the segments, or media not configured',
        schema: errorSchema,
      },
    },
    handler: async ({ req, auth, params, body }) =>
      playback.request({
        user: auth.user,
        sessionId: auth.session.id,
        address: req.ip,
        cameraId: params.id,
        profile: body.profile,
        from: body.from,
        to: body.to,
        refresh: body.refresh,
      }),
  });

  const playlist = defineRoute({
    method: 'get',
    url: PLAYBACK_PLAYLIST_PATH,
    summary: 'The HLS VOD playlist (application/vnd.apple.mpegurl) of a playback token’s range',
    tag: 'recordings',
    access: 'public',
    rule: 'The playback token is the credential (signature, expiry, rng); no session. Segment URLs point at the media nodes holding the files and carry a token for that node.',
    query: playlistQuerySchema,
    responses: {
      200: { description: 'the playlist (application/vnd.apple.mpegurl)' },
      400: { description: 'invalid:request — no token', schema: errorSchema },
      401: { description: 'token:* — missing, malformed, bad signature, expired', schema: errorSchema },
      403: { description: 'token:scope — a live stream token', schema: errorSchema },
    },
    handler: async ({ reply, query }) =>
      reply
        .header('content-type', 'application/vnd.apple.mpegurl')
        .header('cache-control', 'no-store')
        .send(await playback.playlist(query.token)),
  });

  registerRoutes(app, [request, playlist]);
  return playback;
}
