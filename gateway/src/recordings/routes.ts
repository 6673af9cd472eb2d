import {
  cameraRetentionAnswerSchema,
  cameraRetentionSchema,
  createEvidenceHoldSchema,
  evidenceHoldQuerySchema,
  evidenceHoldSchema,
  recordingTimelineQuerySchema,
  recordingTimelineSchema,
  recordingVerifyQuerySchema,
  recordingVerifyReportSchema,
} from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CAMERA_NOT_FOUND,
  COMMON_ERRORS,
  DENIED,
  defineRoute,
  errorSchema,
  lenientIdParams,
  registerRoutes,
  WRITE_ERRORS,
} from '../openapi/index.ts';
import { RecordingService, type RecordingServiceDeps } from './service.ts';

const RANGE_ERRORS = {
  description:
    'invalid:range — `to` not after `from`, or a range over the maximum; invalid:request — a malformed query',
  schema: errorSchema,
};

/**
 * GET /api/cameras/:id/recordings (the timeline: policy `playback:view`), PUT /api/cameras/:id/retention,
 * POST /api/recordings/holds, POST /api/recordings/holds/:id/release, GET /api/recordings/holds,
 * GET /api/recordings/verify. See {@link RecordingService}.
 */
export function registerRecordingRoutes(app: FastifyInstance, deps: RecordingServiceDeps): RecordingService {
  const recordings = new RecordingService(deps);
  const actor = (req: { ip: string }, user: Parameters<RecordingService['timeline']>[0]['user']) => ({
    user,
    address: req.ip,
  });

  const timeline = defineRoute({
    method: 'get',
    url: '/api/cameras/:id/recordings',
    summary: 'Recorded ranges, reported gaps and evidence holds of a camera profile in a range (≤ 31 days)',
    tag: 'recordings',
    access: 'session',
    action: 'playback:view',
    rule: 'Policy action playback:view (R-RET-1: police with a county-level certificate, in scope; R-RET-3: police and emergency users inside an open major incident, footage from PLAYBACK_INCIDENT_LOOKBACK_MIN before its opening — marked emergency). Every decision is audited (recording.timeline) with camera and range.',
    params: z.object({ id: z.string() }),
    query: recordingTimelineQuerySchema,
    responses: {
      200: { description: 'the timeline', schema: recordingTimelineSchema },
      ...COMMON_ERRORS,
      400: RANGE_ERRORS,
      403: { ...DENIED, description: `${DENIED.description} | forbidden:retrieval — no retrieval basis` },
      404: CAMERA_NOT_FOUND,
    },
    handler: async ({ req, auth, params, query }) =>
      recordings.timeline(actor(req, auth.user), params.id, query),
  });

  const retention = defineRoute({
    method: 'put',
    url: '/api/cameras/:id/retention',
    summary: 'Set a camera’s recording retention in days (≥ 30), or null for the default',
    tag: 'recordings',
    access: 'session+csrf',
    rule: 'Registry administrators within their tier (registry_admin). Below 30 days: 400 invalid:retention_floor (the database refuses it too). Audited (camera.retention) with the old and new value.',
    params: lenientIdParams,
    body: cameraRetentionSchema,
    responses: {
      200: { description: 'the camera’s retention', schema: cameraRetentionAnswerSchema },
      ...WRITE_ERRORS,
      400: { description: 'invalid:retention_floor — under 30 days; invalid:request', schema: errorSchema },
      404: CAMERA_NOT_FOUND,
    },
    handler: async ({ req, auth, params, body }) =>
      recordings.setRetention(actor(req, auth.user), params.id, body.days),
  });

  const createHold = defineRoute({
    method: 'post',
    url: '/api/recordings/holds',
    summary:
      'Place an evidence hold: footage of these cameras in [from, to) outlives retention until released',
    tag: 'recordings',
    access: 'session+csrf',
    rule: 'Police with a county-level certificate, or the approver role; each camera must be one the caller may see (else 404 like a missing camera). Audited (recording.hold).',
    body: createEvidenceHoldSchema,
    responses: {
      201: { description: 'the hold', schema: evidenceHoldSchema },
      ...WRITE_ERRORS,
      400: RANGE_ERRORS,
      404: CAMERA_NOT_FOUND,
    },
    handler: async ({ req, reply, auth, body }) =>
      reply.code(201).send(await recordings.createHold(actor(req, auth.user), body)),
  });

  const releaseHold = defineRoute({
    method: 'post',
    url: '/api/recordings/holds/:id/release',
    summary: 'Release an evidence hold',
    tag: 'recordings',
    access: 'session+csrf',
    rule: 'As placing one; a hold on a camera the caller may not see is 404. Audited (recording.hold_release).',
    params: lenientIdParams,
    responses: {
      200: { description: 'the released hold', schema: evidenceHoldSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:hold', schema: errorSchema },
      409: { description: 'conflict:released — released already', schema: errorSchema },
    },
    handler: async ({ req, auth, params }) => recordings.releaseHold(actor(req, auth.user), params.id),
  });

  const listHolds = defineRoute({
    method: 'get',
    url: '/api/recordings/holds',
    summary: 'Evidence holds (newest first) on cameras the caller may see',
    tag: 'recordings',
    access: 'session',
    rule: 'Police with a county-level certificate, approvers and auditors.',
    query: evidenceHoldQuerySchema,
    responses: {
      200: { description: 'holds', schema: z.object({ holds: z.array(evidenceHoldSchema) }) },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
    handler: async ({ req, auth, query }) => ({
      holds: await recordings.listHolds(actor(req, auth.user), query),
    }),
  });

  const verify = defineRoute({
    method: 'get',
    url: '/api/recordings/verify',
    summary: 'Verify recorded segments: chain, order, unexplained holes and (files=true) re-hashed files',
    tag: 'recordings',
    access: 'session',
    rule: 'Auditors only (role auditor). Every verification is audited (recording.verify) with its verdict; refusals too.',
    query: recordingVerifyQuerySchema,
    responses: {
      200: {
        description: 'the report; ok false names the first broken segment',
        schema: recordingVerifyReportSchema,
      },
      ...COMMON_ERRORS,
      400: RANGE_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
    handler: async ({ req, auth, query }) => recordings.verify(actor(req, auth.user), query),
  });

  registerRoutes(app, [timeline, retention, createHold, releaseHold, listHolds, verify]);
  return recordings;
}
