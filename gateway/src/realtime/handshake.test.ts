import { describe, expect, it } from 'vitest';
import { cookieValue, originAllowed, refusal } from './handshake.ts';

describe('handshake helpers', () => {
  it.each([
    ['wall_sid=abc', 'abc'],
    ['a=1; wall_sid=abc-_1; b=2', 'abc-_1'],
    ['a=1;wall_sid="q%2Fz"', 'q/z'],
    ['wall_sid_x=1; x_wall_sid=2', undefined],
    ['wall_sid=%E0%A4%A', undefined],
    ['', undefined],
  ])('cookie %j → %j', (header, value) => {
    expect(cookieValue(header, 'wall_sid')).toBe(value);
  });
  it('has no cookie without a header', () => {
    expect(cookieValue(undefined, 'wall_sid')).toBeUndefined();
  });

  it('allows only listed origins, and refuses a missing one', () => {
    const allowed = ['http://127.0.0.1:3000'];
    expect(originAllowed('http://127.0.0.1:3000', allowed)).toBe(true);
    expect(originAllowed('http://127.0.0.1:3001', allowed)).toBe(false);
    expect(originAllowed('http://evil.example', allowed)).toBe(false);
    expect(originAllowed(undefined, allowed)).toBe(false);
    expect(originAllowed('null', allowed)).toBe(false);
  });

  it('makes a refusal whose data carries the code', () => {
    const err = refusal('auth:required', 'sign in first');
    expect(err.message).toBe('sign in first');
    expect(err.data).toEqual({ code: 'auth:required', message: 'sign in first' });
  });
});
