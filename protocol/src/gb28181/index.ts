/**
 * GB/T 28181 protocol library: pure code (no sockets, timers or globals; runs in Node and browsers).
 * Re-exported from `@wall/protocol` as the namespace `gb`.
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
