import { describe, expect, it } from 'vitest';
import {
  answerDigestChallenge,
  computeDigestResponse,
  type DigestInput,
  digestHa1,
  formatDigestChallenge,
  formatDigestCredentials,
  parseDigestChallenge,
  parseDigestCredentials,
  verifyDigest,
} from './digest.ts';

// Expected values computed independently with python hashlib (see the report).
const GB = {
  username: '34020000001320000001',
  realm: '3402000000',
  password: '12345678',
  nonce: '44010b73623249f6916a6acf7c316b8e',
  uri: 'sip:34020000002000000001@3402000000',
  method: 'REGISTER',
};

describe('computeDigestResponse', () => {
  it.each<[string, DigestInput, string]>([
    [
      'RFC 2617 §3.5 "Mufasa" (qop=auth)',
      {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      },
      '6629fae49393a05397450978507c4ef1',
    ],
    ['GB REGISTER without qop', { ...GB }, 'da0b48d27ae30f5413ac57acfa686de3'],
    [
      'GB REGISTER qop=auth',
      { ...GB, qop: 'auth', nc: '00000001', cnonce: '6b8b4567' },
      'c6e58831a9233fb24696ccd71f7ba6bf',
    ],
    [
      'GB REGISTER MD5-sess qop=auth',
      { ...GB, algorithm: 'MD5-sess', qop: 'auth', nc: '00000001', cnonce: '6b8b4567' },
      'a01b311b37848b53c7f50947d69e1a72',
    ],
    [
      'GB REGISTER from a stored HA1',
      { ...GB, password: undefined, ha1: '8258341d7dd730ce4d3b8fd2db050320' },
      'da0b48d27ae30f5413ac57acfa686de3',
    ],
  ])('%s', (_name, input, expected) => {
    expect(computeDigestResponse(input)).toBe(expected);
  });

  it('HA1 of the GB vector', () => {
    expect(digestHa1(GB.username, GB.realm, GB.password)).toBe('8258341d7dd730ce4d3b8fd2db050320');
  });
});

describe('challenge and credentials headers', () => {
  it('formats and parses a GB challenge', () => {
    const header = formatDigestChallenge({ realm: '3402000000', nonce: GB.nonce });
    expect(header).toBe(`Digest realm="3402000000", nonce="${GB.nonce}", algorithm=MD5, qop="auth"`);
    expect(parseDigestChallenge(header)).toEqual({
      ok: true,
      value: { realm: '3402000000', nonce: GB.nonce, algorithm: 'MD5', qop: ['auth'] },
    });
  });

  it('parses a no-qop challenge with opaque and stale, in device spelling', () => {
    const r = parseDigestChallenge('Digest realm="3402000000",nonce="abc",opaque="xyz",stale=true');
    expect(r).toEqual({
      ok: true,
      value: { realm: '3402000000', nonce: 'abc', algorithm: 'MD5', qop: [], opaque: 'xyz', stale: true },
    });
  });

  it('parses an Authorization as a GB IPC sends it (unquoted algorithm, qop, nc)', () => {
    const r = parseDigestCredentials(
      'Digest username="34020000001320000001", realm="3402000000", nonce="44010b73623249f6916a6acf7c316b8e", ' +
        'uri="sip:34020000002000000001@3402000000", response="C6E58831A9233FB24696CCD71F7BA6BF", algorithm=MD5, ' +
        'cnonce="6b8b4567", qop=auth, nc=00000001',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        username: GB.username,
        realm: GB.realm,
        nonce: GB.nonce,
        uri: GB.uri,
        response: 'c6e58831a9233fb24696ccd71f7ba6bf',
        algorithm: 'MD5',
        qop: 'auth',
        nc: '00000001',
        cnonce: '6b8b4567',
      },
    });
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'digest:unsupported'],
    ['Digest realm="a", nonce="b", uri="c", response="d"', 'digest:missing_param'],
    ['Digest username="a", realm="b", nonce="c", uri="d", response="e", qop=auth', 'digest:missing_param'],
    [
      'Digest username="a", realm="b", nonce="c", uri="d", response="e", qop=auth-int, nc=00000001, cnonce="x"',
      'digest:unsupported',
    ],
    [
      'Digest username="a", realm="b", nonce="c", uri="d", response="e", algorithm=SHA-256',
      'digest:unsupported',
    ],
    ['Digest username="a, realm="b"', 'digest:syntax'],
    ['Digest username="a" realm="b"', 'digest:syntax'],
    ['Digest username="a", username="b", realm="b", nonce="c", uri="d", response="e"', 'digest:syntax'],
    ['', 'digest:syntax'],
  ])('refuses %j with %s', (header, code) => {
    const r = parseDigestCredentials(header);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('round-trips credentials with escaped quotes', () => {
    const creds = answerDigestChallenge({
      challenge: { realm: 're"alm', nonce: 'n\\1', algorithm: 'MD5', qop: ['auth'] },
      username: 'u',
      password: 'p',
      method: 'REGISTER',
      uri: 'sip:x@y',
      cnonce: 'c',
    });
    expect(parseDigestCredentials(formatDigestCredentials(creds))).toEqual({ ok: true, value: creds });
  });
});

describe('verifyDigest', () => {
  const challenge = { realm: GB.realm, nonce: GB.nonce, algorithm: 'MD5' as const, qop: ['auth'] };
  const creds = answerDigestChallenge({
    challenge,
    username: GB.username,
    password: GB.password,
    method: 'REGISTER',
    uri: GB.uri,
    cnonce: '6b8b4567',
  });

  it('answers the challenge with the known response', () => {
    expect(creds.response).toBe('c6e58831a9233fb24696ccd71f7ba6bf');
    expect(creds.nc).toBe('00000001');
  });

  it('accepts the right password or HA1', () => {
    expect(
      verifyDigest(creds, { method: 'REGISTER', realm: GB.realm, nonce: GB.nonce, password: GB.password }),
    ).toEqual({
      ok: true,
    });
    expect(
      verifyDigest(creds, { method: 'REGISTER', realm: GB.realm, ha1: '8258341d7dd730ce4d3b8fd2db050320' }),
    ).toEqual({
      ok: true,
    });
  });

  it.each([
    ['wrong password', { password: 'wrong' }, 'response'],
    ['other method', { method: 'INVITE', password: GB.password }, 'response'],
    ['other realm', { realm: '3402000001', password: GB.password }, 'realm'],
    ['stale nonce', { nonce: 'other', password: GB.password }, 'nonce'],
    ['no secret given', {}, 'response'],
  ])('refuses: %s', (_name, patch, reason) => {
    const expected = { method: 'REGISTER', realm: GB.realm, nonce: GB.nonce, ...patch };
    expect(verifyDigest(creds, expected)).toEqual({ ok: false, reason });
  });

  it('refuses credentials without qop when qop is required', () => {
    const noQop = answerDigestChallenge({
      challenge: { ...challenge, qop: [] },
      username: GB.username,
      password: GB.password,
      method: 'REGISTER',
      uri: GB.uri,
      cnonce: 'x',
    });
    expect(noQop.response).toBe('da0b48d27ae30f5413ac57acfa686de3');
    expect(verifyDigest(noQop, { method: 'REGISTER', realm: GB.realm, password: GB.password })).toEqual({
      ok: true,
    });
    expect(
      verifyDigest(noQop, { method: 'REGISTER', realm: GB.realm, password: GB.password, qopRequired: true }),
    ).toEqual({ ok: false, reason: 'qop' });
  });
});
