/**
 * RFC 4571 (RTP over TCP: a 2-byte big-endian length before each packet) with resynchronisation.
 * `gb.Rfc4571Decoder` trusts every length; one stray byte in a device's TCP stream would then
 * misframe everything after it. This reader checks each frame's RTP header and, when one is not
 * RTP, scans for a length whose frame looks like RTP (version 2, the stream's payload type) and is
 * followed by another such frame. Pure: bytes in, packets out; never throws on input.
 */

export interface RtpFramerStats {
  packets: number;
  /** Times the framing was lost and searched for again. */
  resyncs: number;
  /** Bytes thrown away while searching. */
  skippedBytes: number;
}

/** Smallest RTP packet: the fixed header. */
const MIN_PACKET = 12;

export class ResyncingRtpFramer {
  #buf: Buffer = Buffer.alloc(0);
  #payloadType: number | undefined;
  #synced = true;
  #packets = 0;
  #resyncs = 0;
  #skipped = 0;

  get stats(): RtpFramerStats {
    return { packets: this.#packets, resyncs: this.#resyncs, skippedBytes: this.#skipped };
  }

  /** Bytes held (at most one incomplete frame, or the bytes being searched). */
  get bufferedBytes(): number {
    return this.#buf.length;
  }

  /** Feeds bytes as read from the socket; returns the whole RTP packets they complete (RTCP is skipped). */
  push(chunk: Uint8Array): Buffer[] {
    const buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    const n = buf.length;
    let pos = 0;
    while (n - pos >= 4) {
      if (this.#synced) {
        const kind = this.#frameKind(buf, pos);
        if (kind !== undefined) {
          const len = buf.readUInt16BE(pos);
          if (n - pos - 2 < len) break;
          if (kind === 'rtp') {
            const packet = buf.subarray(pos + 2, pos + 2 + len);
            this.#payloadType ??= (packet[1] as number) & 0x7f;
            out.push(packet);
            this.#packets++;
          }
          pos += 2 + len;
          continue;
        }
        this.#synced = false;
        this.#resyncs++;
      }
      const found = this.#search(buf, pos);
      this.#skipped += found.at - pos;
      pos = found.at;
      if (!found.confirmed) break; // wait for more bytes
      this.#synced = true;
    }
    this.#buf = pos >= n ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return out;
  }

  /**
   * Searching from `from`: the first offset where a frame looks right and so does the one after it
   * (`confirmed`), or where to wait for more bytes — a candidate whose successor has not arrived, or
   * the last 3 bytes (the start of a header).
   */
  #search(buf: Buffer, from: number): { at: number; confirmed: boolean } {
    const n = buf.length;
    let p = from;
    for (; p + 4 <= n; p++) {
      if (this.#frameKind(buf, p) === undefined) continue;
      const next = p + 2 + buf.readUInt16BE(p);
      if (next + 4 > n) return { at: p, confirmed: false };
      if (this.#frameKind(buf, next) !== undefined) return { at: p, confirmed: true };
    }
    return { at: p, confirmed: false };
  }

  /**
   * What the frame at `p` (4 bytes available) looks like: RTP of this stream (version 2, a sane length,
   * the stream's payload type), RTCP (some devices interleave it), or neither.
   */
  #frameKind(buf: Buffer, p: number): 'rtp' | 'rtcp' | undefined {
    const len = buf.readUInt16BE(p);
    const b0 = buf[p + 2] as number;
    const b1 = buf[p + 3] as number;
    if (b0 >> 6 !== 2) return undefined;
    if (b1 >= 192 && b1 <= 223) return len >= 8 && len % 4 === 0 ? 'rtcp' : undefined; // RFC 5761
    if (len < MIN_PACKET) return undefined;
    const pt = b1 & 0x7f;
    return this.#payloadType === undefined || pt === this.#payloadType ? 'rtp' : undefined;
  }
}
