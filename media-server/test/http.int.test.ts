import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './media-node.ts';

// The media node's HTTP answers (snapshots, control API, health, errors) on a real node: security
// headers on every one, the router's own refusals in the platform's shape, and control characters
// refused with their code.
describe('media node: HTTP answers', () => {
  let t: TestNode;

  beforeAll(async () => {
    t = await startTestNode({ workers: 1, webRtcPort: 21740 });
  });

  afterAll(async () => {
    await t?.close();
  });

  const SECURITY_HEADERS = {
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  };
  const headersOf = (res: Response) => Object.fromEntries(res.headers.entries());

  it('carries the security headers on every kind of answer', async () => {
    const cam = 'http-test-cam';
    const answers: [string, Response, number][] = [
      ['GET /healthz', await fetch(`${t.url}/healthz`), 200],
      ['GET /control/streams', await t.control('GET', '/control/streams'), 200],
      ['GET /control/streams without the secret', await fetch(`${t.url}/control/streams`), 401],
      ['GET /snapshot without a token', await fetch(`${t.url}/snapshot/${cam}`), 401],
      [
        'GET /snapshot, not ingested',
        await fetch(`${t.url}/snapshot/${cam}?token=${encodeURIComponent(t.token(cam))}`),
        409,
      ],
      ['GET /nope', await fetch(`${t.url}/nope`), 404],
    ];
    for (const [name, res, status] of answers) {
      expect(res.status, name).toBe(status);
      expect(headersOf(res), name).toMatchObject(SECURITY_HEADERS);
    }
  });

  it('answers a camera id over the router’s limit with 414 in the platform’s shape, without the path', async () => {
    const long = `zz${'x'.repeat(300)}qq`;
    const res = await fetch(`${t.url}/snapshot/${long}`);
    expect(res.status).toBe(414);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: 'invalid:url_too_long', message: 'the URL is too long' });
    expect(text).not.toContain('zzxxx');
    expect(headersOf(res)).toMatchObject(SECURITY_HEADERS);
    const bad = await fetch(`${t.url}/snapshot/%zzsecret`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 'invalid:request', message: 'malformed URL' });
  });

  it('refuses control characters in the control API with invalid:control_char', async () => {
    const res = await t.control('POST', '/control/ingest', {
      cameraId: 'cam\u0000',
      profile: 'sub',
      source: { kind: 'rtsp', url: 'rtsp://127.0.0.1:1/x' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'invalid:control_char',
      message: 'cameraId: control characters are not allowed',
    });
    const param = await t.control('GET', '/control/streams/cam%00/sub');
    expect([param.status, ((await param.json()) as { code: string }).code]).toEqual([
      400,
      'invalid:control_char',
    ]);
  });
});
