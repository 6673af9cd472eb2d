import { describe, expect, it } from 'vitest';
import { probe } from './health.ts';

describe('probe', () => {
  it('reports ok with a latency when the dependency answers', async () => {
    const r = await probe(async () => 'pong');
    expect(r.ok).toBe(true);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports the error of a failing dependency', async () => {
    expect(await probe(async () => Promise.reject(new Error('ECONNREFUSED')))).toEqual({
      ok: false,
      detail: 'ECONNREFUSED',
    });
  });

  it('gives up on a dependency that hangs', async () => {
    const r = await probe(() => new Promise(() => undefined), 50);
    expect(r).toEqual({ ok: false, detail: 'no answer within 50 ms' });
  });
});
