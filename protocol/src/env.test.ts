import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envVar, parseEnv } from './env.ts';

const schema = z.object({
  PORT: envVar.port(4000),
  ON: envVar.bool(false),
  ORIGINS: envVar.origins('http://127.0.0.1:3000'),
  DB: envVar.url(['postgres', 'postgresql']).optional(),
});

describe('parseEnv', () => {
  it('applies defaults', () => {
    const r = parseEnv(schema, {});
    expect(r).toEqual({ ok: true, value: { PORT: 4000, ON: false, ORIGINS: ['http://127.0.0.1:3000'] } });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '0'],
    ['PORT', '70000'],
    ['ON', 'yes'],
    ['ORIGINS', '*'],
    ['ORIGINS', 'http://a:1,*'],
    ['DB', 'mysql://x'],
    ['DB', 'not a url'],
  ])('names %s when it is %j', (key, value) => {
    const r = parseEnv(schema, { [key]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.split(':')[0])).toEqual([key]);
  });

  it('lists every bad key at once', () => {
    const r = parseEnv(schema, { PORT: 'abc', ON: 'maybe', ORIGINS: '*' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.split(':')[0]).sort()).toEqual(['ON', 'ORIGINS', 'PORT']);
  });

  it('treats an empty variable as unset', () => {
    const r = parseEnv(schema, { PORT: '', DB: '' });
    expect(r).toEqual({ ok: true, value: { PORT: 4000, ON: false, ORIGINS: ['http://127.0.0.1:3000'] } });
  });

  it('returns a frozen value', () => {
    const r = parseEnv(schema, { PORT: '8080' });
    expect(r.ok && Object.isFrozen(r.value)).toBe(true);
    expect(r.ok && r.value.PORT).toBe(8080);
  });
});
