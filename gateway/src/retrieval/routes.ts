import {
  retrievalApprovalSchema,
  retrievalDraftSchema,
  retrievalListQuerySchema,
  retrievalListSchema,
  retrievalRejectionSchema,
  retrievalRequestSchema,
} from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import {
  COMMON_ERRORS,
  defineRoute,
  errorSchema,
  lenientIdParams,
  registerRoutes,
  WRITE_ERRORS,
} from '../openapi/index.ts';
import { RetrievalService, type RetrievalServiceDeps } from './service.ts';

const NOT_FOUND = {
  description: 'not_found:retrieval — no such request, or not yours to see',
  schema: errorSchema,
};
const CONFLICT = {
  description:
    'conflict:state — the request is not in a state this step leaves from; conflict:expired — the approval has expired',
  schema: errorSchema,
};
const CONTENT_ERRORS = {
  400: {
    description:
      'invalid:range — a range that ends before it starts, over 31 days, or in the future; invalid:request',
    schema: errorSchema,
  },
  403: {
    description:
      'forbidden:csrf — CSRF token or origin wrong | forbidden:basis — the legal basis does not fit the requester | forbidden:grade | forbidden:state | forbidden:retrieval — a camera outside the incident’s area | forbidden:role — not the requester’s draft',
    schema: errorSchema,
  },
  404: {
    description:
      'not_found:camera (also a camera outside the requester’s tier) | not_found:incident | not_found:retrieval',
    schema: errorSchema,
  },
  422: {
    description:
      'invalid:basis — an emergency request without an incident, an incident without a kind, or an incident on another basis',
    schema: errorSchema,
  },
};

/**
 * Retrieval requests (Art. 21, 22; R-RET-1…3): POST /api/retrievals, PATCH /api/retrievals/:id,
 * POST /api/retrievals/:id/{submit,approve,reject,close}, GET /api/retrievals[/:id[/document]].
 * See {@link RetrievalService}.
 */
export function registerRetrievalRoutes(app: FastifyInstance, deps: RetrievalServiceDeps): RetrievalService {
  const service = new RetrievalService(deps);
  const actor = (req: { ip: string }, user: Parameters<RetrievalService['create']>[0]['user']) => ({
    user,
    address: req.ip,
  });

  const create = defineRoute({
    method: 'post',
    url: '/api/retrievals',
    summary: 'Create a retrieval request draft: cameras, time ranges, purpose, case number, legal basis',
    tag: 'retrieval',
    access: 'session+csrf',
    action: 'retrieval:request',
    rule: 'Policy action retrieval:request on every camera (Art. 21: certificate — certified police; approval — another administrative department; emergency — police and emergency users, naming an incident with a kind, cameras in its area, footage from PLAYBACK_INCIDENT_LOOKBACK_MIN before it opened). Ranges end by now, ≤ 31 days each. Audited (retrieval.create), refusals included; nothing is stored when refused.',
    body: retrievalDraftSchema,
    responses: {
      201: { description: 'the draft', schema: retrievalRequestSchema },
      ...WRITE_ERRORS,
      ...CONTENT_ERRORS,
    },
    handler: async ({ req, reply, auth, body }) =>
      reply.code(201).send(await service.create(actor(req, auth.user), body)),
  });

  const edit = defineRoute({
    method: 'patch',
    url: '/api/retrievals/:id',
    summary: 'Replace a draft’s content (the requester only)',
    tag: 'retrieval',
    access: 'session+csrf',
    action: 'retrieval:request',
    rule: 'As creating; the requester only (forbidden:role), while a draft (conflict:state). Audited (retrieval.edit) with the old and new content.',
    params: lenientIdParams,
    body: retrievalDraftSchema,
    responses: {
      200: { description: 'the draft', schema: retrievalRequestSchema },
      ...WRITE_ERRORS,
      ...CONTENT_ERRORS,
      409: CONFLICT,
    },
    handler: async ({ req, auth, params, body }) => service.edit(actor(req, auth.user), params.id, body),
  });

  const submit = defineRoute({
    method: 'post',
    url: '/api/retrievals/:id/submit',
    summary: 'Submit a draft for approval (the requester only)',
    tag: 'retrieval',
    access: 'session+csrf',
    action: 'retrieval:request',
    rule: 'retrieval:request is decided again on every camera. Audited (retrieval.submit).',
    params: lenientIdParams,
    responses: {
      200: { description: 'the submitted request', schema: retrievalRequestSchema },
      ...WRITE_ERRORS,
      ...CONTENT_ERRORS,
      409: CONFLICT,
    },
    handler: async ({ req, auth, params }) => service.submit(actor(req, auth.user), params.id),
  });

  const approve = defineRoute({
    method: 'post',
    url: '/api/retrievals/:id/approve',
    summary:
      'Approve a submitted request with the approval-document number and the document (PDF, PNG, JPEG; base64)',
    tag: 'retrieval',
    access: 'session+csrf',
    action: 'retrieval:approve',
    rule: 'Police holding the county-level certificate with the approver role (forbidden:certificate), not the requester (forbidden:same_person), of a tier not below the requester’s with every camera in scope (forbidden:tier), clearance ≥ every grade (forbidden:grade). The document’s type is read from its bytes (invalid:document_type) and its size limited by RETRIEVAL_DOCUMENT_MAX_BYTES (invalid:document_size); it is stored with its SHA-256. The approval expires RETRIEVAL_APPROVAL_TTL_H after it is given unless executed. Audited (retrieval.approve), refusals included.',
    params: lenientIdParams,
    body: retrievalApprovalSchema,
    // Base64 is 4/3 of the document, plus the number, the name and the JSON around them.
    bodyLimit: Math.ceil((deps.documentMaxBytes * 4) / 3) + 16_384,
    responses: {
      200: { description: 'the approved request', schema: retrievalRequestSchema },
      ...WRITE_ERRORS,
      403: {
        description:
          'forbidden:csrf | forbidden:certificate | forbidden:same_person | forbidden:tier | forbidden:grade | forbidden:state',
        schema: errorSchema,
      },
      404: NOT_FOUND,
      409: CONFLICT,
      413: {
        description: 'invalid:document_size — empty or over RETRIEVAL_DOCUMENT_MAX_BYTES',
        schema: errorSchema,
      },
      415: {
        description: 'invalid:document_type — not a PDF, PNG or JPEG by its bytes',
        schema: errorSchema,
      },
    },
    handler: async ({ req, auth, params, body }) => service.approve(actor(req, auth.user), params.id, body),
  });

  const reject = defineRoute({
    method: 'post',
    url: '/api/retrievals/:id/reject',
    summary: 'Reject a submitted request, with a reason',
    tag: 'retrieval',
    access: 'session+csrf',
    action: 'retrieval:approve',
    rule: 'Decided as approving. Audited (retrieval.reject), refusals included.',
    params: lenientIdParams,
    body: retrievalRejectionSchema,
    responses: {
      200: { description: 'the rejected request', schema: retrievalRequestSchema },
      ...WRITE_ERRORS,
      403: {
        description:
          'forbidden:csrf | forbidden:certificate | forbidden:same_person | forbidden:tier | forbidden:grade',
        schema: errorSchema,
      },
      404: NOT_FOUND,
      409: CONFLICT,
    },
    handler: async ({ req, auth, params, body }) =>
      service.reject(actor(req, auth.user), params.id, body.reason),
  });

  const close = defineRoute({
    method: 'post',
    url: '/api/retrievals/:id/close',
    summary:
      'Close a request of one’s organisation (withdraw a draft or submitted one, end an approved or executed one)',
    tag: 'retrieval',
    access: 'session+csrf',
    rule: 'The requesting organisation (forbidden:role); not a rejected or closed request (conflict:state). Audited (retrieval.close).',
    params: lenientIdParams,
    responses: {
      200: { description: 'the closed request', schema: retrievalRequestSchema },
      ...WRITE_ERRORS,
      404: NOT_FOUND,
      409: CONFLICT,
    },
    handler: async ({ req, auth, params }) => service.close(actor(req, auth.user), params.id),
  });

  const list = defineRoute({
    method: 'get',
    url: '/api/retrievals',
    summary:
      'Retrieval requests: the caller’s organisation’s, those they decided, and (approvers) those awaiting them',
    tag: 'retrieval',
    access: 'session',
    rule: 'Approvers see the submitted requests they may approve; auditors see all. `state=expired` lists approvals past RETRIEVAL_APPROVAL_TTL_H.',
    query: retrievalListQuerySchema,
    responses: { 200: { description: 'newest first', schema: retrievalListSchema }, ...COMMON_ERRORS },
    handler: async ({ req, auth, query }) => service.list(actor(req, auth.user), query),
  });

  const get = defineRoute({
    method: 'get',
    url: '/api/retrievals/:id',
    summary: 'One retrieval request',
    tag: 'retrieval',
    access: 'session',
    rule: 'Visible as in the list; else not_found:retrieval.',
    params: lenientIdParams,
    responses: {
      200: { description: 'the request', schema: retrievalRequestSchema },
      ...COMMON_ERRORS,
      404: NOT_FOUND,
    },
    handler: async ({ req, auth, params }) => service.get(actor(req, auth.user), params.id),
  });

  const document = defineRoute({
    method: 'get',
    url: '/api/retrievals/:id/document',
    summary: 'The approval document (its stored bytes and type)',
    tag: 'retrieval',
    access: 'session',
    rule: 'The requesting organisation, the approver and auditors. Audited (retrieval.document), refusals included. Carries the SHA-256 in x-content-sha256.',
    params: lenientIdParams,
    responses: {
      200: { description: 'the document (application/pdf, image/png or image/jpeg)' },
      ...COMMON_ERRORS,
      404: NOT_FOUND,
    },
    handler: async ({ req, reply, auth, params }) => {
      const doc = await service.document(actor(req, auth.user), params.id);
      return reply
        .header('content-type', doc.contentType)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(doc.name)}`)
        .header('x-content-sha256', doc.sha256)
        .header('cache-control', 'no-store')
        .send(doc.content);
    },
  });

  registerRoutes(app, [create, list, get, document, edit, submit, approve, reject, close]);
  return service;
}
