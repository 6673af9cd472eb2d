import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loginRequestSchema } from './identity.ts';
import { cameraMapQuerySchema, cameraSearchQuerySchema, sourceCreateSchema } from './registry.ts';
import { clientText, hasControlChar, requestErrorCode } from './text.ts';
import { wallNameSchema } from './walls.ts';

describe('hasControlChar', () => {
  it.each([
    ['plain', 'Tianning 天宁区 路口 001', false, false],
    ['NUL', 'a\u0000b', true, true],
    ['SOH', '\u0001', true, true],
    ['ESC', 'x\u001b[31m', true, true],
    ['unit separator', '\u001f', true, true],
    ['DEL', '\u007f', true, true],
    ['tab', 'a\tb', true, false],
    ['line feed', 'a\nb', true, false],
    ['carriage return', 'a\r\nb', true, false],
    ['vertical tab', 'a\u000bb', true, true],
    ['form feed', 'a\u000cb', true, true],
    ['space and NBSP', 'a b\u00a0c', false, false],
    ['C1 (not C0)', '\u0085', false, false],
  ])('%s', (_name, text, single, multi) => {
    expect(hasControlChar(text)).toBe(single);
    expect(hasControlChar(text, true)).toBe(multi);
  });
});

describe('clientText and requestErrorCode', () => {
  it('refuses control characters with the invalid:control_char code, other problems as invalid:request', () => {
    const s = z.object({ name: clientText({ trim: true, min: 1, max: 5 }) });
    const nul = s.safeParse({ name: 'a\u0000' });
    expect(nul.success).toBe(false);
    if (!nul.success) {
      expect(requestErrorCode(nul.error)).toBe('invalid:control_char');
      expect(nul.error.issues.map((i) => i.message)).toEqual(['control characters are not allowed']);
    }
    const long = s.safeParse({ name: 'abcdef' });
    expect(long.success).toBe(false);
    if (!long.success) expect(requestErrorCode(long.error)).toBe('invalid:request');
    // Surrounding white space is trimmed before the check; inside it is refused.
    expect(s.safeParse({ name: ' \tab\n' })).toEqual({ success: true, data: { name: 'ab' } });
    expect(s.safeParse({ name: 'a\tb' }).success).toBe(false);
    // Free text keeps its layout.
    expect(clientText({ multiline: true }).safeParse('line 1\n\tline 2').success).toBe(true);
    expect(clientText({ multiline: true }).safeParse('line 1\u0000').success).toBe(false);
  });

  it.each([
    ['search q', cameraSearchQuerySchema, { q: '\u0000' }],
    ['search cursor', cameraSearchQuerySchema, { cursor: 'abc\u0000' }],
    ['search bbox', cameraSearchQuerySchema, { bbox: '1,2,3,4\u0000' }],
    ['map q', cameraMapQuerySchema, { q: 'x\u0000y' }],
    ['login username', loginRequestSchema, { username: 'eoc.operator\u0000', password: 'x' }],
    ['login password', loginRequestSchema, { username: 'eoc.operator', password: 'x\r\n' }],
    ['wall name', wallNameSchema, 'wall\u0007'],
    [
      'source URL',
      sourceCreateSchema,
      {
        name: 'nvr',
        ownerOrgId: '00000000-0000-4000-8000-000000000001',
        funding: 'government',
        kind: 'rtsp',
        connection: { baseUrl: 'rtsp://nvr.example/\u0000' },
      },
    ],
    [
      'source credentials (CR LF into an RTSP header)',
      sourceCreateSchema,
      {
        name: 'nvr',
        ownerOrgId: '00000000-0000-4000-8000-000000000001',
        funding: 'government',
        kind: 'rtsp',
        connection: { baseUrl: 'rtsp://nvr.example' },
        secret: { username: 'admin\r\nX-Injected: 1' },
      },
    ],
  ] as const)('%s: invalid:control_char', (_name, schema: z.ZodType, value) => {
    const r = schema.safeParse(value);
    expect(r.success).toBe(false);
    if (!r.success) expect(requestErrorCode(r.error)).toBe('invalid:control_char');
  });
});
