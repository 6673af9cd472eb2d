import { ByteQueue, latin1Decode, utf8Decode, utf8Encode } from './bytes.ts';
import { fail, type GbError, type GbResult, ok } from './result.ts';
import {
  parseCSeq,
  parseNameAddr,
  parseVia,
  type SipCSeq,
  type SipNameAddr,
  type SipVia,
  splitOutsideQuotes,
} from './sip-headers.ts';

/**
 * SIP messages (RFC 3261 §7): parse one UDP datagram, frame a TCP stream by Content-Length,
 * serialize, and build responses. Pure; bad input gives `{ ok: false, error }`, never a throw.
 */

export interface SipHeader {
  /** Canonical name (`Via`, `Call-ID`, …; compact forms expanded); unknown names as sent. */
  name: string;
  value: string;
}

interface SipMessageBase {
  /** In wire order; a header that appeared on several lines appears several times. */
  headers: SipHeader[];
  /** The body bytes (Content-Length counts bytes, not characters). */
  body: Uint8Array;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

export type SipParseResult = { ok: true; message: SipMessage } | { ok: false; error: GbError };

/** Limits of one message: a larger header block or body is refused (and ends a TCP stream). */
export const SIP_MAX_HEADER_BYTES = 64 * 1024;
export const SIP_MAX_BODY_BYTES = 1024 * 1024;
const SIP_MAX_HEADERS = 256;

const COMPACT = new Map<string, string>(
  Object.entries({
    v: 'Via',
    f: 'From',
    t: 'To',
    i: 'Call-ID',
    m: 'Contact',
    l: 'Content-Length',
    c: 'Content-Type',
    k: 'Supported',
    e: 'Content-Encoding',
    s: 'Subject',
    o: 'Event',
    u: 'Allow-Events',
    r: 'Refer-To',
    x: 'Session-Expires',
  }),
);

const CANONICAL = new Map<string, string>(
  [
    'Via',
    'From',
    'To',
    'Call-ID',
    'CSeq',
    'Contact',
    'Content-Length',
    'Content-Type',
    'Content-Encoding',
    'Max-Forwards',
    'Expires',
    'Min-Expires',
    'User-Agent',
    'Server',
    'WWW-Authenticate',
    'Authorization',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'Subject',
    'Date',
    'Event',
    'Allow',
    'Allow-Events',
    'Supported',
    'Require',
    'Route',
    'Record-Route',
    'Subscription-State',
    'Session-Expires',
    'Refer-To',
    'Reason',
    'Warning',
    'X-GB-Ver',
  ].map((n) => [n.toLowerCase(), n]),
);

/** Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1). */
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'allow-events',
]);

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** The canonical form of a header name (compact forms expanded, known names in their usual case). */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT.get(lower) ?? CANONICAL.get(lower) ?? name;
}

/** First value of a header (case-insensitive, compact forms accepted), or `undefined`. */
export function getHeader(msg: { headers: readonly SipHeader[] }, name: string): string | undefined {
  const want = canonicalHeaderName(name).toLowerCase();
  for (const h of msg.headers) if (h.name.toLowerCase() === want) return h.value;
  return undefined;
}

/**
 * Every value of a header: each header line, and for list headers (Via, Contact, Route, …) each
 * comma-separated entry, in order.
 */
export function getHeaderValues(msg: { headers: readonly SipHeader[] }, name: string): string[] {
  const want = canonicalHeaderName(name).toLowerCase();
  const out: string[] = [];
  for (const h of msg.headers) {
    if (h.name.toLowerCase() !== want) continue;
    if (LIST_HEADERS.has(want)) {
      for (const part of splitOutsideQuotes(h.value, ',')) {
        const v = part.trim();
        if (v !== '') out.push(v);
      }
    } else out.push(h.value);
  }
  return out;
}

/** A copy of the headers with `name` set to the single `value` (replacing every existing line). */
export function withHeader(headers: readonly SipHeader[], name: string, value: string): SipHeader[] {
  const canonical = canonicalHeaderName(name);
  const want = canonical.toLowerCase();
  const out: SipHeader[] = [];
  let placed = false;
  for (const h of headers) {
    if (h.name.toLowerCase() !== want) out.push(h);
    else if (!placed) {
      out.push({ name: canonical, value });
      placed = true;
    }
  }
  if (!placed) out.push({ name: canonical, value });
  return out;
}

// --- parsing ------------------------------------------------------------------------------------

/**
 * Index just past the blank line that ends the header block, searching from `from`; accepts CRLF
 * and bare LF line ends. -1 when not found yet.
 */
function findHeaderEnd(buf: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i < buf.length; i++) {
    if (buf[i] !== 10) continue;
    if (buf[i + 1] === 10) return i + 2;
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return -1;
}

function skipLeadingNewlines(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length && (buf[i] === 13 || buf[i] === 10)) i++;
  return i;
}

type Head =
  | { kind: 'request'; method: string; uri: string }
  | { kind: 'response'; status: number; reason: string };

/** Parses a header block (start line and headers, without the blank line). */
function parseHead(block: Uint8Array): GbResult<{ head: Head; headers: SipHeader[] }> {
  const text = utf8Decode(block);
  const rawLines = text.split(/\r?\n/);
  // Unfold continuation lines (RFC 3261 §7.3.1: a line starting with SP/HT continues the previous).
  const lines: string[] = [];
  for (const line of rawLines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 1) {
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else if (line !== '') lines.push(line);
  }
  const start = lines[0];
  if (start === undefined) return fail('sip:empty', 'no start line');
  if (CONTROL_RE.test(start)) return fail('sip:start_line', 'control character in the start line');
  let head: Head;
  const resp = /^SIP\/2\.0 +([1-6]\d\d)(?: +(.*))?$/i.exec(start);
  if (resp) {
    head = { kind: 'response', status: Number(resp[1]), reason: (resp[2] ?? '').trim() };
  } else {
    const req = /^([A-Za-z0-9\-.!%*_+`'~]+) +([^\s]+) +SIP\/2\.0$/i.exec(start);
    if (!req) return fail('sip:start_line', 'not a SIP request or status line');
    head = { kind: 'request', method: req[1] as string, uri: req[2] as string };
  }
  if (lines.length - 1 > SIP_MAX_HEADERS) return fail('sip:header', `more than ${SIP_MAX_HEADERS} headers`);
  const headers: SipHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return fail('sip:header', `header line ${i} has no name`);
    const name = line.slice(0, colon).trimEnd();
    if (!TOKEN_RE.test(name)) return fail('sip:header', `bad header name on line ${i}`);
    if (CONTROL_RE.test(line)) return fail('sip:header', `control character on line ${i}`);
    headers.push({ name: canonicalHeaderName(name), value: line.slice(colon + 1).trim() });
  }
  return ok({ head, headers });
}

/** Content-Length of a header list: `undefined` when absent, an error when bad or inconsistent. */
function contentLengthOf(headers: readonly SipHeader[], maxBody: number): GbResult<number | undefined> {
  let found: number | undefined;
  for (const h of headers) {
    if (h.name !== 'Content-Length') continue;
    if (!/^\d{1,10}$/.test(h.value)) return fail('sip:content_length', 'Content-Length is not a number');
    const n = Number(h.value);
    if (found !== undefined && found !== n) return fail('sip:content_length', 'conflicting Content-Length');
    found = n;
  }
  if (found !== undefined && found > maxBody) {
    return fail('sip:body_too_large', `body of ${found} bytes exceeds ${maxBody}`);
  }
  return ok(found);
}

export interface SipParseOptions {
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
}

/**
 * Parses one SIP message from a UDP datagram. Without Content-Length the body is the rest of the
 * datagram; with it, extra bytes are ignored and missing ones are an error (`sip:truncated`).
 * A datagram of only CR/LF (a keepalive) gives `sip:empty`.
 */
export function parseSipMessage(datagram: Uint8Array, options: SipParseOptions = {}): SipParseResult {
  const maxHeader = options.maxHeaderBytes ?? SIP_MAX_HEADER_BYTES;
  const maxBody = options.maxBodyBytes ?? SIP_MAX_BODY_BYTES;
  const skip = skipLeadingNewlines(datagram);
  const buf = datagram.subarray(skip);
  if (buf.length === 0) return asParse(fail('sip:empty', 'no message'));
  let end = findHeaderEnd(buf, 0);
  let block: Uint8Array;
  if (end < 0) {
    // Tolerate a message without the final blank line (then it has no body).
    end = buf.length;
    block = buf;
  } else {
    block = buf.subarray(0, end);
  }
  if (block.length > maxHeader)
    return asParse(fail('sip:header_too_large', `header block over ${maxHeader}`));
  const parsed = parseHead(block);
  if (!parsed.ok) return parsed;
  const cl = contentLengthOf(parsed.value.headers, maxBody);
  if (!cl.ok) return cl;
  const available = buf.length - end;
  let bodyLength: number;
  if (cl.value === undefined) {
    if (available > maxBody) return asParse(fail('sip:body_too_large', `body over ${maxBody}`));
    bodyLength = available;
  } else {
    if (cl.value > available) {
      return asParse(
        fail('sip:truncated', `Content-Length ${cl.value} but ${available} bytes in the datagram`),
      );
    }
    bodyLength = cl.value;
  }
  const body = buf.slice(end, end + bodyLength);
  return { ok: true, message: assemble(parsed.value.head, parsed.value.headers, body) };
}

function asParse(r: { ok: false; error: GbError }): SipParseResult {
  return r;
}

function assemble(head: Head, headers: SipHeader[], body: Uint8Array): SipMessage {
  return head.kind === 'request'
    ? { kind: 'request', method: head.method, uri: head.uri, headers, body }
    : { kind: 'response', status: head.status, reason: head.reason, headers, body };
}

/**
 * Frames SIP messages on a stream (TCP, TLS) by Content-Length. CR/LF keepalives between messages
 * are skipped. A message with a malformed start line or headers but a readable Content-Length is
 * reported as an error result and skipped; a header block over the limit, a body over the limit or an
 * unreadable Content-Length lose the framing: the framer then fails for good (close the connection).
 * A missing Content-Length counts as 0 (RFC 3261 §18.3 requires it on streams).
 */
export class SipStreamFramer {
  readonly #queue = new ByteQueue();
  readonly #maxHeader: number;
  readonly #maxBody: number;
  #scanFrom = 0;
  #pending:
    | { headLength: number; bodyLength: number; head: GbResult<{ head: Head; headers: SipHeader[] }> }
    | undefined;
  #failed: GbError | undefined;

  constructor(options: SipParseOptions = {}) {
    this.#maxHeader = options.maxHeaderBytes ?? SIP_MAX_HEADER_BYTES;
    this.#maxBody = options.maxBodyBytes ?? SIP_MAX_BODY_BYTES;
  }

  /** Bytes held waiting for the rest of a message (at most max header + max body). */
  get bufferedBytes(): number {
    return this.#queue.length;
  }

  /** Set once framing is lost; further input is ignored. */
  get failed(): GbError | undefined {
    return this.#failed;
  }

  /** Feeds bytes; returns the messages (or per-message errors) completed by them, in order. */
  push(bytes: Uint8Array): SipParseResult[] {
    if (this.#failed) return [];
    this.#queue.append(bytes);
    const out: SipParseResult[] = [];
    for (;;) {
      let view = this.#queue.view();
      if (!this.#pending) {
        const skip = skipLeadingNewlines(view);
        if (skip > 0) {
          this.#queue.consume(skip);
          this.#scanFrom = 0;
          view = this.#queue.view();
        }
        if (view.length === 0) break;
        const end = findHeaderEnd(view, this.#scanFrom - 2);
        if (end < 0) {
          if (view.length > this.#maxHeader) {
            out.push(
              this.#fail(fail('sip:header_too_large', `no end of headers within ${this.#maxHeader} bytes`)),
            );
            break;
          }
          this.#scanFrom = view.length;
          break;
        }
        if (end > this.#maxHeader) {
          out.push(this.#fail(fail('sip:header_too_large', `header block over ${this.#maxHeader} bytes`)));
          break;
        }
        const head = parseHead(view.subarray(0, end));
        const headers = head.ok ? head.value.headers : rawHeadersForFraming(view.subarray(0, end));
        const cl = contentLengthOf(headers, this.#maxBody);
        if (!cl.ok) {
          out.push(this.#fail(cl));
          break;
        }
        this.#pending = { headLength: end, bodyLength: cl.value ?? 0, head };
      }
      const { headLength, bodyLength, head } = this.#pending;
      if (view.length < headLength + bodyLength) break;
      if (head.ok) {
        const body = view.slice(headLength, headLength + bodyLength);
        out.push({ ok: true, message: assemble(head.value.head, head.value.headers, body) });
      } else {
        out.push(head);
      }
      this.#queue.consume(headLength + bodyLength);
      this.#pending = undefined;
      this.#scanFrom = 0;
    }
    return out;
  }

  /** Forgets buffered bytes and any failure (e.g. when a connection is reused). */
  reset(): void {
    this.#queue.clear();
    this.#pending = undefined;
    this.#scanFrom = 0;
    this.#failed = undefined;
  }

  #fail(r: { ok: false; error: GbError }): SipParseResult {
    this.#failed = r.error;
    this.#queue.clear();
    this.#pending = undefined;
    return r;
  }
}

/** Header lines of a block whose start line or some header did not parse, for Content-Length only. */
function rawHeadersForFraming(block: Uint8Array): SipHeader[] {
  const out: SipHeader[] = [];
  for (const line of latin1Decode(block).split(/\r?\n/)) {
    const m = /^([A-Za-z-]+)[ \t]*:(.*)$/.exec(line);
    if (m) out.push({ name: canonicalHeaderName(m[1] as string), value: (m[2] as string).trim() });
  }
  return out;
}

// --- serializing ----------------------------------------------------------------------------------

/** No CR, LF or NUL may reach the wire inside a start line or header (header injection). */
function clean(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ');
}

/**
 * Serializes a message. Content-Length is always written last from the body's byte length (any
 * Content-Length in `headers` is ignored).
 */
export function serializeSipMessage(msg: SipMessage): Uint8Array {
  let head =
    msg.kind === 'request'
      ? `${clean(msg.method)} ${clean(msg.uri)} SIP/2.0\r\n`
      : `SIP/2.0 ${msg.status} ${clean(msg.reason)}\r\n`;
  for (const h of msg.headers) {
    if (h.name.toLowerCase() === 'content-length' || h.name.toLowerCase() === 'l') continue;
    head += `${clean(h.name).replace(/[:\s]/g, '')}: ${clean(h.value)}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  const headBytes = utf8Encode(head);
  const out = new Uint8Array(headBytes.length + msg.body.length);
  out.set(headBytes);
  out.set(msg.body, headBytes.length);
  return out;
}

// --- essentials and responses ----------------------------------------------------------------------

export const SIP_REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  423: 'Interval Too Brief',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
};

/** The headers every request and response must carry, parsed (RFC 3261 §8.1.1). */
export interface SipEssentials {
  callId: string;
  cseq: SipCSeq;
  from: SipNameAddr;
  to: SipNameAddr;
  /** Top-most first. */
  vias: SipVia[];
}

/** Parses Call-ID, CSeq, From, To and Via; for requests, checks the CSeq method matches. */
export function sipEssentials(msg: SipMessage): GbResult<SipEssentials> {
  const callId = getHeader(msg, 'Call-ID');
  if (!callId) return fail('sip:missing_header', 'Call-ID');
  const cseqText = getHeader(msg, 'CSeq');
  if (cseqText === undefined) return fail('sip:missing_header', 'CSeq');
  const cseq = parseCSeq(cseqText);
  if (!cseq.ok) return cseq;
  if (msg.kind === 'request' && cseq.value.method !== msg.method) {
    return fail('sip:cseq', `CSeq method ${cseq.value.method} differs from ${msg.method}`);
  }
  const fromText = getHeader(msg, 'From');
  if (fromText === undefined) return fail('sip:missing_header', 'From');
  const from = parseNameAddr(fromText);
  if (!from.ok) return from;
  const toText = getHeader(msg, 'To');
  if (toText === undefined) return fail('sip:missing_header', 'To');
  const to = parseNameAddr(toText);
  if (!to.ok) return to;
  const viaTexts = getHeaderValues(msg, 'Via');
  if (viaTexts.length === 0) return fail('sip:missing_header', 'Via');
  const vias: SipVia[] = [];
  for (const v of viaTexts) {
    const via = parseVia(v);
    if (!via.ok) return via;
    vias.push(via.value);
  }
  return ok({ callId, cseq: cseq.value, from: from.value, to: to.value, vias });
}

/** `Expires` header as seconds (`undefined` when absent or not a number). */
export function sipExpires(msg: SipMessage): number | undefined {
  const v = getHeader(msg, 'Expires');
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  return Number(v);
}

export interface SipResponseOptions {
  reason?: string;
  /** Added to To when it has no tag yet (not on 100 Trying). */
  toTag?: string;
  /** Extra headers, after the copied ones. */
  headers?: SipHeader[];
  body?: Uint8Array;
  contentType?: string;
}

/**
 * A response to `request` (RFC 3261 §8.2.6): copies every Via (in order), From, To, Call-ID and
 * CSeq, adds the To tag, and copies Record-Route on 101–299.
 */
export function buildSipResponse(
  request: SipRequest,
  status: number,
  options: SipResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of request.headers) {
    switch (h.name) {
      case 'Via':
      case 'From':
      case 'Call-ID':
      case 'CSeq':
        headers.push({ name: h.name, value: h.value });
        break;
      case 'To': {
        let value = h.value;
        const hasTag = parseNameAddr(value);
        if (options.toTag !== undefined && status > 100 && !(hasTag.ok && hasTag.value.params.has('tag'))) {
          value = `${value};tag=${options.toTag}`;
        }
        headers.push({ name: 'To', value });
        break;
      }
      case 'Record-Route':
        if (status > 100 && status < 300) headers.push({ name: h.name, value: h.value });
        break;
    }
  }
  if (options.headers) headers.push(...options.headers);
  const body = options.body ?? new Uint8Array(0);
  if (body.length > 0 && options.contentType !== undefined) {
    headers.push({ name: 'Content-Type', value: options.contentType });
  }
  return {
    kind: 'response',
    status,
    reason: options.reason ?? SIP_REASONS[status] ?? 'Unknown',
    headers,
    body,
  };
}

/**
 * The `Date` header of a REGISTER 200 as GB/T 28181 devices read it: `yyyy-MM-ddTHH:mm:ss.SSS` in
 * local time of the given UTC offset (default China Standard Time, +08:00).
 */
export function formatGbDate(epochMs: number, utcOffsetMinutes = 480): string {
  const d = new Date(epochMs + utcOffsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}` +
    `T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`
  );
}
