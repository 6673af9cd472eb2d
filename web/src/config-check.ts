import { parseEnv } from '@wall/protocol';
import { webEnvSchema } from './config-schema';

/** Every problem with the web server's environment; empty when it is valid. */
export function checkWebConfig(env: Record<string, string | undefined>): string[] {
  const r = parseEnv(webEnvSchema, env);
  return r.ok ? [] : r.problems;
}
