import { ptzAnswerSchema, ptzRequestSchema } from '@wall/protocol';
import { COMMON_ERRORS, errorSchema, type Operation, WRITE_ERRORS } from '../openapi/index.ts';
import { catalogSummarySchema } from './routes.ts';

/** What sources offer besides streams (PTZ, catalogue sync); GB/T 28181 is the kind that has them. */
export const SOURCE_OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/api/cameras/{id}/ptz',
    summary: 'Steer a GB/T 28181 camera: DeviceControl PTZCmd to its device',
    tag: 'gb28181',
    access: 'session+csrf',
    rule: 'Policy action ptz:control (never by emergency access). Every decision is audited (camera.ptz, allow/deny with the reason; a failed send adds an error entry). RTSP/ONVIF cameras: 422 ptz:unsupported.',
    body: ptzRequestSchema,
    responses: {
      200: {
        description: 'the command was taken by the device (its 200 to the MESSAGE)',
        schema: ptzAnswerSchema,
      },
      ...WRITE_ERRORS,
      404: {
        description:
          'not_found:camera — no such camera, or one outside the caller’s tier (answered alike; audited)',
        schema: errorSchema,
      },
      422: { description: 'ptz:unsupported — not a GB/T 28181 camera', schema: errorSchema },
      503: {
        description: 'unavailable:dependency — the device is offline or did not answer',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'post',
    path: '/api/sources/{id}/catalog-sync',
    summary: 'Query a registered GB/T 28181 device’s catalogue now and file its channels as cameras',
    tag: 'gb28181',
    access: 'session+csrf',
    rule: 'registry_admin within the admin’s tier. The cameras change with one gb.catalog audit entry in the same transaction; refusals are audited.',
    responses: {
      200: { description: 'what the catalogue changed', schema: catalogSummarySchema },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role / forbidden:tier / forbidden:csrf', schema: errorSchema },
      404: { description: 'not_found:source', schema: errorSchema },
      409: {
        description: 'conflict:state — not a GB source, or the device is not registered',
        schema: errorSchema,
      },
      503: { description: 'unavailable:dependency — the device did not answer', schema: errorSchema },
    },
  },
];
