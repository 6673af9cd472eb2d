import {
  auditPageSchema,
  cameraCreateSchema,
  cameraItemSchema,
  cameraMapCompactSchema,
  cameraMapGeoJsonSchema,
  cameraMapQuerySchema,
  cameraPageSchema,
  cameraSearchQuerySchema,
  cameraUpdateSchema,
  createWallSchema,
  emergencyUsePageSchema,
  emergencyUseQuerySchema,
  healthSchema,
  incidentListSchema,
  incidentReviewSchema,
  incidentSchema,
  liveAnswerSchema,
  liveRequestSchema,
  loginRequestSchema,
  sessionInfoSchema,
  sourceCreateSchema,
  sourceSchema,
  sourceUpdateSchema,
  wallCommandSchema,
  wallStateSchema,
} from '@wall/protocol';
import { z } from 'zod';
import { auditQuerySchema } from '../audit/index.ts';
import { incidentOpenSchema } from '../incidents/index.ts';
import { COMMON_ERRORS, errorSchema, type Operation, WRITE_ERRORS } from './document.ts';

const DENIED = {
  description:
    'denied by the policy: forbidden:grade | forbidden:private | forbidden:role | forbidden:state (a camera outside the caller’s tier is 404, like a missing one)',
  schema: errorSchema,
};
const CAMERA_NOT_FOUND = {
  description:
    'not_found:camera — no such camera, or one outside the caller’s tier (answered alike; audited)',
  schema: errorSchema,
};

/** The gateway's own operations (identity, audit, incidents, live). Feature lists are added in app.ts. */
export const CORE_OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Health of the gateway and its dependencies (200 only when all are up)',
    tag: 'health',
    access: 'public',
    responses: {
      200: { description: 'up', schema: healthSchema },
      503: { description: 'a dependency is down', schema: healthSchema },
    },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'health',
    access: 'public',
    responses: { 200: { description: 'OpenAPI 3.1' } },
  },
  {
    method: 'post',
    path: '/api/auth/login',
    summary: 'Sign in: sets the HttpOnly session cookie, returns the user and the CSRF token',
    tag: 'identity',
    access: 'public',
    rule: 'Rate-limited per user at one address, per address, and per user over every address (429 with Retry-After); each attempt is counted before the password is checked. Audited (auth.login), a name or password with a control character too.',
    body: loginRequestSchema,
    responses: {
      200: { description: 'signed in', schema: sessionInfoSchema },
      400: {
        description: 'invalid:request / invalid:control_char (a control character in the name or password)',
        schema: errorSchema,
      },
      401: { description: 'unauthenticated — wrong name or password', schema: errorSchema },
      429: { description: 'rate_limited', schema: errorSchema },
    },
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Sign out: the session is revoked',
    tag: 'identity',
    access: 'session+csrf',
    responses: { 204: { description: 'signed out' }, ...WRITE_ERRORS },
  },
  {
    method: 'get',
    path: '/api/me',
    summary: 'The signed-in user and the CSRF token',
    tag: 'identity',
    access: 'session',
    responses: { 200: { description: 'the user', schema: sessionInfoSchema }, ...COMMON_ERRORS },
  },
  {
    method: 'get',
    path: '/api/audit',
    summary: 'Audit entries, filtered, newest first, keyset-paged',
    tag: 'audit',
    access: 'session',
    rule: 'Auditors only (role auditor).',
    query: auditQuerySchema,
    responses: {
      200: {
        description: 'a page',
        schema: auditPageSchema,
      },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
  },
  {
    method: 'get',
    path: '/api/audit/verify',
    summary: 'Walks the hash chain: ok with the entry count, or the first broken entry',
    tag: 'audit',
    access: 'session',
    rule: 'Auditors only (role auditor).',
    responses: {
      200: {
        description: 'the result',
        schema: z.union([
          z.object({ ok: z.literal(true), entries: z.number().int() }),
          z.object({
            ok: z.literal(false),
            brokenAt: z.number().int(),
            entries: z.number().int(),
            why: z.enum(['hash', 'link', 'gap']),
          }),
        ]),
      },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
    },
  },
  {
    method: 'post',
    path: '/api/incidents',
    summary: 'Declare an incident (level Ⅳ–Ⅰ, centre, radius)',
    tag: 'incidents',
    access: 'session+csrf',
    rule: 'Police and emergency users with the operator role; the whole area must lie in the declarer’s scope (district users: their district, forbidden:area; city users: the city) and the radius within its level’s limit (INCIDENT_MAX_RADIUS_M, invalid:incident_radius). Audited, refusals included. A level Ⅰ/Ⅱ incident opens live view inside its radius to police and emergency users in scope (R-ACC-4) at once, until it is closed, EMERGENCY_GRANT_MAX_H after its opening, or — unless a second command user confirms it — INCIDENT_CONFIRM_S after its opening, whichever comes first.',
    body: incidentOpenSchema,
    responses: { 201: { description: 'opened', schema: incidentSchema }, ...WRITE_ERRORS },
  },
  {
    method: 'post',
    path: '/api/incidents/{id}/confirm',
    summary:
      'Confirm a level Ⅰ/Ⅱ incident (a second command user or a superior), so its emergency grant does not lapse',
    tag: 'incidents',
    access: 'session+csrf',
    rule: 'Police and emergency users with the operator role in the incident’s scope (district users: their district; city users: anywhere), not the declarer, before INCIDENT_CONFIRM_S after its opening. Unconfirmed by then, the grant lapses and the media nodes end the streams it allowed. Audited, refusals included (forbidden:role, forbidden:same_person, conflict:confirmed, conflict:lapsed).',
    responses: {
      200: { description: 'confirmed', schema: incidentSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:incident', schema: errorSchema },
      409: { description: 'conflict:confirmed or conflict:lapsed', schema: errorSchema },
    },
  },
  {
    method: 'post',
    path: '/api/incidents/{id}/close',
    summary: 'Close an incident (its emergency grants end)',
    tag: 'incidents',
    access: 'session+csrf',
    rule: 'Who may declare it may close it. Audited, refusals included (forbidden:role, already closed, no such incident).',
    responses: {
      200: { description: 'closed', schema: incidentSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:incident', schema: errorSchema },
    },
  },
  {
    method: 'get',
    path: '/api/incidents',
    summary: 'Incidents, newest first (at most 200)',
    tag: 'incidents',
    access: 'session',
    rule: 'Auditors and the police and emergency users an incident concerns (city tier: all; district tier: incidents reaching their district); an owner organisation sees the incidents whose grant opened its cameras. Others get an empty list.',
    query: z.object({ open: z.enum(['true', 'false']).optional() }),
    responses: {
      200: { description: 'incidents', schema: incidentListSchema },
      ...COMMON_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/api/incidents/{id}/review',
    summary: 'After-action review: every use of the incident’s emergency grant, with counts (R-ACC-4)',
    tag: 'incidents',
    access: 'session',
    rule: 'Auditors, and police and emergency users the incident concerns (city tier: all; district tier: incidents reaching their district). Read from the audit log (stream.token entries marked emergency). Audited (incident.review), refusals too.',
    responses: {
      200: { description: 'the review', schema: incidentReviewSchema },
      ...COMMON_ERRORS,
      403: { description: 'forbidden:role', schema: errorSchema },
      404: { description: 'not_found:incident', schema: errorSchema },
    },
  },
  {
    method: 'get',
    path: '/api/emergency-uses',
    summary:
      'Emergency uses of the caller’s organisation’s cameras, newest first (the owner’s notices, R-ACC-4)',
    tag: 'incidents',
    access: 'session',
    rule: 'Any signed-in user; only cameras their organisation owned at the time of use. Tokens withheld because the media node failed are left out. Also pushed live as the realtime event access:emergency.',
    query: emergencyUseQuerySchema,
    responses: { 200: { description: 'a page', schema: emergencyUsePageSchema }, ...COMMON_ERRORS },
  },
  {
    method: 'post',
    path: '/api/cameras/{id}/live',
    summary: 'Live view: decide, audit, place on a media node, ensure ingest, issue a stream token',
    tag: 'live',
    access: 'session+csrf',
    rule: 'Policy action live:view. Every decision is audited (camera.live), and the token issue (stream.token). A denial starts nothing and issues nothing. A page playing the stream asks again with refresh: true before its token expires (decided and audited again, the issue as stream.refresh, not a new emergency use) and hands the token to the node (stream:refresh); a node closes a consumer whose token expired unrefreshed.',
    body: liveRequestSchema,
    responses: {
      200: { description: 'the token and the node to present it to', schema: liveAnswerSchema },
      ...COMMON_ERRORS,
      403: DENIED,
      404: CAMERA_NOT_FOUND,
      503: { description: 'unavailable:dependency — no media node, or it failed', schema: errorSchema },
    },
  },
];

const REGISTRY_RULE =
  'Writes need the registry_admin role within the admin’s tier (city: all; district: its district; unit: its own org). Every write and refusal is audited in the change’s transaction.';

/** Registry: source systems and cameras (issue 4 §4). */
export const REGISTRY_OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/api/sources',
    summary: 'Source systems in the caller’s scope (never with secrets)',
    tag: 'registry',
    access: 'session',
    responses: {
      200: { description: 'sources', schema: z.object({ sources: z.array(sourceSchema) }) },
      ...COMMON_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/api/sources/{id}',
    summary: 'One source system',
    tag: 'registry',
    access: 'session',
    responses: {
      200: { description: 'the source', schema: sourceSchema },
      ...COMMON_ERRORS,
      404: { description: 'not_found:source', schema: errorSchema },
    },
  },
  {
    method: 'post',
    path: '/api/sources',
    summary: 'Register a source system (GB/T 28181, RTSP, ONVIF); its secret is sealed (AES-256-GCM)',
    tag: 'registry',
    access: 'session+csrf',
    rule: REGISTRY_RULE,
    body: sourceCreateSchema,
    responses: { 201: { description: 'registered', schema: sourceSchema }, ...WRITE_ERRORS },
  },
  {
    method: 'patch',
    path: '/api/sources/{id}',
    summary: 'Change a source system (name, connection, secret)',
    tag: 'registry',
    access: 'session+csrf',
    rule: REGISTRY_RULE,
    body: sourceUpdateSchema,
    responses: {
      200: { description: 'changed', schema: sourceSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:source', schema: errorSchema },
    },
  },
  {
    method: 'delete',
    path: '/api/sources/{id}',
    summary: 'Remove a source system (marked removed; refused while it has cameras)',
    tag: 'registry',
    access: 'session+csrf',
    rule: REGISTRY_RULE,
    responses: {
      200: { description: 'removed', schema: sourceSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:source', schema: errorSchema },
      409: { description: 'conflict:in_use', schema: errorSchema },
    },
  },
  {
    method: 'get',
    path: '/api/cameras',
    summary: 'Search cameras: bbox, radius, district, category, grade, state, text; cursor-paged',
    tag: 'registry',
    access: 'session',
    rule: 'Only cameras the caller may catalog:read (policy), emergency-visible ones flagged.',
    query: cameraSearchQuerySchema,
    responses: { 200: { description: 'a page', schema: cameraPageSchema }, ...COMMON_ERRORS },
  },
  {
    method: 'get',
    path: '/api/cameras/geojson',
    summary: 'Every camera the caller may see, for the map (GeoJSON or a compact form)',
    tag: 'registry',
    access: 'session',
    query: cameraMapQuerySchema,
    responses: {
      200: { description: 'the cameras', schema: z.union([cameraMapGeoJsonSchema, cameraMapCompactSchema]) },
      ...COMMON_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/api/cameras/{id}',
    summary: 'One camera’s file (catalog:read; out of tier answers 404 like a missing camera)',
    tag: 'registry',
    access: 'session',
    responses: {
      200: { description: 'the camera', schema: cameraItemSchema },
      ...COMMON_ERRORS,
      403: DENIED,
      404: CAMERA_NOT_FOUND,
    },
  },
  {
    method: 'post',
    path: '/api/cameras',
    summary: 'Register a camera (Art. 9: private-space locations refused with refused:private_space)',
    tag: 'registry',
    access: 'session+csrf',
    rule: REGISTRY_RULE,
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
  },
  {
    method: 'patch',
    path: '/api/cameras/{id}',
    summary: 'Change a camera (lifecycle registered → accepted → in_service → removed)',
    tag: 'registry',
    access: 'session+csrf',
    rule: REGISTRY_RULE,
    body: cameraUpdateSchema,
    responses: {
      200: { description: 'changed', schema: cameraItemSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:camera', schema: errorSchema },
      409: { description: 'conflict:state', schema: errorSchema },
      422: { description: 'refused:private_space | invalid:location', schema: errorSchema },
    },
  },
  {
    method: 'delete',
    path: '/api/cameras/{id}',
    summary: 'Remove a camera (state removed; its file and audit stay)',
    tag: 'registry',
    access: 'session+csrf',
    rule: REGISTRY_RULE,
    responses: {
      200: { description: 'removed', schema: cameraItemSchema },
      ...WRITE_ERRORS,
      404: { description: 'not_found:camera', schema: errorSchema },
    },
  },
];

/** Walls (issue 5's server side); the same commands travel over socket.io `/realtime`. */
export const WALL_OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/api/walls',
    summary: 'The walls the caller may use (its organisation’s)',
    tag: 'walls',
    access: 'session',
    responses: {
      200: { description: 'walls', schema: z.object({ walls: z.array(wallStateSchema) }) },
      ...COMMON_ERRORS,
    },
  },
  {
    method: 'post',
    path: '/api/walls',
    summary: 'Create a wall for the caller’s organisation',
    tag: 'walls',
    access: 'session+csrf',
    body: createWallSchema,
    responses: { 201: { description: 'created', schema: wallStateSchema }, ...WRITE_ERRORS },
  },
  {
    method: 'get',
    path: '/api/walls/{id}',
    summary: 'A wall’s current state',
    tag: 'walls',
    access: 'session',
    responses: {
      200: { description: 'the wall', schema: wallStateSchema },
      ...COMMON_ERRORS,
      404: {
        description: 'not_found:wall — no such wall, or another organisation’s (answered alike; audited)',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'post',
    path: '/api/walls/{id}/commands',
    summary:
      'Change a wall (layout, assign, clear, swap, tour) at an expected version; broadcast to its room',
    tag: 'walls',
    access: 'session+csrf',
    rule: 'Cameras put on a wall must pass catalog:read for the sender (refusals audited).',
    body: wallCommandSchema,
    responses: {
      200: { description: 'the new state', schema: wallStateSchema },
      ...WRITE_ERRORS,
      404: {
        description:
          'not_found:wall | not_found:camera — also for another organisation’s wall and a camera outside the caller’s tier (audited)',
        schema: errorSchema,
      },
      409: {
        description: 'conflict:version — with the current state',
        schema: errorSchema.extend({ current: wallStateSchema }),
      },
    },
  },
];
