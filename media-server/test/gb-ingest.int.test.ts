import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { type Socket, connect as tcpConnect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNELS, type StreamStatus } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import { Redis } from 'ioredis';
import type { types } from 'mediasoup';
import { io as connectViewer, type Socket as ViewerSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gbMediaAddress, loadConfig } from '../src/config.ts';
import { depacketizeH264 } from '../src/ingest/depacketize.ts';
import { defaultSources, IngestManager } from '../src/ingest/index.ts';
import { isRtcp, parseRtp } from '../src/ingest/rtp.ts';
import { createLogger } from '../src/lib/logger.ts';
import { FsStorage, type RecorderStatus } from '../src/recording/index.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { startTestNode, TEST_REDIS_URL, type TestNode, waitFor } from './media-node.ts';
import { decodeErrors, firstFrame, probeVideo } from './probe.ts';

// ——— Test clips: real H.264 / H.265 from ffmpeg, 640×360, 25 fps, a key frame every second ———

const CLIP_DIR = join(homedir(), '.cache', 'wall', 'test-clips');

function clip(codec: gb.VideoCodec): Buffer {
  const file = join(CLIP_DIR, `gb-640x360-25fps-4s.${codec}`);
  if (!existsSync(file)) {
    mkdirSync(CLIP_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const video =
      codec === 'h264'
        ? ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-bf', '0', '-g', '25']
        : ['-c:v', 'libx265', '-preset', 'ultrafast'];
    // Access unit delimiters, so the test device can cut the clip into frames.
    const params =
      codec === 'h264'
        ? ['-x264-params', 'aud=1']
        : ['-x265-params', 'keyint=25:min-keyint=25:bframes=0:aud=1:repeat-headers=1:log-level=error'];
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25',
      '-t',
      '4',
      '-an',
      '-pix_fmt',
      'yuv420p',
      ...video,
      ...params,
      '-f',
      codec === 'h264' ? 'h264' : 'hevc',
      '-y',
      tmp,
    ];
    const r = spawnSync('ffmpeg', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ffmpeg could not make the ${codec} clip: ${r.stderr}`);
    renameSync(tmp, file);
  }
  return readFileSync(file);
}

/** Access units of an Annex B clip, cut at its access unit delimiters (H.264 type 9, H.265 type 35). */
function accessUnits(codec: gb.VideoCodec, data: Buffer): Buffer[] {
  const aud = Buffer.from(codec === 'h264' ? [0, 0, 0, 1, 0x09] : [0, 0, 0, 1, 0x46, 0x01]);
  const starts: number[] = [];
  for (let i = data.indexOf(aud); i >= 0; i = data.indexOf(aud, i + 1)) starts.push(i);
  return starts.map((s, k) => data.subarray(s, starts[k + 1] ?? data.length));
}

// ——— A GB device as the test sees it: PS (gb.PsMuxer) over RTP (gb.PsRtpPacketizer), TCP or UDP ———

interface DeviceOptions {
  transport: 'tcp' | 'udp';
  port: number;
  ssrc: number;
  units: Buffer[];
  codec?: gb.VideoCodec;
}

class GbDeviceSim {
  readonly #o: DeviceOptions;
  readonly #mux: gb.PsMuxer;
  readonly #rtp: gb.PsRtpPacketizer;
  #tcp: Socket | undefined;
  #udp: UdpSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #n = 0;
  firstSentAt = 0;
  closed: Promise<void> = Promise.resolve();

  private constructor(o: DeviceOptions) {
    this.#o = o;
    this.#mux = new gb.PsMuxer({ codec: o.codec ?? 'h264' });
    this.#rtp = new gb.PsRtpPacketizer({ ssrc: o.ssrc, maxPayload: 1400, initialSequence: 1000 });
  }

  static async connect(o: DeviceOptions): Promise<GbDeviceSim> {
    const d = new GbDeviceSim(o);
    if (o.transport === 'udp') {
      d.#udp = createSocket('udp4');
      await new Promise<void>((r) => d.#udp?.bind(0, '127.0.0.1', () => r()));
    } else {
      const sock = tcpConnect({ port: o.port, host: '127.0.0.1', noDelay: true });
      d.#tcp = sock;
      d.closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', () => resolve());
        sock.once('error', reject);
      });
    }
    return d;
  }

  /** Sends the clip in a loop at 25 fps (each loop starts with a key frame). */
  start(): this {
    this.#timer = setInterval(() => this.sendUnit(), 40);
    this.sendUnit();
    return this;
  }

  sendUnit(): void {
    const units = this.#o.units;
    const data = units[this.#n % units.length] as Buffer;
    const pts = 90_000 + 3600 * this.#n;
    this.#n++;
    const ps = this.#mux.mux({ pts, data });
    for (const packet of this.#rtp.packetize(ps, pts)) this.send(packet);
  }

  send(packet: Uint8Array): void {
    this.firstSentAt ||= Date.now();
    if (this.#udp) this.#udp.send(packet, this.#o.port, '127.0.0.1');
    else {
      const framed = gb.frameRfc4571(packet);
      if (framed.ok) this.#tcp?.write(framed.value);
    }
  }

  /** Raw bytes on the TCP stream (garbage, half frames). */
  writeRaw(bytes: Uint8Array): void {
    this.#tcp?.write(bytes);
  }

  /** The next unit's frames as the device would write them, RFC 4571-framed, without sending. */
  nextFramed(): Buffer {
    const units = this.#o.units;
    const data = units[this.#n % units.length] as Buffer;
    const pts = 90_000 + 3600 * this.#n;
    this.#n++;
    return Buffer.concat(
      this.#rtp.packetize(this.#mux.mux({ pts, data }), pts).map((p) => {
        const f = gb.frameRfc4571(p);
        return f.ok ? f.value : new Uint8Array();
      }),
    );
  }

  pause(): void {
    clearInterval(this.#timer);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#tcp?.destroy();
    this.#udp?.close();
    this.#tcp = undefined;
    this.#udp = undefined;
  }
}

// ——— Helpers ———

const CHANNEL = '34020000001320000001';

function gbSource(transport: 'tcp-passive' | 'udp', ssrc = '0100000001') {
  return { kind: 'gb28181' as const, channelId: CHANNEL, transport, ssrc };
}

async function statusOf(t: TestNode, cameraId: string, profile = 'main'): Promise<StreamStatus> {
  return (await (await t.control('GET', `/control/streams/${cameraId}/${profile}`)).json()) as StreamStatus;
}

function waitLive(t: TestNode, cameraId: string, timeoutMs = 15_000): Promise<StreamStatus> {
  return waitFor(
    async () => {
      const s = await statusOf(t, cameraId);
      return s.state === 'live' && s.width !== undefined && s.fps > 0 ? s : undefined;
    },
    timeoutMs,
    `${cameraId} live`,
  );
}

/** Decodes an H.264 Annex B stream with ffprobe: frames decoded and their size. */
function probeH264(annexB: Buffer): Promise<{ frames: number; width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ffprobe',
      [
        '-v',
        'error',
        '-f',
        'h264',
        '-count_frames',
        '-show_entries',
        'stream=width,height,nb_read_frames',
        '-of',
        'json',
        '-i',
        'pipe:0',
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const s = (
        JSON.parse(out || '{}') as { streams?: { width: number; height: number; nb_read_frames: string }[] }
      ).streams?.[0];
      resolve({ frames: Number(s?.nb_read_frames ?? 0), width: s?.width ?? 0, height: s?.height ?? 0 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(annexB);
  });
}

/** Whether a TCP connection to the port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function subscribe(
  channel: string,
): Promise<{ messages: unknown[]; arrivals: number[]; close(): void }> {
  const sub = new Redis(TEST_REDIS_URL);
  const messages: unknown[] = [];
  const arrivals: number[] = [];
  sub.on('message', (ch: string, msg: string) => {
    if (ch !== channel) return;
    messages.push(JSON.parse(msg));
    arrivals.push(Date.now());
  });
  await sub.subscribe(channel);
  return { messages, arrivals, close: () => sub.disconnect() };
}

// ——— Tests ———

describe('GB/T 28181 ingest: PS over RTP from a device into the relay/producer path', () => {
  let t: TestNode;
  let h264: Buffer[];
  let recordingDir: string;
  const devices: GbDeviceSim[] = [];
  const viewers: ViewerSocket[] = [];

  beforeAll(async () => {
    expect(process.env.MEDIASOUP_WORKER_BIN, 'the bootstrap sets MEDIASOUP_WORKER_BIN').toBeTruthy();
    h264 = accessUnits('h264', clip('h264'));
    expect(h264).toHaveLength(100);
    recordingDir = mkdtempSync(join(tmpdir(), 'gb-recordings-'));
    t = await startTestNode({
      workers: 1,
      idleTimeoutMs: 60_000,
      webRtcPort: 21660,
      recordingStorage: new FsStorage(recordingDir),
      segmentS: 2,
    });
  });

  afterAll(async () => {
    for (const v of viewers) v.disconnect();
    for (const d of devices) d.stop();
    await t?.close();
    if (recordingDir) rmSync(recordingDir, { recursive: true, force: true });
  });

  const ensure = (cameraId: string, source: ReturnType<typeof gbSource>) =>
    t.control('POST', '/control/ingest', { cameraId, profile: 'main', source });

  it('opens a TCP-passive media port, plays the device stream (640×360) and times every step in order', async () => {
    const res = await ensure('gb-tcp', gbSource('tcp-passive'));
    expect(res.status).toBe(200);
    const started = (await res.json()) as StreamStatus;
    expect(started).toMatchObject({
      cameraId: 'gb-tcp',
      profile: 'main',
      node: t.nodeId,
      state: 'starting',
      gbMedia: { ip: '127.0.0.1', transport: 'tcp-passive', ssrc: '0100000001', awaitingMedia: true },
    });
    const port = started.gbMedia?.port ?? 0;
    expect(port).toBeGreaterThanOrEqual(30000);
    expect(port).toBeLessThanOrEqual(30999);
    expect(started.timeline.first_rtp).toBeUndefined();
    // The same ensure again (the gateway retrying) gets the same port.
    const again = (await (await ensure('gb-tcp', gbSource('tcp-passive'))).json()) as StreamStatus;
    expect(again.gbMedia?.port).toBe(port);

    // The gateway's INVITE and its 200 OK.
    const inviteSent = Date.now() - 30;
    const steps = await t.control('POST', '/control/ingest/gb-tcp/main/steps', {
      invite_sent: inviteSent,
      invite_ok: inviteSent + 15,
    });
    expect(steps.status).toBe(200);
    expect(((await steps.json()) as StreamStatus).timeline).toMatchObject({
      invite_sent: inviteSent,
      invite_ok: inviteSent + 15,
    });

    const device = await GbDeviceSim.connect({ transport: 'tcp', port, ssrc: 100000001, units: h264 });
    devices.push(device);
    device.start();
    const live = await waitLive(t, 'gb-tcp');
    expect(live).toMatchObject({ codec: 'h264', transcoded: false, width: 640, height: 360 });
    expect(live.reason).toBeUndefined();
    expect(live.gbMedia).toEqual({
      ip: '127.0.0.1',
      port,
      transport: 'tcp-passive',
      ssrc: '0100000001',
      awaitingMedia: false,
    });
    const tl = live.timeline;
    const order = [
      tl.invite_sent,
      tl.invite_ok,
      tl.first_rtp,
      tl.first_ps_pack,
      tl.first_keyframe,
      tl.first_producer_packet,
    ];
    expect(order.every((v) => typeof v === 'number')).toBe(true);
    expect([...(order as number[])].sort((a, b) => a - b)).toEqual(order);
    expect(tl.first_rtp).toBeGreaterThanOrEqual(device.firstSentAt);
    // Figures: device's first packet → first packet to the producer, and → live.
    console.info(
      `GB TCP: first RTP → producer ${(tl.first_producer_packet ?? 0) - (tl.first_rtp ?? 0)} ms; ` +
        `first byte sent → first_rtp ${(tl.first_rtp ?? 0) - device.firstSentAt} ms`,
    );
    const published = await waitFor(
      async () => (await t.redis.hget('media:streams', 'gb-tcp:main')) ?? undefined,
      5000,
      'status in Redis',
    );
    expect(JSON.parse(published)).toMatchObject({ cameraId: 'gb-tcp', gbMedia: { port } });
  });

  it('relays the producer to a PlainTransport consumer as decodable H.264', async () => {
    const ingest = t.node.ingests.get('gb-tcp', 'main');
    const producer = ingest?.producer;
    const slot = ingest?.slot;
    if (!producer || !slot) throw new Error('no producer');
    const sink = createSocket('udp4');
    const packets: Buffer[] = [];
    sink.on('message', (m) => packets.push(m));
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const out = await slot.router.createPlainTransport({
      listenIp: '127.0.0.1',
      rtcpMux: true,
      comedia: false,
    });
    try {
      await out.connect({ ip: '127.0.0.1', port: sink.address().port });
      const consumer = await out.consume({
        producerId: producer.id,
        rtpCapabilities: slot.router.rtpCapabilities,
      });
      expect(consumer.rtpParameters.codecs[0]?.mimeType).toBe('video/H264');
      // Two seconds: at least one key frame (every 25 frames) and what follows it.
      await waitFor(() => packets.length > 0 && Date.now() > 0, 5000, 'consumer packets');
      await new Promise((r) => setTimeout(r, 2200));
      const stats = (await producer.getStats()) as types.ProducerStat[];
      expect(stats[0]?.packetCount).toBeGreaterThan(200);
      expect(stats[0]?.mimeType).toBe('video/H264');
      const media = packets.filter((p) => !isRtcp(p)).map((p) => parseRtp(p));
      expect(media.length).toBeGreaterThan(150);
      const decoded = await probeH264(depacketizeH264(media.map((p) => p?.payload ?? Buffer.alloc(0))));
      expect(decoded.width).toBe(640);
      expect(decoded.height).toBe(360);
      expect(decoded.frames).toBeGreaterThanOrEqual(25);
    } finally {
      out.close();
      sink.close();
    }
  });

  it('serves the key frame of the GB stream as a JPEG snapshot', async () => {
    const res = await fetch(`${t.url}/snapshot/gb-tcp?profile=main&token=${t.token('gb-tcp', 'main')}`);
    expect(res.status).toBe(200);
    const jpeg = Buffer.from(await res.arrayBuffer());
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect([jpeg.readUInt16BE(sof + 7), jpeg.readUInt16BE(sof + 5)]).toEqual([640, 360]);
  });

  it('a viewer consuming over /viewer makes one key frame request on Redis, at most one a second', async () => {
    const sub = await subscribe(CHANNELS.keyframeRequest);
    const isMine = (m: unknown) => (m as { node?: string }).node === t.nodeId;
    const mine = () => sub.messages.filter(isMine);
    const times = () => sub.arrivals.filter((_, i) => isMine(sub.messages[i]));
    try {
      const consume = async () => {
        const s = connectViewer(`${t.url}/viewer`, {
          auth: { token: t.token('gb-tcp', 'main') },
          transports: ['websocket'],
          reconnection: false,
        });
        viewers.push(s);
        await new Promise<void>((r) => s.once('connect', () => r()));
        const caps = await s.emitWithAck('router:capabilities');
        if (!caps.ok) throw new Error(caps.error.code);
        expect((await s.emitWithAck('transport:create')).ok).toBe(true);
        const c = await s.emitWithAck('stream:consume', {
          token: t.token('gb-tcp', 'main'),
          rtpCapabilities: caps.data.rtpCapabilities,
        });
        if (!c.ok) throw new Error(c.error.code);
        expect(c.data).toMatchObject({ cameraId: 'gb-tcp', profile: 'main', kind: 'video' });
        expect(
          (c.data.rtpParameters as { codecs: { mimeType: string }[] }).codecs.map((x) => x.mimeType),
        ).toContain('video/H264');
        expect(await s.emitWithAck('stream:resume', { consumerId: c.data.consumerId })).toEqual({
          ok: true,
          data: null,
        });
      };
      await consume();
      await waitFor(() => mine().length === 1, 3000, 'key frame request');
      expect(mine()).toEqual([{ cameraId: 'gb-tcp', profile: 'main', node: t.nodeId }]);
      expect(t.node.ingests.get('gb-tcp', 'main')?.viewers).toBe(1);
      // Two more viewers at once, within the second: one more request, at the end of that second.
      await Promise.all([consume(), consume()]);
      await waitFor(() => mine().length === 2, 3000, 'second key frame request');
      const [first, second] = times();
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(950);
      await new Promise((r) => setTimeout(r, 1300));
      expect(mine()).toHaveLength(2);
      expect(t.node.ingests.get('gb-tcp', 'main')?.viewers).toBe(3);
      expect((await statusOf(t, 'gb-tcp')).viewers).toBe(3);
    } finally {
      for (const v of viewers.splice(0)) v.disconnect();
      sub.close();
    }
  });

  it('refuses a second device connection while the first one streams', async () => {
    const port = (await statusOf(t, 'gb-tcp')).gbMedia?.port ?? 0;
    const intruder = tcpConnect({ port, host: '127.0.0.1' });
    intruder.on('error', () => undefined);
    let got = 0;
    intruder.on('data', (d: Buffer) => {
      got += d.length;
    });
    await new Promise<void>((r) => intruder.once('close', () => r()));
    expect(got).toBe(0);
    const before = (await t.node.ingests.get('gb-tcp', 'main')?.producer?.getStats())?.[0]?.packetCount ?? 0;
    await new Promise((r) => setTimeout(r, 500));
    const after = (await t.node.ingests.get('gb-tcp', 'main')?.producer?.getStats())?.[0]?.packetCount ?? 0;
    expect(after).toBeGreaterThan(before);
    expect((await statusOf(t, 'gb-tcp')).state).toBe('live');
  });

  it('survives garbage in the TCP stream: it resyncs and the next key frames still come through', async () => {
    const device = devices[0] as GbDeviceSim;
    device.pause();
    const garbage = Buffer.concat([
      Buffer.from('\x00\x00\x01\xbaNOT RTP AT ALL \xff\xff\x80\x60', 'latin1'),
      Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 73 + 11) & 0xff)),
    ]);
    // Half a frame, then garbage, then the stream again.
    const half = device.nextFramed();
    device.writeRaw(half.subarray(0, Math.floor(half.length / 2)));
    device.writeRaw(garbage);
    const at = Date.now();
    device.start();
    // A key frame after the garbage, and the frame rate back to the device's 25 fps.
    const after = await waitFor(
      async () => {
        const s = await statusOf(t, 'gb-tcp');
        return (s.lastKeyFrameAt ?? 0) > at + 100 && s.fps >= 20 ? s : undefined;
      },
      8000,
      'a key frame after the garbage, at full rate',
    );
    expect(after.state).toBe('live');
    expect(after.width).toBe(640);
  });

  it('answers the steps route with zod-checked bodies, bearer auth, and only for GB ingests', async () => {
    const unauth = await t.control(
      'POST',
      '/control/ingest/gb-tcp/main/steps',
      { invite_ok: 1 },
      'x'.repeat(43),
    );
    expect(unauth.status).toBe(401);
    const bad = await t.control('POST', '/control/ingest/gb-tcp/main/steps', { invite_ok: 'soon' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('invalid:request');
    const none = await t.control('POST', '/control/ingest/nobody/main/steps', { invite_ok: 1 });
    expect(none.status).toBe(409);
    expect(((await none.json()) as { code: string }).code).toBe('stream:not_ingested');
    // Media already flows: a late report does not rewrite the timeline.
    const before = (await statusOf(t, 'gb-tcp')).timeline.invite_ok;
    const late = await t.control('POST', '/control/ingest/gb-tcp/main/steps', { invite_ok: 1 });
    expect(((await late.json()) as StreamStatus).timeline.invite_ok).toBe(before);
    const rtsp = await t.control('POST', '/control/ingest', {
      cameraId: 'rtsp-x',
      profile: 'main',
      source: { kind: 'rtsp', url: 'rtsp://127.0.0.1:1/x' },
    });
    expect(rtsp.status).toBe(200);
    try {
      const notGb = await t.control('POST', '/control/ingest/rtsp-x/main/steps', { invite_ok: 1 });
      expect(notGb.status).toBe(400);
      expect(((await notGb.json()) as { code: string }).code).toBe('invalid:request');
    } finally {
      await t.control('DELETE', '/control/ingest/rtsp-x/main');
    }
  });

  it('receives over UDP too, and plays a device that sends a wrong (zero) SSRC', async () => {
    const res = await ensure('gb-udp', gbSource('udp', '0100000002'));
    const s = (await res.json()) as StreamStatus;
    expect(s.gbMedia).toMatchObject({ transport: 'udp', ssrc: '0100000002', awaitingMedia: true });
    const device = await GbDeviceSim.connect({
      transport: 'udp',
      port: s.gbMedia?.port ?? 0,
      ssrc: 0,
      units: h264,
    });
    devices.push(device);
    device.start();
    const live = await waitLive(t, 'gb-udp');
    expect(live).toMatchObject({ codec: 'h264', width: 640, height: 360, gbMedia: { awaitingMedia: false } });
    expect(live.timeline.first_rtp).toBeLessThanOrEqual(live.timeline.first_producer_packet ?? 0);
    device.stop();
    expect((await t.control('DELETE', '/control/ingest/gb-udp/main')).status).toBe(204);
  });

  it('transcodes a device that sends H.265 and reports it, and records its own H.265 (hvc1)', async () => {
    const hevc = accessUnits('h265', clip('h265'));
    expect(hevc).toHaveLength(100);
    const s = (await (await ensure('gb-hevc', gbSource('tcp-passive', '0100000003'))).json()) as StreamStatus;
    const device = await GbDeviceSim.connect({
      transport: 'tcp',
      port: s.gbMedia?.port ?? 0,
      ssrc: 100000003,
      units: hevc,
      codec: 'h265',
    });
    devices.push(device);
    device.start();
    try {
      const live = await waitLive(t, 'gb-hevc', 20_000);
      expect(live).toMatchObject({ codec: 'hevc', transcoded: true, width: 640, height: 360 });
      const tl = live.timeline;
      expect(tl.first_rtp).toBeLessThanOrEqual(tl.first_ps_pack ?? 0);
      expect(tl.first_ps_pack).toBeLessThanOrEqual(tl.first_keyframe ?? 0);
      expect(tl.first_keyframe).toBeLessThanOrEqual(tl.first_producer_packet ?? 0);
      console.info(
        `GB H.265: first key frame in → first transcoded packet to the producer ${(tl.first_producer_packet ?? 0) - (tl.first_keyframe ?? 0)} ms`,
      );
      // Recording takes the device's H.265 as it came, not the transcode.
      const planned = await t.control('PUT', '/control/recordings', {
        plan: [
          {
            cameraId: 'gb-hevc',
            profile: 'main',
            priority: 50,
            source: gbSource('tcp-passive', '0100000003'),
          },
        ],
      });
      expect(planned.status).toBe(200);
      const rec = await waitFor(
        async () => {
          const all = (
            (await (await t.control('GET', '/control/recordings')).json()) as { recordings: RecorderStatus[] }
          ).recordings;
          const r = all.find((x) => x.cameraId === 'gb-hevc');
          return r && r.segments >= 1 ? r : undefined;
        },
        20_000,
        'an H.265 segment of the GB device',
      );
      expect(rec).toMatchObject({ state: 'recording', lostPackets: 0, failedWrites: 0 });
      const files = readdirSync(recordingDir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.mp4'));
      const file = join(recordingDir, files[0] ?? 'none');
      expect(probeVideo(file)).toMatchObject({
        codec_name: 'hevc',
        codec_tag_string: 'hvc1',
        width: 640,
        height: 360,
      });
      expect(firstFrame(file)).toMatch(/^1,I/);
      expect(decodeErrors(file)).toBe('');
    } finally {
      await t.control('PUT', '/control/recordings', { plan: [] });
      device.stop();
      await t.control('DELETE', '/control/ingest/gb-hevc/main');
    }
  });
});

describe('GB/T 28181 ingest: no media, idle stop', () => {
  it('goes offline with gb:no_media when nothing comes after the 200 OK, keeps the port, and recovers', async () => {
    const logger = createLogger(process.env.GB_TEST_LOG ?? 'silent', 'gb-test');
    const pool = await WorkerPool.create({ size: 1, rtcMinPort: 47900, rtcMaxPort: 47999, logger });
    const manager = new IngestManager({
      pool,
      logger,
      nodeId: 'gb-no-media',
      idleTimeoutMs: 60_000,
      sources: defaultSources({ gb: { noMediaTimeoutMs: 1000 } }),
    });
    let device: GbDeviceSim | undefined;
    try {
      const ingest = await manager.ensure({
        cameraId: 'gb-silent',
        profile: 'sub',
        source: gbSource('tcp-passive'),
      });
      const port = ingest.status().gbMedia?.port ?? 0;
      ingest.recordSteps({ invite_sent: Date.now(), invite_ok: Date.now() });
      const offline = await waitFor(
        () => (ingest.state === 'offline' ? ingest.status() : undefined),
        5000,
        'gb:no_media',
      );
      expect(offline).toMatchObject({
        state: 'offline',
        reason: 'gb:no_media',
        gbMedia: { port, awaitingMedia: true },
      });
      // The gateway ensures again (with another SSRC) to INVITE again: same port, same SSRC.
      const again = manager.ensure({
        cameraId: 'gb-silent',
        profile: 'sub',
        source: gbSource('tcp-passive', '0100000009'),
      });
      expect((await again).status().gbMedia).toEqual({
        ip: '127.0.0.1',
        port,
        transport: 'tcp-passive',
        ssrc: '0100000001',
        awaitingMedia: true,
      });
      expect(await refused(port)).toBe(false);
      device = await GbDeviceSim.connect({
        transport: 'tcp',
        port,
        ssrc: 100000009,
        units: accessUnits('h264', clip('h264')),
      });
      device.start();
      const live = await waitFor(
        () => (ingest.state === 'live' ? ingest.status() : undefined),
        10_000,
        'live',
      );
      expect(live.reason).toBeUndefined();
      expect(live.width).toBe(640);
    } finally {
      device?.stop();
      manager.close();
      pool.close();
    }
  });

  it('stops after the idle timeout: final status offline/stopped on media:stream-status, entry removed, port closed', async () => {
    const t = await startTestNode({ workers: 1, idleTimeoutMs: 1500, webRtcPort: 21680 });
    const sub = await subscribe(CHANNELS.streamStatus);
    let device: GbDeviceSim | undefined;
    try {
      const s = (await (
        await t.control('POST', '/control/ingest', {
          cameraId: 'gb-idle',
          profile: 'sub',
          source: gbSource('tcp-passive'),
        })
      ).json()) as StreamStatus;
      const port = s.gbMedia?.port ?? 0;
      device = await GbDeviceSim.connect({
        transport: 'tcp',
        port,
        ssrc: 100000001,
        units: accessUnits('h264', clip('h264')),
      });
      device.start();
      const stopped = await waitFor(
        () =>
          (sub.messages as StreamStatus[]).find(
            (m) => m.cameraId === 'gb-idle' && m.node === t.nodeId && m.reason === 'stopped',
          ),
        8000,
        'stopped status',
      );
      expect(stopped).toMatchObject({
        state: 'offline',
        reason: 'stopped',
        profile: 'sub',
        gbMedia: { port },
      });
      expect(t.node.ingests.get('gb-idle', 'sub')).toBeUndefined();
      expect(await t.redis.hget('media:streams', 'gb-idle:sub')).toBeNull();
      await device.closed; // the node closed the device's connection…
      await waitFor(() => refused(port), 3000, 'port closed'); // …and the port
      // An RTSP ingest stopped by the gateway says so the same way.
      await t.control('POST', '/control/ingest', {
        cameraId: 'rtsp-stop',
        profile: 'sub',
        source: { kind: 'rtsp', url: 'rtsp://127.0.0.1:1/x' },
      });
      expect((await t.control('DELETE', '/control/ingest/rtsp-stop/sub')).status).toBe(204);
      const rtspStopped = await waitFor(
        () =>
          (sub.messages as StreamStatus[]).find((m) => m.cameraId === 'rtsp-stop' && m.reason === 'stopped'),
        3000,
        'rtsp stopped status',
      );
      expect(rtspStopped).toMatchObject({ state: 'offline', node: t.nodeId });
      expect(rtspStopped.gbMedia).toBeUndefined();
    } finally {
      device?.stop();
      sub.close();
      await t.close();
    }
  });
});

describe('GB/T 28181 media configuration', () => {
  const base = {
    MEDIASOUP_WORKER_BIN: '/bin/true',
    MEDIA_TOKEN_PUBLIC_KEY: '9EPjyTmoPZKzaoZC7C8XeM1uAOuSBC85q5UYdM8xBuQ',
    MEDIA_CONTROL_SECRET: 's'.repeat(32),
  };

  it.each([
    [{}, { ip: '127.0.0.1', listenIp: '127.0.0.1' }],
    [{ MEDIA_HOST: '10.0.0.5' }, { ip: '10.0.0.5', listenIp: '10.0.0.5' }],
    [
      { MEDIA_GB_IP: '203.0.113.7', MEDIA_GB_LISTEN_IP: '0.0.0.0' },
      { ip: '203.0.113.7', listenIp: '0.0.0.0' },
    ],
  ])('announces and listens on the right addresses (%o)', (env, expected) => {
    const r = loadConfig({ ...base, ...env });
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(gbMediaAddress(r.value)).toEqual(expected);
    expect([
      r.value.MEDIA_GB_PORT_MIN,
      r.value.MEDIA_GB_PORT_MAX,
      r.value.MEDIA_GB_NO_MEDIA_TIMEOUT_MS,
    ]).toEqual([30000, 30999, 10_000]);
  });

  it('refuses an empty port range and a wildcard address devices could not reach', () => {
    const r = loadConfig({
      ...base,
      MEDIA_HOST: '0.0.0.0',
      MEDIA_GB_PORT_MIN: '31000',
      MEDIA_GB_PORT_MAX: '30000',
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toEqual([
        'MEDIA_GB_PORT_MAX: must not be less than MEDIA_GB_PORT_MIN',
        'MEDIA_GB_IP: required when MEDIA_HOST is a wildcard address: the address GB devices reach',
      ]);
  });
});
