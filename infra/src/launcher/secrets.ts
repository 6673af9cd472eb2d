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
});
export type DemoSecrets = z.infer<typeof secretsSchema>;

/**
 * The demo's secrets, made once per installation and kept in the data directory (mode 0600):
 * nothing secret ships with the code.
 */
export function ensureSecrets(dataDir: string): DemoSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return secretsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const secrets = secretsSchema.parse({
    streamTokenPublicKey: jwk.x,
    streamTokenPrivateKey: jwk.d,
    mediaControlSecret: randomBytes(32).toString('base64url'),
  });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
