/** H.264 / H.265 Annex-B helpers: NAL unit types and key-frame detection. */

export type VideoCodec = 'h264' | 'h265';

/** NAL unit types of an Annex-B byte stream, in order. */
export function nalTypes(codec: VideoCodec, data: Uint8Array): number[] {
  const out: number[] = [];
  const n = data.length;
  for (let i = 0; i + 3 < n; i++) {
    // Any 00 00 01 is a start code (emulation prevention keeps it out of NAL payloads).
    if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) continue;
    const h = data[i + 3] as number;
    out.push(codec === 'h264' ? h & 0x1f : (h >> 1) & 0x3f);
    i += 3;
  }
  return out;
}

/**
 * Whether an access unit starts a decodable sequence: H.264 IDR (5) or SPS (7); H.265 IRAP (16–21)
 * or VPS (32).
 */
export function isKeyframe(codec: VideoCodec, data: Uint8Array): boolean {
  for (const t of nalTypes(codec, data)) {
    if (codec === 'h264' ? t === 5 || t === 7 : (t >= 16 && t <= 21) || t === 32) return true;
  }
  return false;
}
