import { randomUUID } from 'node:crypto';
import * as gb from '@wall/protocol/gb28181';
import type { SipFlow } from './transport.ts';

/** Who we are on the SIP side. */
export interface SipIdentity {
  /** Our 20-digit platform ID. */
  id: string;
  /** Our 10-digit domain (realm). */
  domain: string;
  /** The address devices reach us at. */
  publicIp: string;
  port: number;
}

export const USER_AGENT = 'wall-gateway';

/**
 * Random hex for tags, branches and Call-IDs (`bytes` ≤ 15). From `randomUUID`, which draws on a
 * cached entropy pool: thousands per second in a registration storm without a syscall each.
 */
export function randomToken(bytes = 8): string {
  const hex = randomUUID().replace(/-/g, '');
  // Without the version nibble (index 12); the variant nibble keeps 2 random bits.
  return (hex.slice(0, 12) + hex.slice(13)).slice(0, Math.min(bytes, 15) * 2);
}

/** A new RFC 3261 branch (magic cookie prefix). */
export function newBranch(): string {
  return `z9hG4bK${randomToken(12)}`;
}

/** The user part of a name-addr's URI (`<sip:3402…@3402000000>` → `3402…`). */
export function nameAddrUser(na: gb.SipNameAddr): string | undefined {
  const uri = gb.parseSipUri(na.uri);
  return uri.ok ? uri.value.user : undefined;
}

/** The top Via's branch (server-transaction key), or undefined for RFC 2543 senders. */
export function topBranch(msg: gb.SipMessage): string | undefined {
  const first = gb.getHeaderValues(msg, 'Via')[0];
  if (!first) return undefined;
  const via = gb.parseVia(first);
  return via.ok ? via.value.branch : undefined;
}

/**
 * A response to a request as it came in over `flow`: the top Via gets `received` and, when the
 * sender asked for it, `rport` (RFC 3581), so NATed devices find their answer.
 */
export function respond(
  request: gb.SipRequest,
  flow: SipFlow,
  status: number,
  options: gb.SipResponseOptions = {},
): gb.SipResponse {
  const res = gb.buildSipResponse(request, status, {
    ...options,
    headers: [...(options.headers ?? []), { name: 'User-Agent', value: USER_AGENT }],
  });
  const i = res.headers.findIndex((h) => h.name === 'Via');
  const viaHeader = res.headers[i];
  if (viaHeader) {
    const parts = gb.splitOutsideQuotes(viaHeader.value, ',');
    const first = parts[0];
    const via = first ? gb.parseVia(first.trim()) : undefined;
    if (via?.ok) {
      const v = via.value;
      if (v.host !== flow.address) v.received = flow.address;
      if (v.rport !== undefined) v.rport = flow.port;
      parts[0] = gb.formatVia(v);
      res.headers[i] = { name: 'Via', value: parts.map((p) => p.trim()).join(', ') };
    }
  }
  return res;
}

export interface OutgoingRequest {
  method: string;
  /** Request-URI. */
  uri: string;
  /** To: the target's ID (and tag inside a dialog). */
  toUser: string;
  toTag?: string;
  fromTag: string;
  callId: string;
  cseq: number;
  branch?: string;
  contentType?: string;
  body?: Uint8Array;
  headers?: gb.SipHeader[];
  /** Contact (INVITE, REGISTER). */
  contact?: boolean;
}

/** A request from our platform to a device over `flow`. */
export function buildRequest(me: SipIdentity, flow: SipFlow, r: OutgoingRequest): gb.SipRequest {
  const toDomain = gb.gbDomainOf(r.toUser) ?? me.domain;
  const headers: gb.SipHeader[] = [
    {
      name: 'Via',
      value: `SIP/2.0/${flow.transport.toUpperCase()} ${me.publicIp}:${me.port};rport;branch=${r.branch ?? newBranch()}`,
    },
    { name: 'From', value: `<sip:${me.id}@${me.domain}>;tag=${r.fromTag}` },
    {
      name: 'To',
      value: `<sip:${r.toUser}@${toDomain}>${r.toTag === undefined ? '' : `;tag=${r.toTag}`}`,
    },
    { name: 'Call-ID', value: r.callId },
    { name: 'CSeq', value: `${r.cseq} ${r.method}` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'User-Agent', value: USER_AGENT },
  ];
  if (r.contact) headers.push({ name: 'Contact', value: `<sip:${me.id}@${me.publicIp}:${me.port}>` });
  if (r.headers) headers.push(...r.headers);
  const body = r.body ?? new Uint8Array(0);
  if (body.length > 0 && r.contentType) headers.push({ name: 'Content-Type', value: r.contentType });
  return { kind: 'request', method: r.method, uri: r.uri, headers, body };
}

/** `sip:{id}@{host}:{port}` for a device reached over `flow`. */
export function deviceUri(id: string, flow: SipFlow): string {
  return `sip:${id}@${flow.address}:${flow.port}`;
}
