import { fail, type GbResult, ok } from './result.ts';

/**
 * Structured SIP header values (RFC 3261 §20, §25): URIs, name-addr (From, To, Contact), Via, CSeq.
 * Parameters live in `Map`s (never plain objects: names come from the network). Nothing throws.
 */

/** Parameters `;name=value` / `;flag` (flag → `null`); names lower-cased, values as sent. */
export type SipParams = Map<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: SipParams;
  /** `?h=v&…` part, unparsed. */
  headers?: string;
}

export interface SipNameAddr {
  displayName?: string;
  /** The URI text as sent (inside `<>` when there were angle brackets). */
  uri: string;
  /** Header parameters (`tag`, `expires`, …). */
  params: SipParams;
}

export interface SipVia {
  /** Upper-case transport: `UDP`, `TCP`, `TLS`, `WS`, … */
  transport: string;
  host: string;
  port?: number;
  branch?: string;
  received?: string;
  /** `rport` with a value (the source port the server saw), `true` when asked for, else absent. */
  rport?: number | true;
  params: SipParams;
}

export interface SipCSeq {
  seq: number;
  method: string;
}

const MAX_VALUE = 8192;
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** Splits `host[:port]` (IPv6 in brackets). */
export function parseHostPort(text: string): GbResult<{ host: string; port?: number }> {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail('sip:uri', 'unterminated IPv6 reference');
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail('sip:uri', 'junk after IPv6 reference');
      portText = rest.slice(1);
    }
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) return fail('sip:uri', 'bad IPv6 reference');
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) portText = text.slice(colon + 1);
    if (!/^[A-Za-z0-9.\-_]+$/.test(host)) return fail('sip:uri', 'bad host');
  }
  if (portText === undefined) return ok({ host });
  const port = parsePort(portText);
  if (port === undefined) return fail('sip:uri', 'bad port');
  return ok({ host, port });
}

/** Parses `;a=b;c` (the text after the first `;`, or starting with it). */
export function parseParams(text: string): GbResult<SipParams> {
  const params: SipParams = new Map();
  const body = text.startsWith(';') ? text.slice(1) : text;
  if (body.trim() === '') return ok(params);
  for (const raw of splitOutsideQuotes(body, ';')) {
    const part = raw.trim();
    if (part === '') return fail('sip:header', 'empty parameter');
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!TOKEN.test(name)) return fail('sip:header', `bad parameter name ${JSON.stringify(name)}`);
    let value: string | null = eq < 0 ? null : part.slice(eq + 1).trim();
    if (value?.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    params.set(name, value);
  }
  return ok(params);
}

export function formatParams(params: SipParams): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** Splits on `sep` outside double quotes and angle brackets. */
export function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (ch === sep && angle === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** `sip:user:password@host:port;params?headers` (also `sips:`). */
export function parseSipUri(text: string): GbResult<SipUri> {
  if (text.length > MAX_VALUE) return fail('sip:uri', 'URI too long');
  const m = /^(sips?):(.*)$/i.exec(text.trim());
  if (!m) return fail('sip:uri', 'not a sip: or sips: URI');
  const scheme = (m[1] as string).toLowerCase() as 'sip' | 'sips';
  let rest = m[2] as string;
  let headers: string | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let userinfo: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const hp = parseHostPort(hostport);
  if (!hp.ok) return hp;
  const params = parseParams(semi < 0 ? '' : rest.slice(semi));
  if (!params.ok) return params;
  const uri: SipUri = { scheme, host: hp.value.host, params: params.value };
  if (hp.value.port !== undefined) uri.port = hp.value.port;
  if (userinfo !== undefined) {
    if (userinfo === '' || /[\s<>"]/.test(userinfo)) return fail('sip:uri', 'bad user part');
    const colon = userinfo.indexOf(':');
    uri.user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) uri.password = userinfo.slice(colon + 1);
  }
  if (headers !== undefined) uri.headers = headers;
  return ok(uri);
}

export function formatSipUri(uri: SipUri): string {
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined)
    out += uri.password !== undefined ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
  out += uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params);
  if (uri.headers !== undefined) out += `?${uri.headers}`;
  return out;
}

/** From, To, Contact, Route values: `"Name" <uri>;params`, `Name <uri>;params` or `uri;params`. */
export function parseNameAddr(text: string): GbResult<SipNameAddr> {
  if (text.length > MAX_VALUE) return fail('sip:name_addr', 'value too long');
  let rest = text.trim();
  let displayName: string | undefined;
  let uri: string;
  if (rest.startsWith('"')) {
    let i = 1;
    let name = '';
    let closed = false;
    while (i < rest.length) {
      const ch = rest[i] as string;
      if (ch === '\\' && i + 1 < rest.length) {
        name += rest[i + 1];
        i += 2;
      } else if (ch === '"') {
        closed = true;
        i++;
        break;
      } else {
        name += ch;
        i++;
      }
    }
    if (!closed) return fail('sip:name_addr', 'unterminated display name');
    displayName = name;
    rest = rest.slice(i).trimStart();
    if (!rest.startsWith('<')) return fail('sip:name_addr', 'expected <uri> after display name');
  }
  const lt = rest.indexOf('<');
  if (lt >= 0) {
    const before = rest.slice(0, lt).trim();
    if (before !== '') {
      if (displayName !== undefined) return fail('sip:name_addr', 'junk before <uri>');
      displayName = before;
    }
    const gt = rest.indexOf('>', lt);
    if (gt < 0) return fail('sip:name_addr', 'unterminated <uri>');
    uri = rest.slice(lt + 1, gt).trim();
    rest = rest.slice(gt + 1).trim();
    if (rest !== '' && !rest.startsWith(';')) return fail('sip:name_addr', 'junk after <uri>');
  } else {
    // addr-spec without brackets: everything after the first ';' is a header parameter.
    const semi = rest.indexOf(';');
    uri = (semi < 0 ? rest : rest.slice(0, semi)).trim();
    rest = semi < 0 ? '' : rest.slice(semi);
    if (/[\s,]/.test(uri)) return fail('sip:name_addr', 'bad addr-spec');
  }
  if (uri === '' || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return fail('sip:name_addr', 'missing URI');
  const params = parseParams(rest);
  if (!params.ok) return fail('sip:name_addr', params.error.message);
  const out: SipNameAddr = { uri, params: params.value };
  if (displayName !== undefined) out.displayName = displayName;
  return ok(out);
}

export function formatNameAddr(na: SipNameAddr): string {
  const name =
    na.displayName === undefined || na.displayName === ''
      ? ''
      : `"${na.displayName.replace(/(["\\])/g, '\\$1')}" `;
  return `${name}<${na.uri}>${formatParams(na.params)}`;
}

/** `SIP/2.0/UDP host:port;branch=…;rport=…;received=…`. */
export function parseVia(text: string): GbResult<SipVia> {
  if (text.length > MAX_VALUE) return fail('sip:via', 'value too long');
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(text);
  if (!m) return fail('sip:via', 'expected SIP/2.0/<transport> <sent-by>');
  const hp = parseHostPort(m[2] as string);
  if (!hp.ok) return fail('sip:via', hp.error.message);
  const params = parseParams(m[3] ?? '');
  if (!params.ok) return fail('sip:via', params.error.message);
  const via: SipVia = {
    transport: (m[1] as string).toUpperCase(),
    host: hp.value.host,
    params: params.value,
  };
  if (hp.value.port !== undefined) via.port = hp.value.port;
  const branch = params.value.get('branch');
  if (branch) via.branch = branch;
  const received = params.value.get('received');
  if (received) via.received = received;
  if (params.value.has('rport')) {
    const rp = params.value.get('rport');
    if (rp === null || rp === '') via.rport = true;
    else {
      const port = rp === undefined ? undefined : parsePort(rp);
      if (port === undefined) return fail('sip:via', 'bad rport');
      via.rport = port;
    }
  }
  return ok(via);
}

/** Serializes a Via; `branch`, `received` and `rport` fields win over the same names in `params`. */
export function formatVia(via: SipVia): string {
  const params: SipParams = new Map(via.params);
  if (via.branch !== undefined) params.set('branch', via.branch);
  if (via.received !== undefined) params.set('received', via.received);
  if (via.rport !== undefined) params.set('rport', via.rport === true ? null : String(via.rport));
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `SIP/2.0/${via.transport} ${via.host}${port}${formatParams(params)}`;
}

/**
 * Where to answer a request (RFC 3261 §18.2.2 with RFC 3581): `received` (else the sent-by host) and
 * the `rport` value (else the sent-by port, else 5060). GB devices behind NAT need both.
 */
export function viaResponseAddress(via: SipVia): { host: string; port: number } {
  return {
    host: via.received ?? via.host,
    port: typeof via.rport === 'number' ? via.rport : (via.port ?? 5060),
  };
}

export function parseCSeq(text: string): GbResult<SipCSeq> {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(text);
  if (!m) return fail('sip:cseq', 'expected "<number> <method>"');
  const seq = Number(m[1]);
  if (seq > 0x7fffffff) return fail('sip:cseq', 'sequence number out of range');
  return ok({ seq, method: m[2] as string });
}
