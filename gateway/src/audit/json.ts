/** Plain JSON as jsonb stores it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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
