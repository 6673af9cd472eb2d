/** A satisfiable byte range `[start, end]` (inclusive, as HTTP counts it). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A `Range` header against a body of `size` bytes (RFC 9110 §14): one `bytes=a-b`, `bytes=a-` or
 * `bytes=-n` → the range; one that starts past the end (or a zero suffix) → 'unsatisfiable' (416);
 * no header, another unit, several ranges or a malformed one → undefined (the whole body, 200).
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (b !== '' && end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
