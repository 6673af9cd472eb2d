import 'server-only';
import { parseEnv } from '@wall/protocol';
import type { z } from 'zod';
import { webEnvSchema } from './config-schema';

export type WebConfig = z.infer<typeof webEnvSchema>;

/** The web server's configuration (instrumentation.ts has already refused an invalid one at start). */
export function webConfig(): WebConfig {
  const r = parseEnv(webEnvSchema, process.env);
  if (!r.ok) throw new Error(`web: invalid configuration\n${r.problems.join('\n')}`);
  return r.value;
}
