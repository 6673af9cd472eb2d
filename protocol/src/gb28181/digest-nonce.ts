import type { DigestCredentials } from './digest.ts';
import { parseSipUri, type SipUri } from './sip-headers.ts';

/**
 * A digest server's bookkeeping of the nonces it issued (RFC 2617 §3.2.2 and §3.3): whom a nonce
 * was issued to and until when, and which nonce counts were used, so that credentials captured on
 * the wire cannot be sent again. Pure: the caller keeps the records (one per nonce), supplies the
 * time, checks a use with {@link checkNonceUse} before it verifies the digest and records the
 * outcome with {@link nonceUsed} or {@link nonceRefused} — with no `await` between the check and
 * the record, so two copies of one request cannot both pass.
 */

/** What the server remembers of one nonce it issued. */
export interface NonceRecord {
  /** Whom the challenge was for (a device ID): the nonce answers for it alone. */
  owner: string;
  /** Epoch ms from which the nonce is stale. */
  expiresAt: number;
  /** The highest nonce count (`nc`) accepted so far; 0 before the first use. */
  lastNc: number;
  /**
   * No longer accepted: `used` — accepted once without qop (no nonce count, so single use);
   * `refused` — part of an attempt that was refused (wrong digest, wrong URI, wrong user).
   */
  retired?: 'used' | 'refused';
}

/**
 * Why a nonce is not accepted: `unknown` (never issued, or forgotten), `owner` (issued to another
 * device), `expired`, `refused` (retired after a refused attempt), `replay` (a nonce count not above
 * the last one accepted, or a single-use nonce used again).
 */
export type NonceRefusal = 'unknown' | 'owner' | 'expired' | 'refused' | 'replay';

export type NonceVerdict =
  | { ok: true; nc: number }
  | {
      ok: false;
      reason: NonceRefusal;
      /**
       * The credentials may be right but the nonce cannot be used again: challenge anew with
       * `stale=true` (the client answers the new nonce without asking for the password again).
       */
      stale: boolean;
    };

/**
 * Whether `creds` may use their nonce now. With qop=auth each nonce count may be used once and
 * must increase (RFC 2617 §3.2.2); without qop a nonce is good for one request.
 */
export function checkNonceUse(
  record: NonceRecord | undefined,
  creds: Pick<DigestCredentials, 'nc'>,
  owner: string,
  now: number,
): NonceVerdict {
  if (!record) return { ok: false, reason: 'unknown', stale: false };
  if (record.owner !== owner) return { ok: false, reason: 'owner', stale: false };
  if (record.expiresAt <= now) return { ok: false, reason: 'expired', stale: true };
  if (record.retired === 'refused') return { ok: false, reason: 'refused', stale: true };
  if (record.retired === 'used') return { ok: false, reason: 'replay', stale: true };
  if (creds.nc === undefined) {
    // Without qop there is no count: only a nonce never used before.
    return record.lastNc === 0 ? { ok: true, nc: 0 } : { ok: false, reason: 'replay', stale: true };
  }
  const nc = /^[0-9a-fA-F]{8}$/.test(creds.nc) ? Number.parseInt(creds.nc, 16) : Number.NaN;
  if (!(nc > record.lastNc)) return { ok: false, reason: 'replay', stale: true };
  return { ok: true, nc };
}

/** The record after an accepted use with nonce count `nc` (0: without qop, which retires it). */
export function nonceUsed(record: NonceRecord, nc: number): NonceRecord {
  return nc === 0 ? { ...record, retired: 'used' } : { ...record, lastNc: Math.max(record.lastNc, nc) };
}

/** The record after a refused attempt: a later use is answered with a fresh, stale challenge. */
export function nonceRefused(record: NonceRecord): NonceRecord {
  return { ...record, retired: 'refused' };
}

/**
 * Whether the digest's `uri` names the Request-URI (RFC 2617 §3.2.2.5: else 400). The same text,
 * or SIP URIs equal by RFC 3261 §19.1.4 as far as GB devices write them: scheme and host compared
 * without case, user and password with case, the same port (absent ≠ 5060), the same parameters
 * (names and values without case) and headers.
 */
export function digestUriMatches(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const a = parseSipUri(digestUri);
  const b = parseSipUri(requestUri);
  return a.ok && b.ok && sameSipUri(a.value, b.value);
}

function sameSipUri(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme || a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  if ((a.headers ?? '') !== (b.headers ?? '')) return false;
  const params = (p: SipUri['params']) =>
    [...p].map(([k, v]) => `${k.toLowerCase()}=${(v ?? '').toLowerCase()}`).sort();
  const pa = params(a.params);
  const pb = params(b.params);
  return pa.length === pb.length && pa.every((x, i) => x === pb[i]);
}
