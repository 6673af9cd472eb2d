import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

const fileSchema = z.object({ password: z.string().min(12) });

/**
 * The demo users' password: the configured one, else the one kept from the first start, else a new
 * random one. No fixed password ships with the code.
 */
export function resolveDemoPassword(configured: string | undefined, file: string): string {
  if (configured) return configured;
  if (existsSync(file)) return fileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).password;
  return `cz-${randomBytes(9).toString('base64url')}`;
}

/**
 * Keeps the demo credentials beside the data (mode 0600) so the launcher can print them, with what
 * this start did to the data set (created now, or kept from an earlier start).
 */
export function writeDemoCredentials(
  file: string,
  password: string,
  users: { username: string; description: string }[],
  dataSet: { created: boolean; cameras: number },
): void {
  mkdirSync(dirname(file), { recursive: true });
  const body = {
    password,
    users: users.map((u) => ({ username: u.username, description: u.description })),
    dataSet,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}
