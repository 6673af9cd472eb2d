import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { type RtspSim, startRtspSim } from './rtsp-sim.ts';

const SSRC = 22_222_222;

describe('a real mediasoup worker (built offline) ingests a simulated RTSP camera', () => {
  let sim: RtspSim;
  let pool: WorkerPool;
  let ffmpeg: ChildProcess | undefined;

  beforeAll(async () => {
    expect(process.env.MEDIASOUP_WORKER_BIN, 'the bootstrap sets MEDIASOUP_WORKER_BIN').toBeTruthy();
    sim = await startRtspSim({ count: 1, gop: 25 });
    pool = await WorkerPool.create({
      size: 1,
      rtcMinPort: 43000,
      rtcMaxPort: 43099,
      logger: createLogger('silent', 'test'),
    });
  });

  afterAll(async () => {
    ffmpeg?.kill('SIGKILL');
    pool?.close();
    await sim?.close();
  });

  it('counts RTP packets and key frames at the producer and relays them to a PlainTransport consumer', async () => {
    const slot = pool.pick();
    expect(slot.worker.pid).toBeGreaterThan(0);
    const ingest = await slot.router.createPlainTransport({
      listenIp: '127.0.0.1',
      rtcpMux: true,
      comedia: true,
    });
    const producer = await ingest.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: 96,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
          },
        ],
        encodings: [{ ssrc: SSRC }],
      },
    });
    const keyframes: types.ProducerTraceEventData[] = [];
    await producer.enableTraceEvent(['keyframe']);
    producer.on('trace', (t) => {
      if (t.type === 'keyframe') keyframes.push(t);
    });

    // The consumer side: a second PlainTransport sending to a UDP socket of ours.
    const sink = createSocket('udp4');
    let received = 0;
    sink.on('message', () => {
      received++;
    });
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const out = await slot.router.createPlainTransport({
      listenIp: '127.0.0.1',
      rtcpMux: true,
      comedia: false,
    });
    await out.connect({ ip: '127.0.0.1', port: sink.address().port });
    const consumer = await out.consume({
      producerId: producer.id,
      rtpCapabilities: slot.router.rtpCapabilities,
    });
    expect(consumer.kind).toBe('video');

    ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        `${sim.url}/cam01/sub`,
        '-an',
        '-c:v',
        'copy',
        '-f',
        'rtp',
        '-ssrc',
        String(SSRC),
        '-payload_type',
        '96',
        `rtp://127.0.0.1:${ingest.tuple.localPort}?pkt_size=1200`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );

    const deadline = Date.now() + 20_000;
    let stats: types.ProducerStat[] = [];
    while (Date.now() < deadline) {
      stats = await producer.getStats();
      if ((stats[0]?.packetCount ?? 0) > 100 && keyframes.length >= 2 && received > 100) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(stats[0]?.packetCount ?? 0).toBeGreaterThan(100);
    expect(stats[0]?.byteCount ?? 0).toBeGreaterThan(20_000);
    expect(stats[0]?.ssrc).toBe(SSRC);
    expect(stats[0]?.mimeType).toBe('video/H264');
    // GOP 25 at 25 fps: a key frame every second.
    expect(keyframes.length).toBeGreaterThanOrEqual(2);
    expect(received).toBeGreaterThan(100);
    sink.close();
  });

  it('replaces a worker that is killed and reports its death', async () => {
    const before = pool.pick().worker.pid;
    const died = new Promise<number>((r) => pool.once('worker:died', (_i, pid) => r(pid)));
    const replaced = new Promise<number>((r) => pool.once('worker:replaced', (s) => r(s.worker.pid)));
    process.kill(before, 'SIGKILL');
    expect(await died).toBe(before);
    const after = await replaced;
    expect(after).not.toBe(before);
    expect((await pool.probe()).map((p) => p.ok)).toEqual([true]);
  });
});
