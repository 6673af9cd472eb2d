import type { ErrorBody, ErrorCode } from '@wall/protocol';

/** The value of one cookie in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A socket must come from one of the web origins. Browsers always send `Origin` on a cross-origin
 * request and on every WebSocket upgrade, so a missing one is refused too (deny by default;
 * non-browser clients send the origin they are deployed for).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  return typeof origin === 'string' && allowed.includes(origin);
}

/** An error for socket.io's `next(err)`: the client gets `err.message` and `err.data = { code, message }`. */
export function refusal(code: ErrorCode, message: string): Error & { data: ErrorBody } {
  return Object.assign(new Error(message), { data: { code, message } });
}
