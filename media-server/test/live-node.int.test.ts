import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { StreamStatus } from '@wall/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode, waitFor } from './media-node.ts';
import { freePort, type RtspSim, startRtspSim } from './rtsp-sim.ts';

function ffmpegCount(): number {
  const r = spawnSync('pgrep', ['-c', '-f', `ffmpeg .*rtp://127.0.0.1`], { encoding: 'utf8' });
  return Number(r.stdout.trim() || 0);
}

/** An RTSP peer that answers every request 401, like a camera with other credentials. */
async function rtsp401Server(): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((sock) => {
    sock.on('data', (d) => {
      const cseq = /CSeq:\s*(\d+)/i.exec(d.toString())?.[1] ?? '1';
      sock.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `rtsp://admin:wrong@127.0.0.1:${port}/ch1`, server };
}

describe('media node: on-demand ingest, tokens, control API, snapshots', () => {
  let sim: RtspSim;
  let t: TestNode;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    sim = await startRtspSim({ count: 2, gop: 25 });
    t = await startTestNode({ workers: 2, idleTimeoutMs: 60_000, webRtcPort: 21600 });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
    await sim?.close();
  });

  const ensure = (cameraId: string, url: string, profile: 'main' | 'sub' = 'sub') =>
    t.control('POST', '/control/ingest', { cameraId, profile, source: { kind: 'rtsp', url } });

  it('refuses the control API without the node secret', async () => {
    expect(
      (await t.control('GET', '/control/streams', undefined, 'wrong-secret-of-the-same-length-0000000000'))
        .status,
    ).toBe(401);
    const noAuth = await fetch(`${t.url}/control/streams`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({
      code: 'unauthenticated',
      message: 'the control API needs the node secret',
    });
  });

  it('ingests once for concurrent requests and reports the start-up timeline', async () => {
    const before = ffmpegCount();
    const results = await Promise.all([1, 2, 3].map(() => ensure('cam-a', `${sim.url}/cam01/sub`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const streams = (
      (await (await t.control('GET', '/control/streams')).json()) as { streams: StreamStatus[] }
    ).streams;
    expect(streams.filter((s) => s.cameraId === 'cam-a')).toHaveLength(1);
    expect(ffmpegCount() - before).toBe(1);
    const live = await waitFor(
      async () => {
        const s = (await (await t.control('GET', '/control/streams/cam-a/sub')).json()) as StreamStatus;
        return s.state === 'live' && s.width !== undefined && s.fps > 0 ? s : undefined;
      },
      15_000,
      'cam-a live',
    );
    expect(live).toMatchObject({ node: t.nodeId, width: 640, height: 360, codec: 'h264', transcoded: false });
    expect(live.timeline.ingest_spawned).toBeLessThanOrEqual(live.timeline.first_rtp ?? 0);
    expect(live.timeline.first_rtp).toBeLessThanOrEqual(live.timeline.first_keyframe ?? 0);
    const published = await waitFor(
      async () => (await t.redis.hget('media:streams', 'cam-a:sub')) ?? undefined,
      5000,
      'status in Redis',
    );
    expect(JSON.parse(published)).toMatchObject({ cameraId: 'cam-a', node: t.nodeId });
    const heartbeat = JSON.parse((await t.redis.get(`media:node:${t.nodeId}`)) ?? '{}');
    expect(heartbeat).toMatchObject({ id: t.nodeId, workers: 2, publicUrl: t.url });
  });

  it('transcodes an H.265 camera to H.264, reports it, and serves its key frame', async () => {
    const hevc = await startRtspSim({ count: 1, gop: 25, codec: 'h265' });
    try {
      expect((await ensure('cam-hevc', `${hevc.url}/cam01/sub`)).status).toBe(200);
      const live = await waitFor(
        async () => {
          const s = (await (await t.control('GET', '/control/streams/cam-hevc/sub')).json()) as StreamStatus;
          return s.state === 'live' && s.transcoded && s.width !== undefined ? s : undefined;
        },
        30_000,
        'cam-hevc live (transcoded)',
      );
      // The source's codec is reported; what the node relays is H.264 (its SPS gives the size).
      expect(live).toMatchObject({ codec: 'hevc', transcoded: true, width: 640, height: 360 });
      expect(live.timeline.first_keyframe).toBeGreaterThan(0);
      const res = await fetch(`${t.url}/snapshot/cam-hevc?profile=sub&token=${t.token('cam-hevc')}`);
      expect(res.status).toBe(200);
      const jpeg = Buffer.from(await res.arrayBuffer());
      const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
      expect([jpeg.readUInt16BE(sof + 7), jpeg.readUInt16BE(sof + 5)]).toEqual([640, 360]);
    } finally {
      await t.control('DELETE', '/control/ingest/cam-hevc/sub');
      await hevc.close();
    }
  });

  it('serves the latest key frame as a JPEG with a token for that camera only', async () => {
    const res = await fetch(`${t.url}/snapshot/cam-a?profile=sub&token=${t.token('cam-a')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // The frame size is in the JPEG's SOF0 marker: height then width.
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect([jpeg.readUInt16BE(sof + 7), jpeg.readUInt16BE(sof + 5)]).toEqual([640, 360]);
    const other = await fetch(`${t.url}/snapshot/cam-a?profile=sub&token=${t.token('cam-b')}`);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { code: string }).code).toBe('token:camera');
    const none = await fetch(`${t.url}/snapshot/cam-a?profile=sub`);
    expect(((await none.json()) as { code: string }).code).toBe('token:missing');
  });

  it.each([
    ['missing', undefined, 'token:missing'],
    ['garbage', 'not.a.jwt', 'token:malformed'],
    ['expired', 'expired', 'token:expired'],
    ['another node', 'other-node', 'token:node'],
  ])('refuses a viewer with a %s token at the handshake', async (_n, kind, code) => {
    const now = Math.floor(Date.now() / 1000);
    const token =
      kind === 'expired'
        ? t.token('cam-a', 'sub', { iat: now - 120, exp: now - 60 })
        : kind === 'other-node'
          ? t.token('cam-a', 'sub', { aud: 'media-9' })
          : kind;
    const before = ffmpegCount();
    const s = connect(`${t.url}/viewer`, {
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(s);
    const err = await new Promise<Error & { data?: { code: string } }>((r) => s.once('connect_error', r));
    expect(err.message).toBe(code);
    expect(err.data?.code).toBe(code);
    expect(ffmpegCount()).toBe(before);
  });

  it('refuses to consume a camera that is not ingested, or with a tampered token, and starts nothing', async () => {
    const s = connect(`${t.url}/viewer`, {
      auth: { token: t.token('cam-a') },
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(s);
    await new Promise<void>((r) => s.once('connect', () => r()));
    const caps = await s.emitWithAck('router:capabilities');
    expect(caps.ok).toBe(true);
    const tr = await s.emitWithAck('transport:create');
    expect(tr.ok).toBe(true);
    const before = ffmpegCount();
    const notIngested = await s.emitWithAck('stream:consume', {
      token: t.token('cam-zzz'),
      rtpCapabilities: caps.data.rtpCapabilities,
    });
    expect(notIngested).toEqual({
      ok: false,
      error: { code: 'stream:not_ingested', message: expect.any(String) },
    });
    const [h, p, sig] = t.token('cam-a').split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, cam: 'cam-b' })).toString('base64url')}.${sig}`;
    const bad = await s.emitWithAck('stream:consume', {
      token: tampered,
      rtpCapabilities: caps.data.rtpCapabilities,
    });
    expect(bad.ok === false && bad.error.code).toBe('token:signature');
    expect(ffmpegCount()).toBe(before);
    s.disconnect();
  });

  it('reports bad sources offline with a reason and keeps running', async () => {
    const auth = await rtsp401Server();
    try {
      expect((await ensure('bad-401', auth.url)).status).toBe(200);
      expect((await ensure('bad-unreachable', 'rtsp://127.0.0.1:1/x')).status).toBe(200);
      const garbage = await ensure('bad-garbage', 'rtsp://:554/x');
      expect(garbage.status).toBe(422);
      expect(((await garbage.json()) as { code: string }).code).toBe('invalid:source_url');
      const notUrl = await ensure('bad-garbage', 'http://x y');
      expect(notUrl.status).toBe(400);
      for (const [cam, reason] of [
        ['bad-401', 'rtsp:401'],
        ['bad-unreachable', 'unreachable'],
      ] as const) {
        const s = await waitFor(
          async () => {
            const st = (await (await t.control('GET', `/control/streams/${cam}/sub`)).json()) as StreamStatus;
            return st.state === 'offline' ? st : undefined;
          },
          10_000,
          `${cam} offline`,
        );
        expect(s.reason).toBe(reason);
      }
      // The node is still healthy and the good camera still live.
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
      const a = (await (await t.control('GET', '/control/streams/cam-a/sub')).json()) as StreamStatus;
      expect(a.state).toBe('live');
    } finally {
      auth.server.close();
      await t.control('DELETE', '/control/ingest/bad-401/sub');
      await t.control('DELETE', '/control/ingest/bad-unreachable/sub');
    }
  });

  it('moves a stream to another worker when its worker is killed', async () => {
    const ingest = t.node.ingests.get('cam-a', 'sub');
    const pid = ingest?.slot?.worker.pid ?? 0;
    const producerBefore = ingest?.producer?.id;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const moved = await waitFor(
      () => (ingest?.producer && ingest.producer.id !== producerBefore ? ingest.producer : undefined),
      5000,
      'new producer',
    );
    const stats = await waitFor(
      async () => {
        const st = await moved.getStats();
        return (st[0]?.packetCount ?? 0) > 25 ? st : undefined;
      },
      5000,
      'packets at the new producer',
    );
    expect(stats[0]?.packetCount).toBeGreaterThan(25);
    expect(ingest?.status().restarts).toBe(1);
  });

  it('stops an ingest after the idle timeout when nobody watches', async () => {
    const idle = await startTestNode({ workers: 1, idleTimeoutMs: 1500, webRtcPort: 21700 });
    try {
      const res = await idle.control('POST', '/control/ingest', {
        cameraId: 'cam-idle',
        profile: 'sub',
        source: { kind: 'rtsp', url: `${sim.url}/cam02/sub` },
      });
      expect(res.status).toBe(200);
      expect(idle.node.ingests.get('cam-idle', 'sub')).toBeDefined();
      const started = Date.now();
      await waitFor(() => idle.node.ingests.get('cam-idle', 'sub') === undefined, 6000, 'idle stop');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      const gone = await idle.control('GET', '/control/streams/cam-idle/sub');
      expect(gone.status).toBe(409);
      await waitFor(
        async () => (await idle.redis.hget('media:streams', 'cam-idle:sub')) === null,
        3000,
        'status removed',
      );
    } finally {
      await idle.close();
    }
  });
});
