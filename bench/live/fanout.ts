// Fan-out: one ~2 Mbit/s H.264 camera into one mediasoup worker, relayed to N consumers on plain
// transports whose packets go to a UDP sink nobody drains (as a far-away viewer would receive them).
// For each N: the worker's CPU and the consumers' loss (packets sent per consumer vs packets the
// producer received). The figure: consumers per core at < 0.5 % loss.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { viewerRtpCapabilities } from '../../media-server/src/workers/codecs.ts';

const CODEC = {
  mimeType: 'video/H264',
  payloadType: 96,
  clockRate: 90000,
  parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
};

export interface FanoutPoint {
  consumers: number;
  workerCpuPct: number;
  lossPct: number;
  producerKbps: number;
}

/** A 10 s 1280×720 H.264 clip at 2 Mbit/s, made once (cheap to loop with -c copy). */
function ensureClip(dir: string): string {
  const clip = join(dir, 'fanout-720p-2M.ts');
  if (existsSync(clip)) return clip;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1280x720:rate=25',
    '-t',
    '10',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'baseline',
    '-g',
    '50',
    '-bf',
    '0',
    '-b:v',
    '2M',
    '-maxrate',
    '2M',
    '-bufsize',
    '1M',
    // MPEG-TS (loops cleanly), Annex B with SPS/PPS before every key frame, as cameras send it.
    '-x264-params',
    'repeat-headers=1',
    '-f',
    'mpegts',
    clip,
  ]);
  if (r.status !== 0) throw new Error(`clip: ${r.stderr}`);
  return clip;
}

function blackhole(): Promise<{ port: number; proc: ChildProcess }> {
  // A UDP socket that is bound but never read: the kernel drops what overflows, no ICMP errors.
  const proc = spawn('/usr/bin/python3', [
    '-c',
    "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('127.0.0.1',0))\nprint(s.getsockname()[1],flush=True)\ntime.sleep(86400)",
  ]);
  return new Promise((resolve, reject) => {
    proc.stdout?.once('data', (b: Buffer) => resolve({ port: Number(b.toString().trim()), proc }));
    proc.once('error', reject);
  });
}

async function cpuMs(worker: types.Worker): Promise<number> {
  const u = await worker.getResourceUsage();
  return u.ru_utime + u.ru_stime;
}

export async function runFanout(options: {
  steps: number[];
  seconds: number;
  cacheDir: string;
}): Promise<FanoutPoint[]> {
  const clip = ensureClip(options.cacheDir);
  const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 48000, rtcMaxPort: 49999 });
  const router = await worker.createRouter({
    mediaCodecs: [{ kind: 'video', ...CODEC, parameters: CODEC.parameters }],
  });
  const ingest = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  const ssrc = 11_223_344;
  const producer = await ingest.produce({
    kind: 'video',
    rtpParameters: { codecs: [CODEC], encodings: [{ ssrc }] },
  });
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-stream_loop',
    '-1',
    '-i',
    clip,
    '-an',
    '-c:v',
    'copy',
    '-f',
    'rtp',
    '-ssrc',
    String(ssrc),
    '-payload_type',
    '96',
    `rtp://127.0.0.1:${ingest.tuple.localPort}?pkt_size=1200`,
  ]);
  const sink = await blackhole();
  const consumers: { transport: types.PlainTransport; consumer: types.Consumer }[] = [];
  // What the node's viewers consume with (no bandwidth estimation: one layer per camera).
  const caps = viewerRtpCapabilities(router.rtpCapabilities);
  const out: FanoutPoint[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2000)); // let the stream settle
    for (const n of options.steps) {
      while (consumers.length < n) {
        const transport = await router.createPlainTransport({
          listenIp: '127.0.0.1',
          rtcpMux: true,
          comedia: false,
        });
        await transport.connect({ ip: '127.0.0.1', port: sink.port });
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: caps });
        consumers.push({ transport, consumer });
      }
      // New consumers forward from the next key frame on (GOP 2 s): let them all reach it.
      await new Promise((r) => setTimeout(r, 2500));
      const sent0 = await Promise.all(
        consumers.map(
          async (c) => (await c.consumer.getStats()).find((s) => s.type === 'outbound-rtp')?.packetCount ?? 0,
        ),
      );
      const prod0 = (await producer.getStats())[0];
      const cpu0 = await cpuMs(worker);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, options.seconds * 1000));
      const elapsed = performance.now() - t0;
      const cpu1 = await cpuMs(worker);
      const prod1 = (await producer.getStats())[0];
      const sent1 = await Promise.all(
        consumers.map(
          async (c) => (await c.consumer.getStats()).find((s) => s.type === 'outbound-rtp')?.packetCount ?? 0,
        ),
      );
      const produced = (prod1?.packetCount ?? 0) - (prod0?.packetCount ?? 0);
      // Packets the source sent that never reached the producer (the worker fell behind) count too.
      const lostAtIngest = (prod1?.packetsLost ?? 0) - (prod0?.packetsLost ?? 0);
      const sent = sent1.reduce((a, b, i) => a + (b - (sent0[i] ?? 0)), 0);
      const expected = (produced + Math.max(0, lostAtIngest)) * consumers.length;
      const point = {
        consumers: consumers.length,
        workerCpuPct: Math.round(((cpu1 - cpu0) / elapsed) * 1000) / 10,
        lossPct: expected > 0 ? Math.round((1 - sent / expected) * 10000) / 100 : 100,
        producerKbps: Math.round((((prod1?.byteCount ?? 0) - (prod0?.byteCount ?? 0)) * 8) / elapsed),
      };
      out.push(point);
      process.stdout.write(
        `  fan-out ${String(point.consumers).padStart(4)} consumers: worker ${point.workerCpuPct}% CPU, loss ${point.lossPct}%, source ${point.producerKbps} kbit/s\n`,
      );
    }
  } finally {
    ffmpeg.kill('SIGKILL');
    sink.proc.kill('SIGKILL');
    worker.close();
  }
  return out;
}
