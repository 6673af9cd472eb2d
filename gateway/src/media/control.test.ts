import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureIngest } from './control.ts';

const REQ = {
  cameraId: 'cam-1',
  profile: 'main' as const,
  source: { kind: 'rtsp' as const, url: 'rtsp://u:p@10.0.0.9/ch1', transport: 'tcp' as const },
};
const STATUS = {
  cameraId: 'cam-1',
  profile: 'main',
  node: 'node-a',
  state: 'live',
  transcoded: false,
  bitrateKbps: 2000,
  fps: 25,
  viewers: 1,
  startedAt: 1,
  timeline: {},
  restarts: 0,
};

let server: Server | undefined;
const sockets = new Set<Socket>();

/** A real HTTP server playing the media node's control API. */
async function node(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => handle(req, body, res));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('ensureIngest: the media node control API over kept-alive HTTP', () => {
  it('posts the request with the bearer secret and returns the validated status', async () => {
    const seen: { auth?: string; path?: string; body?: unknown }[] = [];
    const url = await node((req, body, res) => {
      seen.push({ auth: req.headers.authorization, path: req.url, body: JSON.parse(body) });
      json(res, 200, STATUS);
    });
    expect(await ensureIngest(url, 's3cret', REQ)).toMatchObject({ node: 'node-a', state: 'live' });
    expect(await ensureIngest(url, 's3cret', REQ)).toMatchObject({ node: 'node-a' });
    expect(seen).toEqual([
      { auth: 'Bearer s3cret', path: '/control/ingest', body: REQ },
      { auth: 'Bearer s3cret', path: '/control/ingest', body: REQ },
    ]);
  });

  it('maps refusals and nonsense to stable codes', async () => {
    let answer: (res: ServerResponse) => void = (res) => json(res, 400, { code: 'invalid:source_url' });
    const url = await node((_req, _body, res) => answer(res));
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({ code: 'invalid:source_url' });
    answer = (res) => json(res, 500, { code: 'internal' });
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({
      code: 'unavailable:dependency',
      message: expect.stringContaining('(500)'),
    });
    answer = (res) => json(res, 200, { state: 'live' });
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({
      code: 'unavailable:dependency',
      message: expect.stringContaining('unexpected'),
    });
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
    };
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({ code: 'unavailable:dependency' });
  });

  it('reports a node that is not there', async () => {
    const url = await node((_req, _body, res) => json(res, 200, STATUS));
    await new Promise<void>((r) => server?.close(() => r()));
    for (const s of sockets) s.destroy();
    server = undefined;
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({
      code: 'unavailable:dependency',
      message: 'the media node does not answer',
    });
  });

  it('retries once on a new connection when a kept-alive one is reset under a request, never a fresh one', async () => {
    let calls = 0;
    const resetOn = new Set([1, 3]);
    const url = await node((req, _body, res) => {
      calls += 1;
      // The node drops the connection instead of answering (a restart, its keep-alive timeout).
      if (resetOn.has(calls)) req.socket.resetAndDestroy();
      else json(res, 200, STATUS);
    });
    // A fresh connection reset: no retry, the node is in trouble.
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({ code: 'unavailable:dependency' });
    expect(calls).toBe(1);
    expect(await ensureIngest(url, 's', REQ)).toMatchObject({ node: 'node-a' }); // call 2, kept alive
    // Call 3 reuses that connection and is reset; call 4 is the retry on a new one.
    expect(await ensureIngest(url, 's', REQ)).toMatchObject({ node: 'node-a' });
    expect(calls).toBe(4);
  });

  it('refuses an answer far larger than a status', async () => {
    const url = await node((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`"${'x'.repeat(1024 * 1024)}"`);
    });
    await expect(ensureIngest(url, 's', REQ)).rejects.toMatchObject({ code: 'unavailable:dependency' });
  });
});
