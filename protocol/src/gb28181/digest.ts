import { timingSafeEqualString } from './bytes.ts';
import { md5Hex } from './md5.ts';
import { fail, type GbResult, ok } from './result.ts';

/**
 * HTTP digest authentication as SIP uses it (RFC 2617; MD5 and MD5-sess, `qop=auth` or no qop).
 * Pure: the caller supplies nonces and cnonces (it owns randomness and time) and looks up passwords.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess';

/** A parsed `WWW-Authenticate` / `Proxy-Authenticate` header. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** Offered qop values; empty when the server asked for none (RFC 2069 compatibility). */
  qop: string[];
  opaque?: string;
  stale?: boolean;
}

/** A parsed `Authorization` / `Proxy-Authorization` header. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: 'auth';
  /** Nonce count, 8 hex digits, present with qop. */
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const MAX_HEADER = 8192;

/**
 * Splits `Digest a=b, c="d"` into its scheme and parameters (names lower-cased). Quoted values may
 * hold commas and backslash escapes.
 */
export function parseAuthParams(value: string): GbResult<{ scheme: string; params: Map<string, string> }> {
  if (value.length > MAX_HEADER) return fail('digest:syntax', 'header too long');
  const m = /^\s*([A-Za-z][A-Za-z0-9._-]*)(?:\s+|$)/.exec(value);
  if (!m) return fail('digest:syntax', 'missing auth scheme');
  const scheme = m[1] as string;
  const params = new Map<string, string>();
  let i = m[0].length;
  const n = value.length;
  const skipWs = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t' || value[i] === '\r' || value[i] === '\n')) i++;
  };
  skipWs();
  while (i < n) {
    const nameStart = i;
    while (i < n && /[A-Za-z0-9._-]/.test(value[i] as string)) i++;
    if (i === nameStart) return fail('digest:syntax', `unexpected character at ${i}`);
    const name = value.slice(nameStart, i).toLowerCase();
    skipWs();
    if (value[i] !== '=') return fail('digest:syntax', `expected "=" after ${name}`);
    i++;
    skipWs();
    let v = '';
    if (value[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const ch = value[i] as string;
        if (ch === '\\' && i + 1 < n) {
          v += value[i + 1];
          i += 2;
        } else if (ch === '"') {
          i++;
          closed = true;
          break;
        } else {
          v += ch;
          i++;
        }
      }
      if (!closed) return fail('digest:syntax', `unterminated quoted value of ${name}`);
    } else {
      const start = i;
      while (i < n && value[i] !== ',' && value[i] !== ' ' && value[i] !== '\t') i++;
      v = value.slice(start, i);
    }
    if (params.has(name)) return fail('digest:syntax', `duplicate parameter ${name}`);
    params.set(name, v);
    skipWs();
    if (i < n) {
      if (value[i] !== ',') return fail('digest:syntax', `expected "," at ${i}`);
      i++;
      skipWs();
    }
  }
  return ok({ scheme, params });
}

function parseAlgorithm(v: string | undefined): DigestAlgorithm | undefined {
  if (v === undefined) return 'MD5';
  const u = v.toUpperCase();
  if (u === 'MD5') return 'MD5';
  if (u === 'MD5-SESS') return 'MD5-sess';
  return undefined;
}

export function parseDigestChallenge(value: string): GbResult<DigestChallenge> {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9._-]*)/.exec(value)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'digest') {
    return fail('digest:unsupported', `scheme ${scheme.slice(0, 20)}`);
  }
  const r = parseAuthParams(value);
  if (!r.ok) return r;
  const { params } = r.value;
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined) return fail('digest:missing_param', 'realm');
  if (nonce === undefined) return fail('digest:missing_param', 'nonce');
  const algorithm = parseAlgorithm(params.get('algorithm'));
  if (!algorithm) return fail('digest:unsupported', `algorithm ${params.get('algorithm')}`);
  const qopRaw = params.get('qop');
  const qop = qopRaw === undefined ? [] : qopRaw.split(',').map((q) => q.trim().toLowerCase());
  const challenge: DigestChallenge = { realm, nonce, algorithm, qop };
  const opaque = params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  const stale = params.get('stale');
  if (stale !== undefined) challenge.stale = stale.toLowerCase() === 'true';
  return ok(challenge);
}

export function parseDigestCredentials(value: string): GbResult<DigestCredentials> {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9._-]*)/.exec(value)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'digest') {
    return fail('digest:unsupported', `scheme ${scheme.slice(0, 20)}`);
  }
  const r = parseAuthParams(value);
  if (!r.ok) return r;
  const { params } = r.value;
  const required = ['username', 'realm', 'nonce', 'uri', 'response'] as const;
  for (const k of required) {
    if (!params.has(k)) return fail('digest:missing_param', k);
  }
  const algorithm = parseAlgorithm(params.get('algorithm'));
  if (!algorithm) return fail('digest:unsupported', `algorithm ${params.get('algorithm')}`);
  const creds: DigestCredentials = {
    username: params.get('username') as string,
    realm: params.get('realm') as string,
    nonce: params.get('nonce') as string,
    uri: params.get('uri') as string,
    response: (params.get('response') as string).toLowerCase(),
    algorithm,
  };
  const qop = params.get('qop');
  if (qop !== undefined) {
    if (qop.toLowerCase() !== 'auth') return fail('digest:unsupported', `qop ${qop}`);
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    if (nc === undefined) return fail('digest:missing_param', 'nc');
    if (cnonce === undefined) return fail('digest:missing_param', 'cnonce');
    if (!/^[0-9a-fA-F]{8}$/.test(nc)) return fail('digest:syntax', 'nc must be 8 hex digits');
    creds.qop = 'auth';
    creds.nc = nc.toLowerCase();
    creds.cnonce = cnonce;
  } else if (algorithm === 'MD5-sess') {
    const cnonce = params.get('cnonce');
    if (cnonce === undefined) return fail('digest:missing_param', 'cnonce');
    creds.cnonce = cnonce;
  }
  const opaque = params.get('opaque');
  if (opaque !== undefined) creds.opaque = opaque;
  return ok(creds);
}

function quote(v: string): string {
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

/** `WWW-Authenticate` value for a challenge (qop `auth` unless `qop` is empty). */
export function formatDigestChallenge(ch: {
  realm: string;
  nonce: string;
  algorithm?: DigestAlgorithm;
  qop?: string[];
  opaque?: string;
  stale?: boolean;
}): string {
  const parts = [`realm=${quote(ch.realm)}`, `nonce=${quote(ch.nonce)}`];
  if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
  parts.push(`algorithm=${ch.algorithm ?? 'MD5'}`);
  const qop = ch.qop ?? ['auth'];
  if (qop.length > 0) parts.push(`qop=${quote(qop.join(','))}`);
  if (ch.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}

export function formatDigestCredentials(c: DigestCredentials): string {
  const parts = [
    `username=${quote(c.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(c.uri)}`,
    `response=${quote(c.response)}`,
    `algorithm=${c.algorithm}`,
  ];
  if (c.cnonce !== undefined) parts.push(`cnonce=${quote(c.cnonce)}`);
  if (c.qop !== undefined) parts.push(`qop=${c.qop}`, `nc=${c.nc ?? '00000001'}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** HA1 = MD5(username:realm:password): what a server may store instead of the password. */
export function digestHa1(username: string, realm: string, password: string): string {
  return md5Hex(`${username}:${realm}:${password}`);
}

export interface DigestInput {
  username: string;
  realm: string;
  /** The password, or `ha1` (MD5(username:realm:password)) instead. */
  password?: string;
  ha1?: string;
  method: string;
  uri: string;
  nonce: string;
  algorithm?: DigestAlgorithm;
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/** The `response` value (32 lower-case hex digits) of RFC 2617 §3.2.2.1. */
export function computeDigestResponse(input: DigestInput): string {
  let ha1 = input.ha1?.toLowerCase() ?? digestHa1(input.username, input.realm, input.password ?? '');
  if (input.algorithm === 'MD5-sess') ha1 = md5Hex(`${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const ha2 = md5Hex(`${input.method}:${input.uri}`);
  if (input.qop === 'auth') {
    return md5Hex(`${ha1}:${input.nonce}:${input.nc ?? '00000001'}:${input.cnonce ?? ''}:auth:${ha2}`);
  }
  return md5Hex(`${ha1}:${input.nonce}:${ha2}`);
}

/**
 * Answers a challenge (our gateway registering upward): picks qop=auth when offered, else none.
 * `cnonce` comes from the caller (random), `nc` counts uses of the same nonce (1-based).
 */
export function answerDigestChallenge(args: {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  cnonce: string;
  nc?: number;
}): DigestCredentials {
  const { challenge } = args;
  const useQop = challenge.qop.includes('auth');
  const nc = (args.nc ?? 1).toString(16).padStart(8, '0');
  const creds: DigestCredentials = {
    username: args.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: args.uri,
    algorithm: challenge.algorithm,
    response: '',
  };
  if (useQop) {
    creds.qop = 'auth';
    creds.nc = nc;
    creds.cnonce = args.cnonce;
  } else if (challenge.algorithm === 'MD5-sess') {
    creds.cnonce = args.cnonce;
  }
  if (challenge.opaque !== undefined) creds.opaque = challenge.opaque;
  const input: DigestInput = {
    username: args.username,
    realm: challenge.realm,
    password: args.password,
    method: args.method,
    uri: args.uri,
    nonce: challenge.nonce,
    algorithm: challenge.algorithm,
  };
  if (creds.qop) input.qop = creds.qop;
  if (creds.nc) input.nc = creds.nc;
  if (creds.cnonce !== undefined) input.cnonce = creds.cnonce;
  creds.response = computeDigestResponse(input);
  return creds;
}

export type DigestVerdict =
  | { ok: true }
  | { ok: false; reason: 'realm' | 'nonce' | 'qop' | 'response' | 'opaque' };

/**
 * Checks credentials against what we challenged with. Nonce freshness and replay (nc) are the
 * caller's (it owns time and state): pass the nonce it issued, or omit it when it validates the
 * nonce itself. `qopRequired` refuses credentials without qop when we offered qop=auth.
 */
export function verifyDigest(
  creds: DigestCredentials,
  expected: {
    method: string;
    realm: string;
    nonce?: string;
    opaque?: string;
    password?: string;
    ha1?: string;
    qopRequired?: boolean;
  },
): DigestVerdict {
  if (creds.realm !== expected.realm) return { ok: false, reason: 'realm' };
  if (expected.nonce !== undefined && creds.nonce !== expected.nonce) return { ok: false, reason: 'nonce' };
  if (expected.opaque !== undefined && creds.opaque !== expected.opaque)
    return { ok: false, reason: 'opaque' };
  if (expected.qopRequired && creds.qop !== 'auth') return { ok: false, reason: 'qop' };
  const input: DigestInput = {
    username: creds.username,
    realm: creds.realm,
    method: expected.method,
    uri: creds.uri,
    nonce: creds.nonce,
    algorithm: creds.algorithm,
  };
  if (expected.ha1 !== undefined) input.ha1 = expected.ha1;
  else if (expected.password !== undefined) input.password = expected.password;
  else return { ok: false, reason: 'response' };
  if (creds.qop) input.qop = creds.qop;
  if (creds.nc !== undefined) input.nc = creds.nc;
  if (creds.cnonce !== undefined) input.cnonce = creds.cnonce;
  const want = computeDigestResponse(input);
  if (!timingSafeEqualString(want, creds.response)) return { ok: false, reason: 'response' };
  return { ok: true };
}
