/** Byte helpers on plain `Uint8Array` (no Buffer: this code runs in browsers too). */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const utf8StrictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8Encode(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** UTF-8 decoding; malformed sequences become U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** UTF-8 decoding that refuses malformed input (`undefined`). */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return utf8StrictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** One char per byte (ISO-8859-1): for ASCII protocol text where bytes must map 1:1. */
export function latin1Decode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(i + 8192, bytes.length)));
  }
  return out;
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array, upper = false): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return upper ? out.toUpperCase() : out;
}

/** Hex to bytes; `undefined` unless the text is an even number of hex digits. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Compares two strings in time independent of where they differ (for digests). */
export function timingSafeEqualString(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** A growable byte queue with a read offset: append at the end, consume from the front. */
export class ByteQueue {
  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;

  get length(): number {
    return this.#end - this.#start;
  }

  /** The buffered bytes (a view, valid until the next append or consume). */
  view(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const len = this.length;
    if (this.#end + bytes.length > this.#buf.length) {
      // Compact only when the freed front is at least as large as what moves (amortized linear).
      if (len + bytes.length <= this.#buf.length && this.#start >= len) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(len + bytes.length, this.#buf.length * 2, 4096));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = len;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  consume(n: number): void {
    this.#start += Math.min(n, this.length);
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      // Give back a large buffer once it is empty, so one big burst does not pin memory.
      if (this.#buf.length > 1 << 20) this.#buf = new Uint8Array(0);
    }
  }

  clear(): void {
    this.#start = 0;
    this.#end = 0;
    this.#buf = new Uint8Array(0);
  }
}
