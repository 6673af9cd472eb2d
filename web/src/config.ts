import 'server-only';
import { envVar, parseEnv } from '@wall/protocol';
import { z } from 'zod';

export const webEnvSchema = z.object({
  /** The gateway as the web server reaches it (server-side fetches). */
  GATEWAY_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4000'),
  /** The gateway as browsers reach it (login, API calls); must list this site in its WEB_ORIGINS. */
  GATEWAY_PUBLIC_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4000'),
});

export type WebConfig = z.infer<typeof webEnvSchema>;

let cached: WebConfig | undefined;

/** Parsed once per server process; invalid configuration fails loudly with every bad key. */
export function webConfig(): WebConfig {
  if (cached) return cached;
  const r = parseEnv(webEnvSchema, process.env);
  if (!r.ok) throw new Error(`web: invalid configuration\n${r.problems.join('\n')}`);
  cached = r.value;
  return cached;
}
