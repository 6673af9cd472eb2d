import iconv from 'iconv-lite';
import { latin1Decode, utf8Decode, utf8Encode } from './bytes.ts';
import { fail, type GbResult, ok } from './result.ts';

/**
 * Character sets of MANSCDP bodies. GB/T 28181-2016 devices write GB2312, 2022 ones GB18030, some
 * UTF-8; the XML declaration says which. iconv-lite (which uses Buffer internally) is confined to
 * this file.
 *
 * Decoding: every GB label (GB2312, GBK, GB18030, CP936) decodes as GB18030, a superset of the
 * others, because devices that declare GB2312 routinely send GBK characters. No declaration means
 * GB2312 (GB practice), except that a UTF-8 byte-order mark means UTF-8.
 * Encoding: GB2312 and GBK answers are written as GBK (GB2312 text encodes identically), GB18030
 * as GB18030, UTF-8 as UTF-8.
 */

export type GbCharset = 'GB2312' | 'GBK' | 'GB18030' | 'UTF-8';

/** The charset assumed when a body has no XML declaration (or one without encoding). */
export const DEFAULT_GB_CHARSET: GbCharset = 'GB2312';

/** Maps an encoding label to a charset we speak; `undefined` for anything else. */
export function normalizeCharset(label: string): GbCharset | undefined {
  const l = label.trim().toLowerCase().replace(/[_\s]/g, '-');
  if (l === 'gb2312' || l === 'gb-2312' || l === 'euc-cn' || l === 'x-euc-cn') return 'GB2312';
  if (l === 'gbk' || l === 'cp936' || l === 'windows-936' || l === 'x-gbk') return 'GBK';
  if (l === 'gb18030' || l === 'gb-18030') return 'GB18030';
  if (l === 'utf-8' || l === 'utf8') return 'UTF-8';
  return undefined;
}

/** The `encoding` of the XML declaration at the start of `bytes`, if any (as written). */
export function declaredEncoding(bytes: Uint8Array): string | undefined {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  // The declaration is ASCII and short; look at the first 256 bytes only.
  const head = latin1Decode(bytes.subarray(start, start + 256));
  const m = /^\s*<\?xml\s[^?>]*?\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(head);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface DecodedBody {
  text: string;
  /** The charset the body was read in (and an answer should be written in). */
  charset: GbCharset;
}

/** Decodes a MANSCDP body by its XML declaration (see the file comment for the rules). */
export function decodeBody(bytes: Uint8Array): GbResult<DecodedBody> {
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const label = declaredEncoding(bytes);
  let charset: GbCharset;
  if (label !== undefined) {
    const c = normalizeCharset(label);
    if (!c) return fail('charset:unsupported', `encoding ${JSON.stringify(label.slice(0, 40))}`);
    charset = c;
  } else charset = hasBom ? 'UTF-8' : DEFAULT_GB_CHARSET;
  if (charset === 'UTF-8') return ok({ text: utf8Decode(hasBom ? bytes.subarray(3) : bytes), charset });
  return ok({ text: decodeGb(bytes), charset });
}

function decodeGb(bytes: Uint8Array): string {
  try {
    return iconv.decode(bytes, 'gb18030');
  } catch {
    // iconv-lite does not throw on bad sequences (it substitutes), but stay total anyway.
    return latin1Decode(bytes);
  }
}

/** Encodes text in a charset (GB2312/GBK as GBK). */
export function encodeBody(text: string, charset: GbCharset): Uint8Array {
  if (charset === 'UTF-8') return utf8Encode(text);
  const encoded: Uint8Array = iconv.encode(text, charset === 'GB18030' ? 'gb18030' : 'gbk');
  // A plain Uint8Array copy: callers and tests must not depend on Buffer.
  return new Uint8Array(encoded);
}
