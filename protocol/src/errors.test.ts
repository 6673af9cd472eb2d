import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorBodySchema, httpStatusOf } from './errors.ts';

describe('error codes', () => {
  it('maps every forbidden:* code to 403 and rate limiting to 429', () => {
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      if (code.startsWith('forbidden:')) expect(httpStatusOf(code)).toBe(403);
    }
    expect(httpStatusOf('rate_limited')).toBe(429);
    expect(httpStatusOf('unauthenticated')).toBe(401);
  });

  it('rejects an error body with an unknown code', () => {
    expect(errorBodySchema.safeParse({ code: 'forbidden:grade', message: 'x' }).success).toBe(true);
    expect(errorBodySchema.safeParse({ code: 'forbidden:whatever', message: 'x' }).success).toBe(false);
  });
});
