import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SourceSecretBox } from '../registry/index.ts';
import { pulledStreamUrl } from './url-pull.ts';

const KEY = randomBytes(32).toString('base64url');
const OTHER = randomBytes(32).toString('base64url');
const SOURCE = '7d0e8f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00';
const SECRET = { username: 'admin', password: 'Pa55:w@rd/密码' };
const BASE = 'rtsp://nvr.example:554/';

describe('stream URLs of sources pulled by URL', () => {
  it('puts the credentials, percent-encoded, into the stream URL only when asked', () => {
    const box = new SourceSecretBox(KEY);
    const row = {
      id: SOURCE,
      kind: 'rtsp' as const,
      connection: { baseUrl: 'rtsp://nvr.example:554/' },
      secretCiphertext: box.seal(SOURCE, SECRET),
    };
    expect(pulledStreamUrl(box, row, { path: '/ch1/main' }, BASE)).toBe(
      'rtsp://admin:Pa55%3Aw%40rd%2F%E5%AF%86%E7%A0%81@nvr.example:554/ch1/main',
    );
    expect(pulledStreamUrl(box, row, { url: 'rtsp://10.0.0.9/live' }, BASE)).toBe(
      'rtsp://admin:Pa55%3Aw%40rd%2F%E5%AF%86%E7%A0%81@10.0.0.9/live',
    );
    expect(pulledStreamUrl(box, row, undefined, BASE)).toBeUndefined();
    expect(pulledStreamUrl(box, { ...row, secretCiphertext: null }, { path: '/a' }, BASE)).toBe(
      'rtsp://nvr.example:554/a',
    );
    expect(pulledStreamUrl(box, { ...row, kind: 'gb28181' }, { path: '/a' }, undefined)).toBeUndefined();
    expect(() => pulledStreamUrl(undefined, row, { path: '/a' }, BASE)).toThrow(/SOURCE_SECRET_KEY/);
    expect(() => pulledStreamUrl(new SourceSecretBox(OTHER), row, { path: '/a' }, BASE)).toThrow(
      /cannot be opened/,
    );
  });
});
