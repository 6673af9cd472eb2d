import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { type SourceSecret, sourceSecretSchema } from '@wall/protocol';

/**
 * Source-system credentials sealed at rest with AES-256-GCM (R-ACC-1 §1: "secrets encrypted at
 * rest"). Layout of a sealed value:
 *
 *   [0]      format version (1)
 *   [1]      key id: first byte of SHA-256(key), so a value names the key that sealed it
 *   [2..13]  IV, 12 random bytes per seal
 *   [14..n]  ciphertext of the JSON secret, padded with spaces to a multiple of 64 bytes
 *   [n..+16] GCM tag
 *
 * The additional authenticated data is the two header bytes and the source system's id, so a value
 * copied onto another row (or with its header edited) does not open. Keys rotate: the current key
 * seals, retired keys only open; {@link SourceSecretBox.needsReseal} tells which rows to reseal.
 */
export const SEALED_FORMAT = 1;
const HEADER = 2;
const IV = 12;
const TAG = 16;
const PAD = 64;

/** Opening failed: wrong format, no key with that id, or the value does not authenticate. */
export class SealedSecretError extends Error {
  readonly why: 'format' | 'key' | 'auth';
  constructor(why: 'format' | 'key' | 'auth', message: string) {
    super(message);
    this.name = 'SealedSecretError';
    this.why = why;
  }
}

interface Key {
  id: number;
  bytes: Buffer;
}

const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/** Parses a 32-byte key written as 43 base64url characters. */
export function parseSecretKey(text: string): Buffer {
  if (!KEY_TEXT.test(text)) throw new RangeError('a source secret key is 43 base64url characters');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== 32 || bytes.toString('base64url') !== text) {
    throw new RangeError('a source secret key is 32 bytes in canonical base64url');
  }
  return bytes;
}

function keyOf(text: string): Key {
  const bytes = parseSecretKey(text);
  return { id: createHash('sha256').update(bytes).digest()[0] ?? 0, bytes };
}

function aad(header: Uint8Array, sourceId: string): Buffer {
  return Buffer.concat([header, Buffer.from(`source:${sourceId.toLowerCase()}`, 'utf8')]);
}

export class SourceSecretBox {
  readonly #current: Key;
  readonly #keys: readonly Key[];

  /** `current` seals and opens; `retired` keys only open (values sealed before a rotation). */
  constructor(current: string, retired: readonly string[] = []) {
    this.#current = keyOf(current);
    this.#keys = [this.#current, ...retired.map(keyOf)];
  }

  seal(sourceId: string, secret: SourceSecret): Buffer {
    const json = JSON.stringify(sourceSecretSchema.parse(secret));
    const plain = Buffer.from(json, 'utf8');
    const padded = Buffer.alloc(Math.ceil((plain.length + 1) / PAD) * PAD, 0x20);
    plain.copy(padded);
    const header = Buffer.from([SEALED_FORMAT, this.#current.id]);
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', this.#current.bytes, iv);
    cipher.setAAD(aad(header, sourceId));
    const body = Buffer.concat([cipher.update(padded), cipher.final()]);
    padded.fill(0);
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
  }

  open(sourceId: string, sealed: Uint8Array): SourceSecret {
    const value = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (value.length < HEADER + IV + PAD + TAG || value[0] !== SEALED_FORMAT) {
      throw new SealedSecretError('format', 'not a sealed source secret');
    }
    const candidates = this.#keys.filter((k) => k.id === value[1]);
    if (candidates.length === 0) throw new SealedSecretError('key', 'sealed with a key this gateway lacks');
    for (const key of candidates) {
      const plain = decrypt(key, sourceId, value);
      if (!plain) continue; // another key with the same id byte may be the one
      let parsed: ReturnType<typeof sourceSecretSchema.safeParse>;
      try {
        parsed = sourceSecretSchema.safeParse(JSON.parse(plain.toString('utf8')));
      } finally {
        plain.fill(0);
      }
      if (!parsed.success) throw new SealedSecretError('format', 'the sealed secret is not a source secret');
      return parsed.data;
    }
    throw new SealedSecretError('auth', 'the sealed secret does not authenticate for this source');
  }

  /** Whether a value does not open with the current key (sealed before a rotation: reseal it). */
  needsReseal(sourceId: string, sealed: Uint8Array): boolean {
    const value = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (value.length < HEADER + IV + PAD + TAG || value[1] !== this.#current.id) return true;
    const plain = decrypt(this.#current, sourceId, value);
    plain?.fill(0);
    return plain === undefined;
  }
}

function decrypt(key: Key, sourceId: string, value: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, value.subarray(HEADER, HEADER + IV));
    decipher.setAAD(aad(value.subarray(0, HEADER), sourceId));
    decipher.setAuthTag(value.subarray(value.length - TAG));
    return Buffer.concat([
      decipher.update(value.subarray(HEADER + IV, value.length - TAG)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

/** The box of a gateway's configuration; undefined when no key is configured. */
export function sourceSecretBox(config: {
  SOURCE_SECRET_KEY?: string | undefined;
  SOURCE_SECRET_KEYS_RETIRED?: readonly string[] | undefined;
}): SourceSecretBox | undefined {
  return config.SOURCE_SECRET_KEY
    ? new SourceSecretBox(config.SOURCE_SECRET_KEY, config.SOURCE_SECRET_KEYS_RETIRED ?? [])
    : undefined;
}
