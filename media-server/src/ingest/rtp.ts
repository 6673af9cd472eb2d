/**
 * RTP (RFC 3550) header parsing. Pure: no sockets, timers or module state, and nothing here throws
 * on malformed input — a packet that cannot be RTP yields `undefined` / `false`.
 */

/** Size of the fixed RTP header. */
export const RTP_HEADER_SIZE = 12;

export interface RtpPacket {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  /** Number of CSRC identifiers in the header (0–15). */
  csrcCount: number;
  /** "Defined by profile" field of the header extension, when the X bit is set. */
  extensionProfile?: number;
  /** Padding bytes at the end of the packet (0 when the P bit is clear). */
  paddingLength: number;
  /** Offset of the payload in the packet. */
  payloadOffset: number;
  /** The payload, a view of the packet (not a copy), without padding. */
  payload: Buffer;
}

/** Where the payload of an RTP packet lies: `[start, end)`. Filled in by {@link locateRtpPayload}. */
export interface RtpPayloadRange {
  start: number;
  end: number;
}

/**
 * RTCP or RTP? RFC 5761 §4: with version 2, a second byte of 192–223 is RTCP (SR 200, RR 201, SDES 202,
 * BYE 203, APP 204, feedback 205–207, …); RTP must not use payload types 64–95 for that reason.
 * The first RTCP packet's length field must fit in the datagram.
 */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 4) return false;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  if (b0 >> 6 !== 2 || b1 < 192 || b1 > 223) return false;
  const words = (((buf[2] as number) << 8) | (buf[3] as number)) + 1;
  return words * 4 <= buf.length;
}

/**
 * Validates the RTP header of `buf` (version 2, CSRC list, header extension, padding) and writes the
 * payload bounds into `out`, without allocating. Returns false for anything malformed or truncated.
 */
export function locateRtpPayload(buf: Uint8Array, out: RtpPayloadRange): boolean {
  const length = buf.length;
  if (length < RTP_HEADER_SIZE) return false;
  const b0 = buf[0] as number;
  if (b0 >> 6 !== 2) return false;
  let start = RTP_HEADER_SIZE + (b0 & 0x0f) * 4;
  if (start > length) return false;
  if (b0 & 0x10) {
    if (start + 4 > length) return false;
    start += 4 + (((buf[start + 2] as number) << 8) | (buf[start + 3] as number)) * 4;
    if (start > length) return false;
  }
  let end = length;
  if (b0 & 0x20) {
    // The last byte counts the padding, itself included: 0 is invalid, and it cannot eat the header.
    const padding = buf[length - 1] as number;
    if (padding === 0 || padding > length - start) return false;
    end -= padding;
  }
  out.start = start;
  out.end = end;
  return true;
}

/** Parses an RTP packet; `undefined` when it is not a well-formed one. Never throws. */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  const range: RtpPayloadRange = { start: 0, end: 0 };
  if (!locateRtpPayload(buf, range)) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  const packet: RtpPacket = {
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    marker: (b1 & 0x80) !== 0,
    csrcCount: b0 & 0x0f,
    paddingLength: buf.length - range.end,
    payloadOffset: range.start,
    payload: buf.subarray(range.start, range.end),
  };
  if (b0 & 0x10) packet.extensionProfile = buf.readUInt16BE(RTP_HEADER_SIZE + (b0 & 0x0f) * 4);
  return packet;
}

/** RTP timestamp of a packet already validated by {@link locateRtpPayload} (no checks). */
export function rtpTimestamp(buf: Uint8Array): number {
  return (
    (((buf[4] as number) << 24) |
      ((buf[5] as number) << 16) |
      ((buf[6] as number) << 8) |
      (buf[7] as number)) >>>
    0
  );
}

/** RTP sequence number of a packet already validated by {@link locateRtpPayload} (no checks). */
export function rtpSequenceNumber(buf: Uint8Array): number {
  return ((buf[2] as number) << 8) | (buf[3] as number);
}

/** Marker bit of a packet already validated by {@link locateRtpPayload} (no checks). */
export function rtpMarker(buf: Uint8Array): boolean {
  return ((buf[1] as number) & 0x80) !== 0;
}
