const START_CODE = Buffer.from([0, 0, 0, 1]);

/**
 * Turns the RTP payloads of one or more H.264 access units (RFC 6184, packetization-mode 1) into
 * an Annex B byte stream: single NAL units, STAP-A aggregates and FU-A fragments. Pure: bytes in,
 * bytes out; malformed pieces are skipped, never thrown on.
 */
export function depacketizeH264(payloads: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let fu: Buffer[] | undefined;
  for (const p of payloads) {
    if (p.length < 1) continue;
    const type = (p[0] ?? 0) & 0x1f;
    if (type >= 1 && type <= 23) {
      out.push(START_CODE, p);
    } else if (type === 24) {
      let i = 1;
      while (i + 2 <= p.length) {
        const size = p.readUInt16BE(i);
        i += 2;
        if (size === 0 || i + size > p.length) break;
        out.push(START_CODE, p.subarray(i, i + size));
        i += size;
      }
    } else if (type === 28 && p.length >= 2) {
      const indicator = p[0] ?? 0;
      const header = p[1] ?? 0;
      const start = (header & 0x80) !== 0;
      const end = (header & 0x40) !== 0;
      if (start) fu = [Buffer.from([(indicator & 0xe0) | (header & 0x1f)])];
      if (fu) fu.push(p.subarray(2));
      if (end && fu) {
        out.push(START_CODE, Buffer.concat(fu));
        fu = undefined;
      }
    }
  }
  return Buffer.concat(out);
}
