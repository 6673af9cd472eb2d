/**
 * Results of the GB/T 28181 protocol code. Nothing in this folder throws on bad input: every parser
 * answers `{ ok: false, error }` with a stable code of its own (these codes are internal to the
 * protocol library; a service maps them to an `AppError` code such as `invalid:request`).
 */

export type GbErrorCode =
  // SIP
  | 'sip:empty'
  | 'sip:start_line'
  | 'sip:header'
  | 'sip:header_too_large'
  | 'sip:body_too_large'
  | 'sip:content_length'
  | 'sip:truncated'
  | 'sip:missing_header'
  | 'sip:cseq'
  | 'sip:via'
  | 'sip:uri'
  | 'sip:name_addr'
  // Digest authentication
  | 'digest:syntax'
  | 'digest:missing_param'
  | 'digest:unsupported'
  // XML and MANSCDP
  | 'xml:syntax'
  | 'xml:too_large'
  | 'xml:too_deep'
  | 'xml:too_many_nodes'
  | 'xml:doctype'
  | 'charset:unsupported'
  | 'manscdp:root'
  | 'manscdp:field'
  // PTZ
  | 'ptz:syntax'
  | 'ptz:checksum'
  // SDP
  | 'sdp:syntax'
  | 'sdp:missing'
  | 'sdp:ssrc'
  // RTP
  | 'rtp:malformed'
  | 'rtp:too_large';

export interface GbError {
  code: GbErrorCode;
  message: string;
}

export type GbResult<T> = { ok: true; value: T } | { ok: false; error: GbError };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: GbErrorCode, message: string): { ok: false; error: GbError } {
  return { ok: false, error: { code, message } };
}
