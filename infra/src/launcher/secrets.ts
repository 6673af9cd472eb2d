import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const secretsSchema = z.object({
  /** Ed25519 key pair of the stream tokens (JWK `x` and `d`, base64url). */
  streamTokenPublicKey: z.string().length(43),
  streamTokenPrivateKey: z.string().length(43),
  /** Shared secret of the media nodes' control API. */
  mediaControlSecret: z.string().min(32),
  /** AES-256 key sealing source systems' credentials at rest (32 bytes, base64url). */
  sourceSecretKey: z.string().length(43),
});
export type DemoSecrets = z.infer<typeof secretsSchema>;

/**
 * The demo's secrets, made once per installation and kept in the data directory (mode 0600):
 * nothing secret ships with the code.
 */
export function ensureSecrets(dataDir: string): DemoSecrets {
  const file = join(dataDir, 'secrets.json');
  const kept: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  // An installation made before a secret existed gets just the missing one; the others are kept.
  const made = (key: string, make: () => Record<string, unknown>) => (key in kept ? {} : make());
  const secrets = secretsSchema.parse({
    ...made('streamTokenPublicKey', () => {
      const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
      return { streamTokenPublicKey: jwk.x, streamTokenPrivateKey: jwk.d };
    }),
    ...made('mediaControlSecret', () => ({ mediaControlSecret: randomBytes(32).toString('base64url') })),
    ...made('sourceSecretKey', () => ({ sourceSecretKey: randomBytes(32).toString('base64url') })),
    ...kept,
  });
  if (Object.keys(secrets).some((k) => !(k in kept))) {
    writeFileSync(file, `${JSON.stringify({ ...kept, ...secrets }, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
