import { hash } from 'node:crypto';
import type { AuditRow, JsonObject, JsonValue } from './types.ts';

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** First element of every canonical form: names the format, so a later one cannot be confused with it. */
export const CANONICAL_FORMAT = 'wall-audit/1';

/** What the hash of an entry covers: everything stored except the hash itself. */
export type AuditContent = Omit<AuditRow, 'hash'>;

/**
 * The canonical form of an entry: a JSON array in a fixed field order, no whitespace,
 *   ["wall-audit/1", seq, at, actorId, actorName, action, targetKind, targetId, result, reason,
 *    address, emergency, detail, prevHash]
 * with `at` as ISO 8601 in UTC with milliseconds (`2025-01-02T03:04:05.678Z`), absent values as
 * null, and `detail` in canonical JSON (object keys sorted by UTF-16 code units, recursively). jsonb
 * stores keys in its own order and drops nothing else, so the form is the same before and after a
 * round trip through the database.
 */
export function canonicalAudit(c: AuditContent): string {
  if (!Number.isSafeInteger(c.seq)) throw new TypeError('audit seq must be a safe integer');
  // One native call for the flat fields (a verify of a million entries spends its time here); for
  // strings, null, booleans and safe integers it writes exactly what the form above says.
  const flat = JSON.stringify([
    CANONICAL_FORMAT,
    c.seq,
    c.at.toISOString(),
    c.actorId,
    c.actorName,
    c.action,
    c.targetKind,
    c.targetId,
    c.result,
    c.reason,
    c.address,
    c.emergency === true,
    c.prevHash,
  ]);
  // The detail goes between emergency and prevHash: cut the array before its last element.
  const cut = flat.length - 1 - JSON.stringify(c.prevHash).length;
  return `${flat.slice(0, cut)}${canonicalJson(c.detail)},${flat.slice(cut)}`;
}

/** SHA-256 (hex) of the canonical form. */
export function hashAudit(c: AuditContent): string {
  return sha256Hex(canonicalAudit(c));
}

/** One-shot `crypto.hash` (Node ≥ 20.12): about three times faster than createHash on short input. */
export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex');
}

/** JSON with object keys sorted; throws on anything JSON cannot represent exactly. */
export function canonicalJson(v: JsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError('audit detail: numbers must be finite');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
      const keys = Object.keys(v).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        out += `${i ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(v[k] as JsonValue)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`audit detail: ${typeof v} is not JSON`);
  }
}

// NUL cannot be stored in text or jsonb; lone surrogates would be replaced by the driver's UTF-8
// encoder behind our back. Both become U+FFFD before hashing, so what is hashed is what is stored.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character being replaced.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text as PostgreSQL will store and return it, at most `max` UTF-16 units (a pair is never split). */
export function storableText(s: string, max = Number.POSITIVE_INFINITY): string {
  let out = s.replace(UNSTORABLE, '\ufffd');
  if (out.length > max) {
    const cut = /[\ud800-\udbff]/.test(out[max - 1] ?? '') ? max - 1 : max;
    out = out.slice(0, cut);
  }
  return out;
}

/**
 * A plain-JSON copy of `value` as jsonb will return it: strings made storable, -0 as 0, object
 * members whose value is undefined left out (as JSON.stringify does). Throws on non-finite numbers
 * and on anything that is not null, boolean, number, string, array or plain object.
 */
export function normalizeJson(value: unknown, path = 'detail'): JsonValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return storableText(value);
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: numbers must be finite`);
      return value === 0 ? 0 : value;
    case 'object': {
      if (Array.isArray(value)) return Array.from(value, (x, i) => normalizeJson(x ?? null, `${path}[${i}]`));
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: not a plain object`);
      return normalizeJsonObject(value as Record<string, unknown>, path);
    }
    default:
      throw new TypeError(`${path}: ${typeof value} is not JSON`);
  }
}

export function normalizeJsonObject(value: Record<string, unknown>, path = 'detail'): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(value)) {
    if (x === undefined) continue;
    // defineProperty: a member named `__proto__` stays a member, as in JSON.parse's result.
    Object.defineProperty(out, storableText(k), {
      value: normalizeJson(x, `${path}.${k}`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
