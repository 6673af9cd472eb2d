import { z } from 'zod';

export const dependencyStateSchema = z.object({
  ok: z.boolean(),
  /** Round-trip of the probe in milliseconds, when it answered. */
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
  /** For a check that can warn before it fails (recording capacity): ok, warn or fail. */
  level: z.enum(['ok', 'warn', 'fail']).optional(),
});
export type DependencyState = z.infer<typeof dependencyStateSchema>;

export const healthSchema = z.object({
  service: z.enum(['gateway', 'media-server']),
  status: z.enum(['ok', 'degraded']),
  protocolVersion: z.number().int(),
  uptimeS: z.number(),
  checks: z.record(z.string(), dependencyStateSchema),
});
export type Health = z.infer<typeof healthSchema>;

/** Runs a dependency probe with a deadline; a probe that throws or hangs is a dependency that is down. */
export async function probe(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<DependencyState> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : 'probe failed' };
  } finally {
    clearTimeout(timer);
  }
}
