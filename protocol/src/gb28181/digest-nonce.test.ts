import { describe, expect, it } from 'vitest';
import {
  checkNonceUse,
  digestUriMatches,
  type NonceRecord,
  type NonceVerdict,
  nonceRefused,
  nonceUsed,
} from './digest-nonce.ts';

const DEVICE = '32040200001320000042';
const NOW = 1_700_000_000_000;
const fresh: NonceRecord = { owner: DEVICE, expiresAt: NOW + 120_000, lastNc: 0 };

describe('checkNonceUse', () => {
  it.each<[string, NonceRecord | undefined, string | undefined, string, NonceVerdict]>([
    ['first use with qop (nc 1)', fresh, '00000001', DEVICE, { ok: true, nc: 1 }],
    ['first use without qop', fresh, undefined, DEVICE, { ok: true, nc: 0 }],
    ['a count above the last one', { ...fresh, lastNc: 1 }, '00000002', DEVICE, { ok: true, nc: 2 }],
    [
      'a count that skips (still increasing)',
      { ...fresh, lastNc: 2 },
      '0000000A',
      DEVICE,
      { ok: true, nc: 10 },
    ],
    ['never issued', undefined, '00000001', DEVICE, { ok: false, reason: 'unknown', stale: false }],
    [
      'issued to another device',
      fresh,
      '00000001',
      '32040200001320000043',
      { ok: false, reason: 'owner', stale: false },
    ],
    [
      'expired (at the instant)',
      { ...fresh, expiresAt: NOW },
      '00000001',
      DEVICE,
      { ok: false, reason: 'expired', stale: true },
    ],
    [
      'the same count again (replay)',
      { ...fresh, lastNc: 1 },
      '00000001',
      DEVICE,
      { ok: false, reason: 'replay', stale: true },
    ],
    [
      'a lower count',
      { ...fresh, lastNc: 5 },
      '00000004',
      DEVICE,
      { ok: false, reason: 'replay', stale: true },
    ],
    ['nc 0 (counts start at 1)', fresh, '00000000', DEVICE, { ok: false, reason: 'replay', stale: true }],
    [
      'no qop after a use with qop',
      { ...fresh, lastNc: 1 },
      undefined,
      DEVICE,
      { ok: false, reason: 'replay', stale: true },
    ],
    [
      'a single-use nonce used again',
      { ...fresh, retired: 'used' },
      undefined,
      DEVICE,
      { ok: false, reason: 'replay', stale: true },
    ],
    [
      '…also with a count',
      { ...fresh, retired: 'used' },
      '00000001',
      DEVICE,
      { ok: false, reason: 'replay', stale: true },
    ],
    [
      'retired after a refused attempt',
      { ...fresh, retired: 'refused' },
      '00000002',
      DEVICE,
      { ok: false, reason: 'refused', stale: true },
    ],
    ['not 8 hex digits', fresh, '1', DEVICE, { ok: false, reason: 'replay', stale: true }],
  ])('%s', (_name, record, nc, owner, verdict) => {
    expect(checkNonceUse(record, nc === undefined ? {} : { nc }, owner, NOW)).toEqual(verdict);
  });

  it('a recorded use makes the same count a replay and the next one good', () => {
    const v = checkNonceUse(fresh, { nc: '00000001' }, DEVICE, NOW);
    expect(v).toEqual({ ok: true, nc: 1 });
    const after = nonceUsed(fresh, 1);
    expect(after).toEqual({ ...fresh, lastNc: 1 });
    expect(checkNonceUse(after, { nc: '00000001' }, DEVICE, NOW)).toMatchObject({
      ok: false,
      reason: 'replay',
    });
    expect(checkNonceUse(after, { nc: '00000002' }, DEVICE, NOW)).toEqual({ ok: true, nc: 2 });
    expect(fresh.lastNc).toBe(0);
  });

  it('a use without qop retires the nonce; a refused attempt retires it as refused', () => {
    expect(nonceUsed(fresh, 0)).toEqual({ ...fresh, retired: 'used' });
    expect(nonceUsed({ ...fresh, lastNc: 3 }, 2)).toEqual({ ...fresh, lastNc: 3 });
    expect(nonceRefused({ ...fresh, lastNc: 3 })).toEqual({ ...fresh, lastNc: 3, retired: 'refused' });
  });
});

describe('digestUriMatches', () => {
  it.each<[string, string, string, boolean]>([
    ['the same text', 'sip:32040000002000000001@3204000000', 'sip:32040000002000000001@3204000000', true],
    [
      'host and scheme case',
      'SIP:32040000002000000001@EXAMPLE.org',
      'sip:32040000002000000001@example.org',
      true,
    ],
    ['parameters in another order and case', 'sip:a@h;transport=UDP;lr', 'sip:a@h;lr;Transport=udp', true],
    ['another user', 'sip:32040000002000000002@3204000000', 'sip:32040000002000000001@3204000000', false],
    ['user case matters', 'sip:Abc@h', 'sip:abc@h', false],
    ['another host', 'sip:32040000002000000001@127.0.0.1:5060', 'sip:32040000002000000001@3204000000', false],
    ['a port against none', 'sip:a@h:5060', 'sip:a@h', false],
    ['another scheme', 'sips:a@h', 'sip:a@h', false],
    ['a parameter more', 'sip:a@h;transport=tcp', 'sip:a@h', false],
    ['not a SIP URI', '/index.html', 'sip:a@h', false],
    ['empty', '', 'sip:a@h', false],
  ])('%s', (_name, digestUri, requestUri, same) => {
    expect(digestUriMatches(digestUri, requestUri)).toBe(same);
  });
});
