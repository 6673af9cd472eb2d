import { createPublicKey } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { channelsOf, type StreamRevocation } from '@wall/protocol';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.ts';
import { type ConsumerCloseReason, type ConsumerInfo, Signalling } from '../src/signalling/index.ts';
import { verifyStreamToken } from '../src/tokens/index.ts';
import { startTestNode, type TestNode, waitFor } from './media-node.ts';
import { type RtspSim, startRtspSim } from './rtsp-sim.ts';

// A stream ends when its right ends (security finding 4): the gateway announces revocations on
// Redis and the node closes the matching consumers at once, telling the page why; a consumer whose
// token expired without a fresh one is closed by the node itself.
const REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/11';
  return url.toString();
})();

describe('media node: revocations and token expiry end running streams', () => {
  let sim: RtspSim;
  let t: TestNode;
  let publisher: Redis;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    sim = await startRtspSim({ count: 1, gop: 25 });
    t = await startTestNode({ workers: 1, idleTimeoutMs: 60_000, webRtcPort: 21780, redisUrl: REDIS_URL });
    publisher = new Redis(REDIS_URL);
    const res = await t.control('POST', '/control/ingest', {
      cameraId: 'cam-r',
      profile: 'sub',
      source: { kind: 'rtsp', url: `${sim.url}/cam01/sub` },
    });
    expect(res.status).toBe(200);
    await waitFor(
      async () => {
        const r = await t.control('GET', '/control/streams');
        const { streams } = (await r.json()) as { streams: { cameraId: string; state: string }[] };
        return streams.some((s) => s.cameraId === 'cam-r' && s.state === 'live');
      },
      20_000,
      'cam-r live',
    );
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    publisher?.disconnect();
    await t?.close();
    await sim?.close();
  });

  type Claims = Parameters<TestNode['token']>[2];
  /** A viewer socket with one consumer of cam-r under a token with these claims. */
  async function viewer(claims: Claims, url = t.url) {
    const token = t.token('cam-r', 'sub', claims);
    const s = connect(`${url}/viewer`, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    await new Promise<void>((r) => s.once('connect', () => r()));
    const revoked: { consumerId: string; reason: string; at: number }[] = [];
    s.on('stream:revoked', (info: { consumerId: string; reason: string }) =>
      revoked.push({ ...info, at: Date.now() }),
    );
    const caps = await s.emitWithAck('router:capabilities');
    await s.emitWithAck('transport:create');
    const res = await s.emitWithAck('stream:consume', { token, rtpCapabilities: caps.data.rtpCapabilities });
    expect(res.ok).toBe(true);
    return { s, consumerId: res.data.consumerId as string, revoked, caps };
  }
  const announce = (r: StreamRevocation) =>
    publisher.publish(channelsOf(publisher).streamRevoke, JSON.stringify(r));

  it.each([
    ['session', { sid: 'session-handle-a' }, 'signed_out'],
    ['incident', { emg: true, inc: '4f1c2a7e-0000-4000-8000-000000000001' }, 'grant_ended'],
    ['user', { sub: 'user-b' }, 'rights_changed'],
    ['camera', {}, 'camera_out_of_service'],
  ] as const)(
    'closes the consumers a %s revocation names within 2 s, and no others',
    async (scope, claims, reason) => {
      const target = await viewer(claims);
      const bystander = await viewer({ sid: 'someone-else', sub: 'other-user' });
      const before = t.node.signalling.consumerCount();
      const id =
        scope === 'session'
          ? 'session-handle-a'
          : scope === 'incident'
            ? claims.inc
            : scope === 'user'
              ? 'user-b'
              : 'cam-r';
      const sent = Date.now();
      await announce({ scope, id: id as string, reason });
      const got = await waitFor(() => target.revoked[0], 2000, 'stream:revoked');
      expect(got).toMatchObject({ consumerId: target.consumerId, reason });
      expect(got.at - sent).toBeLessThan(2000);
      if (scope === 'camera') {
        // A camera out of service ends everyone's stream of it.
        await waitFor(() => bystander.revoked[0], 2000, 'bystander revoked');
        expect(t.node.signalling.consumerCount()).toBe(before - 2);
      } else {
        expect(bystander.revoked).toEqual([]);
        expect(t.node.signalling.consumerCount()).toBe(before - 1);
        // The revoked consumer is gone: resuming it is refused.
        const again = await target.s.emitWithAck('stream:resume', { consumerId: target.consumerId });
        expect(again.ok === false && again.error.code).toBe('not_found:consumer');
      }
      target.s.disconnect();
      bystander.s.disconnect();
    },
  );

  it('drops a malformed announcement and keeps serving', async () => {
    const v = await viewer({ sid: 'kept' });
    await publisher.publish(channelsOf(publisher).streamRevoke, '{"scope":"session","id":"kept"}');
    await publisher.publish(channelsOf(publisher).streamRevoke, 'not json');
    // A well-formed one after them is applied: the two before it were read and dropped.
    await announce({ scope: 'session', id: 'kept', reason: 'signed_out' });
    await waitFor(() => v.revoked[0], 2000, 'stream:revoked');
    expect(v.revoked).toHaveLength(1);
    v.s.disconnect();
  });

  it('closes a consumer whose token expired without a fresh one, and keeps one that was refreshed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await viewer({ sub: 'u-stale', sid: 'h-stale', iat: now, exp: now + 2 });
    const fresh = await viewer({ sub: 'u-fresh', sid: 'h-fresh', iat: now, exp: now + 2 });
    const renewed = await fresh.s.emitWithAck('stream:refresh', {
      consumerId: fresh.consumerId,
      token: t.token('cam-r', 'sub', { sub: 'u-fresh', sid: 'h-fresh', iat: now, exp: now + 30 }),
    });
    expect(renewed).toEqual({ ok: true, data: { expiresAt: now + 30 } });
    // Another viewer's token, or another camera's, does not renew it.
    const stolen = await fresh.s.emitWithAck('stream:refresh', {
      consumerId: fresh.consumerId,
      token: t.token('cam-r', 'sub', { sub: 'someone', sid: 'else', exp: now + 30 }),
    });
    expect(stolen.ok === false && stolen.error.code).toBe('token:camera');
    const other = await fresh.s.emitWithAck('stream:refresh', {
      consumerId: fresh.consumerId,
      token: t.token('cam-x', 'sub', { sub: 'u-fresh', sid: 'h-fresh', exp: now + 30 }),
    });
    expect(other.ok === false && other.error.code).toBe('token:camera');

    const got = await waitFor(() => stale.revoked[0], 8000, 'token_expired');
    expect(got).toMatchObject({ consumerId: stale.consumerId, reason: 'token_expired' });
    // Expired at now + 2 s, closed within the 2 s grace and the 0.5 s sweep after it.
    expect(got.at).toBeLessThan((now + 2) * 1000 + 3000);
    expect(fresh.revoked).toEqual([]);
    stale.s.disconnect();
    fresh.s.disconnect();
  });

  it('refuses the root namespace: only the viewer namespace serves, with a token', async () => {
    const root = connect(t.url, { transports: ['websocket'], reconnection: false });
    sockets.push(root);
    const err = await new Promise<Error & { data?: unknown }>((r) => root.once('connect_error', r));
    expect(err.data).toEqual({ code: 'not_found:route', message: expect.any(String) });
    expect(root.connected).toBe(false);
  });

  describe('signalling events and lifecycle', () => {
    it('emits consumer:created, then consumer:closed with the reason: closed by the page, revoked (with stream:revoked), the page gone', async () => {
      const sig = t.node.signalling;
      const created: ConsumerInfo[] = [];
      const closed: [ConsumerInfo, ConsumerCloseReason][] = [];
      const revoked: [ConsumerInfo, string][] = [];
      const onCreated = (i: ConsumerInfo) => created.push(i);
      const onClosed = (i: ConsumerInfo, r: ConsumerCloseReason) => closed.push([i, r]);
      const onRevoked = (i: ConsumerInfo, r: string) => revoked.push([i, r]);
      sig.on('consumer:created', onCreated);
      sig.on('consumer:closed', onClosed);
      sig.on('stream:revoked', onRevoked);
      try {
        const a = await viewer({ sub: 'events-a', sid: 'events-session-a' });
        const b = await viewer({ sub: 'events-b', sid: 'events-session-b' });
        const c = await viewer({ sub: 'events-c', sid: 'events-session-c' });
        const info = (v: typeof a, userId: string): ConsumerInfo => ({
          consumerId: v.consumerId,
          cameraId: 'cam-r',
          profile: 'sub',
          socketId: v.s.id ?? '',
          userId,
        });
        expect(created).toEqual([info(a, 'events-a'), info(b, 'events-b'), info(c, 'events-c')]);
        expect(closed).toEqual([]);

        expect(await c.s.emitWithAck('stream:close', { consumerId: c.consumerId })).toEqual({
          ok: true,
          data: null,
        });
        expect(closed).toEqual([[info(c, 'events-c'), 'closed']]);

        expect(sig.revoke({ scope: 'session', id: 'events-session-a', reason: 'signed_out' })).toBe(1);
        expect(closed.slice(1)).toEqual([[info(a, 'events-a'), 'signed_out']]);
        expect(revoked).toEqual([[info(a, 'events-a'), 'signed_out']]);

        // The page goes away: its consumer closes, no revocation.
        const infoB = info(b, 'events-b');
        const gone = once(sig, 'consumer:closed');
        b.s.disconnect();
        expect(await gone).toEqual([infoB, 'disconnected']);
        expect(revoked).toHaveLength(1);
        expect(created).toHaveLength(3);
        a.s.disconnect();
        c.s.disconnect();
      } finally {
        sig.off('consumer:created', onCreated);
        sig.off('consumer:closed', onClosed);
        sig.off('stream:revoked', onRevoked);
      }
    });

    it('close() closes its viewers first (consumers released, sockets dropped), flips closed, and is idempotent', async () => {
      // A second signalling on the node's workers and ingests, on an HTTP server of its own.
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const publicKey = createPublicKey(t.privateKey);
      const sig = new Signalling({
        httpServer: server,
        pool: t.node.pool,
        ingests: t.node.ingests,
        verifyToken: (token) => verifyStreamToken(token, { publicKey, nodeId: t.nodeId }),
        origins: [],
        logger: createLogger('silent', 'media-test'),
      });
      const ingest = t.node.ingests.get('cam-r', 'sub');
      const viewersBefore = ingest?.viewers ?? -1;
      const v = await viewer({ sub: 'closing' }, url);
      expect(ingest?.viewers).toBe(viewersBefore + 1);
      expect(sig.consumerCount()).toBe(1);
      const closed: [string, ConsumerCloseReason][] = [];
      sig.on('consumer:closed', (i, r) => closed.push([i.consumerId, r]));
      const dropped = new Promise<string>((r) => v.s.once('disconnect', r));

      expect(sig.closed).toBe(false);
      const first = sig.close();
      expect(sig.closed).toBe(true);
      expect(sig.close()).toBe(first);
      await first;
      expect(closed).toEqual([[v.consumerId, 'node_closed']]);
      expect(sig.consumerCount()).toBe(0);
      expect(ingest?.viewers).toBe(viewersBefore);
      expect(await dropped).toBe('io server disconnect');
      await sig.close();
      expect(closed).toHaveLength(1);
      // The node's own signalling is untouched.
      expect(t.node.signalling.closed).toBe(false);
    });
  });
});
