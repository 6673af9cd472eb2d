/**
 * GB/T 28181 protocol library: pure code (bytes in, values out: no sockets, timers or globals), for
 * the gateway's SIP server and the media node's PS demuxer. Imported as the subpath
 * `@wall/protocol/gb28181` (e.g. `import * as gb from '@wall/protocol/gb28181'`), not from the root,
 * because its charset decoding (GB2312/GB18030 through iconv-lite) needs Node's Buffer.
 */
export type { DecodedBody, GbCharset } from './charset.ts';
export { DEFAULT_GB_CHARSET, declaredEncoding, decodeBody, encodeBody, normalizeCharset } from './charset.ts';
export * from './digest.ts';
export * from './digest-nonce.ts';
export * from './ids.ts';
export * from './manscdp.ts';
export { md5, md5Hex } from './md5.ts';
export * from './nal.ts';
export * from './ps.ts';
export * from './ps-mux.ts';
export * from './ptz.ts';
export type { GbError, GbErrorCode, GbResult } from './result.ts';
export * from './rtp.ts';
export * from './sdp.ts';
export * from './sip.ts';
export * from './sip-headers.ts';
export type { XmlDeclaration, XmlDocument, XmlElement, XmlLimits, XmlNode } from './xml.ts';
export {
  childElement,
  childElementsNamed,
  childText,
  elementChildren,
  elementText,
  parseXml,
  writeXml,
} from './xml.ts';
