import { z } from 'zod';

export type EnvResult<T> = { ok: true; value: Readonly<T> } | { ok: false; problems: string[] };

/**
 * Parses an environment with a zod schema and reports every bad key at once
 * (`GATEWAY_PORT: expected a TCP port …`), never the values (they may be secrets). Empty means unset.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): EnvResult<z.infer<S>> {
  // An empty variable is an unset one (`FOO= cmd` is how shells unset for one command).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = schema.safeParse(present);
  if (res.success) return { ok: true, value: Object.freeze(res.data) };
  const problems = res.error.issues.map((i) => `${String(i.path[0] ?? '(env)')}: ${i.message}`);
  return { ok: false, problems };
}

/** Builders for environment variables, so every service reads them the same way. */
export const envVar = {
  port: (def: number) =>
    z
      .string()
      .regex(/^\d{1,5}$/, 'expected a TCP port (1–65535)')
      .transform(Number)
      .pipe(
        z.number().int().min(1, 'expected a TCP port (1–65535)').max(65535, 'expected a TCP port (1–65535)'),
      )
      .default(def),
  int: (def: number, min: number, max: number) =>
    z
      .string()
      .regex(/^-?\d+$/, 'expected an integer')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .default(def),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .transform((v) => v === 'true' || v === '1')
      .default(def),
  url: (protocols: string[]) =>
    z.url({
      protocol: new RegExp(`^(${protocols.join('|')})$`),
      message: `expected a URL with scheme ${protocols.join(' or ')}`,
    }),
  host: (def: string) =>
    z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or IP address')
      .default(def),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated list of http(s) origins, no wildcard. */
  origins: (def: string) =>
    z
      .string()
      .default(def)
      .transform((s) =>
        s
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z
              .string()
              .regex(
                /^https?:\/\/[A-Za-z0-9.:[\]-]+$/,
                'expected origins like http://host:port, no wildcard',
              ),
          )
          .min(1),
      ),
};
