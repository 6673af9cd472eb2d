import type { RetrievalDocumentType } from '@wall/protocol';

const SIGNATURES: readonly { type: RetrievalDocumentType; magic: readonly number[] }[] = [
  // %PDF-
  { type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  // \x89PNG\r\n\x1a\n
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  // SOI and the first marker's 0xFF
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
];

/**
 * The type of an approval document read from its first bytes (PDF, PNG or JPEG), or null for
 * anything else. The type a client declares is never trusted: a renamed executable stays refused.
 */
export function sniffDocumentType(bytes: Uint8Array): RetrievalDocumentType | null {
  for (const s of SIGNATURES) {
    if (bytes.length < s.magic.length) continue;
    let match = true;
    for (let i = 0; i < s.magic.length; i++) {
      if (bytes[i] !== s.magic[i]) {
        match = false;
        break;
      }
    }
    if (match) return s.type;
  }
  return null;
}
