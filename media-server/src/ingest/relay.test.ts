import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isKeyFrameStart, nalTypesOf, type SpsInfo } from './h264.ts';
import { RtpRelay, type RtpRelayKeyFrame } from './relay.ts';
import { isRtcp, parseRtp } from './rtp.ts';

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface Sink {
  port: number;
  packets: Buffer[];
  socket: Socket;
  close(): Promise<void>;
}

/** A UDP socket standing in for the mediasoup PlainTransport. */
async function startSink(): Promise<Sink> {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (msg) => packets.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    packets,
    socket,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Resolves once `check()` holds, re-checking on every `event` of `emitter`; rejects after `timeoutMs`. */
function when(emitter: EventEmitter, event: string, check: () => boolean, timeoutMs: number, what: string) {
  return new Promise<void>((resolve, reject) => {
    if (check()) return resolve();
    const onEvent = () => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

/** Bounded polling, for what has no event (counters moved by datagrams on the relay's own socket). */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const SSRC = 0x0badcafe;
/** Real x264 SPS (Constrained Baseline 640x360) and 1280x720, and a PPS. */
const SPS_360 = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex');
const SPS_720 = Buffer.from('6742c01fd9005005bb011000000300100000030320f1832480', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');

const stapA = (...nals: Buffer[]) =>
  Buffer.concat([
    Buffer.from([0x78]),
    ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n]),
  ]);
const fuA = (type: number, start: boolean, end: boolean, size = 100) =>
  Buffer.concat([
    Buffer.from([0x7c, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type]),
    Buffer.alloc(size, 0x11),
  ]);
const slice = (type: number, size = 100) =>
  Buffer.concat([Buffer.from([0x60 | type]), Buffer.alloc(size, 0x22)]);

/** Packetizes access units like ffmpeg does: one timestamp per frame, marker on its last packet. */
class Stream {
  seq = 65530; // wraps during the tests
  ts = 0xffff0000;
  marker = true;

  frame(payloads: Buffer[], tsStep = 3600): Buffer[] {
    const packets = payloads.map((payload, i) => {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = (this.marker && i === payloads.length - 1 ? 0x80 : 0) | 96;
      header.writeUInt16BE(this.seq, 2);
      header.writeUInt32BE(this.ts, 4);
      header.writeUInt32BE(SSRC, 8);
      this.seq = (this.seq + 1) & 0xffff;
      return Buffer.concat([header, payload]);
    });
    this.ts = (this.ts + tsStep) >>> 0;
    return packets;
  }

  /** SPS+PPS in a STAP-A, then an IDR in two slices of two FU-A fragments each (x264 sliced threads). */
  keyFrame(sps = SPS_360): Buffer[] {
    return this.frame([
      stapA(sps, PPS),
      fuA(5, true, false),
      fuA(5, false, true),
      fuA(5, true, false),
      fuA(5, false, true),
    ]);
  }

  deltaFrame(): Buffer[] {
    return this.frame([stapA(slice(1), slice(1))]);
  }
}

const rtcpSr = () => {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(SSRC, 4);
  return b;
};

// ---------------------------------------------------------------------------------------------------------
// The relay's logic, packets fed in-process (ingest) with a fake clock; forwarding goes to a real socket.

describe('RtpRelay (packets fed in-process)', () => {
  let sink: Sink;
  let relay: RtpRelay;
  let now = 0;
  const open: RtpRelay[] = [];

  const create = async (options: { maxGopPackets?: number } = {}) => {
    sink = await startSink();
    now = 10_000;
    relay = await RtpRelay.create({
      forwardTo: { host: '127.0.0.1', port: sink.port },
      clock: () => now,
      ...options,
    });
    open.push(relay);
    return relay;
  };
  const feed = (packets: Buffer[]) => {
    for (const p of packets) relay.ingest(p);
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    await sink?.close();
  });

  it('forwards RTP and RTCP byte for byte, drops and counts garbage', async () => {
    await create();
    const s = new Stream();
    const media = [...s.keyFrame(), ...s.deltaFrame()];
    const sr = rtcpSr();
    const junk = [
      Buffer.from('hello'),
      Buffer.alloc(0),
      Buffer.from([0x40, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ];
    feed([sr, ...junk, ...media]);
    await when(
      sink.socket,
      'message',
      () => sink.packets.length >= media.length + 1,
      2000,
      'the forwarded packets',
    );
    expect(sink.packets).toEqual([sr, ...media]);
    expect(relay.stats()).toMatchObject({
      packets: media.length,
      bytes: media.reduce((n, p) => n + p.length, 0),
      rtcp: 1,
      garbage: 3,
      forwarded: media.length + 1,
      dropped: 0,
      ssrc: SSRC,
      payloadType: 96,
    });
  });

  it('tap: listeners get every valid media packet (not RTCP or garbage), in order, until removed', async () => {
    await create();
    const s = new Stream();
    const seen: Buffer[] = [];
    const untap = relay.tap((p) => seen.push(p));
    const media = [...s.keyFrame(), ...s.deltaFrame()];
    feed([rtcpSr(), Buffer.from('junk'), ...media]);
    expect(seen).toEqual(media);
    untap();
    feed(s.deltaFrame());
    expect(seen).toHaveLength(media.length);
    await when(sink.socket, 'message', () => sink.packets.length >= media.length + 2, 2000, 'forwarded');
    expect(relay.stats().forwarded).toBe(media.length + 2);
  });

  it('keeps the GOP from SPS/PPS through every slice of the IDR, and starts over at the next key frame', async () => {
    await create();
    const keyframes: RtpRelayKeyFrame[] = [];
    relay.on('keyframe', (k) => keyframes.push(k));
    const s = new Stream();

    feed(s.deltaFrame()); // before any key frame: forwarded, not buffered
    expect(relay.gop()).toEqual([]);
    expect(relay.stats()).toMatchObject({ gopPackets: 0, keyFrames: 0, firstKeyFrameAt: undefined });

    now = 10_040;
    const key1 = s.keyFrame();
    const deltas = [...s.deltaFrame(), ...s.deltaFrame()];
    feed([...key1, ...deltas]);
    expect(keyframes).toEqual([
      { at: 10_040, gopIndex: 1, timestamp: parseRtp(key1[0] as Buffer)?.timestamp },
    ]);
    const gop = relay.gop();
    expect(gop).toEqual([...key1, ...deltas]);
    expect(nalTypesOf(parseRtp(gop[0] as Buffer)?.payload ?? Buffer.alloc(0)).types).toEqual([7, 8]);
    expect(relay.stats()).toMatchObject({
      gopPackets: 7,
      keyFrames: 1,
      firstKeyFrameAt: 10_040,
      lastKeyFrameAt: 10_040,
    });

    // gop() hands out copies.
    (gop[0] as Buffer).fill(0);
    expect(relay.gop()[0]).toEqual(key1[0]);

    now = 11_040;
    const key2 = s.keyFrame();
    feed([...key2, ...s.deltaFrame()]);
    expect(keyframes.map((k) => k.gopIndex)).toEqual([1, 2]);
    expect(relay.gop().slice(0, key2.length)).toEqual(key2);
    expect(relay.stats()).toMatchObject({
      gopPackets: key2.length + 1,
      keyFrames: 2,
      firstKeyFrameAt: 10_040,
      lastKeyFrameAt: 11_040,
    });
  });

  it('keeps SPS/PPS sent with a timestamp of their own in front of the IDR', async () => {
    await create();
    const s = new Stream();
    const params = [...s.frame([SPS_360]), ...s.frame([PPS])];
    const idr = s.frame([slice(5)]);
    feed([...params, ...idr]);
    expect(relay.stats().keyFrames).toBe(1);
    expect(relay.gop()).toEqual([...params, ...idr]);
  });

  it('an SPS repeated without an IDR still starts a GOP (as mediasoup counts key frames)', async () => {
    await create();
    const s = new Stream();
    feed([...s.keyFrame(), ...s.deltaFrame()]);
    const repeat = s.frame([stapA(SPS_360, PPS), slice(1)]);
    feed(repeat);
    expect(relay.stats().keyFrames).toBe(2);
    expect(relay.gop()).toEqual(repeat);
  });

  it('caps the GOP: past maxGopPackets it is dropped until the next key frame', async () => {
    await create({ maxGopPackets: 8 });
    const s = new Stream();
    feed(s.keyFrame()); // 5 packets
    feed([...s.deltaFrame(), ...s.deltaFrame(), ...s.deltaFrame()]); // 8
    expect(relay.stats()).toMatchObject({ gopPackets: 8, gopOverflows: 0 });
    feed(s.deltaFrame()); // the 9th does not fit
    expect(relay.stats()).toMatchObject({ gopPackets: 0, gopOverflows: 1 });
    feed(s.deltaFrame());
    expect(relay.gop()).toEqual([]);
    expect(relay.stats().gopOverflows).toBe(1);
    const key = s.keyFrame();
    feed(key);
    expect(relay.gop()).toEqual(key);
    expect(relay.stats()).toMatchObject({ keyFrames: 2, gopPackets: 5, gopOverflows: 1 });
    expect(relay.stats().forwarded).toBe(5 + 3 + 2 + 5);
  });

  it('reads the SPS whole, in a STAP-A, or reassembled from FU-A fragments; emits sps when it changes', async () => {
    await create();
    const seen: SpsInfo[] = [];
    relay.on('sps', (info) => seen.push(info));
    const s = new Stream();

    feed(s.frame([SPS_360, PPS, slice(5)]));
    expect(relay.stats()).toMatchObject({
      width: 640,
      height: 360,
      profileIdc: 66,
      profileLevelId: '42c01e',
    });
    feed([...s.keyFrame(SPS_360), ...s.keyFrame(SPS_360)]); // the same SPS again: no new event
    expect(seen.map((i) => `${i.width}x${i.height}`)).toEqual(['640x360']);

    feed(s.frame([stapA(SPS_720, PPS), slice(5)]));
    expect(seen.map((i) => `${i.width}x${i.height}`)).toEqual(['640x360', '1280x720']);

    // SPS_360 in three FU-A fragments (rare, but RFC 6184 allows it).
    const body = SPS_360.subarray(1);
    const frag = (part: Buffer, start: boolean, end: boolean) =>
      Buffer.concat([Buffer.from([0x60 | 28, (start ? 0x80 : 0) | (end ? 0x40 : 0) | 7]), part]);
    feed(
      s.frame([
        frag(body.subarray(0, 8), true, false),
        frag(body.subarray(8, 16), false, false),
        frag(body.subarray(16), false, true),
        PPS,
        slice(5),
      ]),
    );
    expect(relay.stats()).toMatchObject({ width: 640, height: 360 });
    expect(seen).toHaveLength(3);

    // A lost middle fragment: nothing is parsed from the remains.
    const broken = s.frame([
      frag(SPS_720.subarray(1, 9), true, false),
      frag(SPS_720.subarray(9, 17), false, false),
      frag(SPS_720.subarray(17), false, true),
    ]);
    feed([broken[0] as Buffer, broken[2] as Buffer]);
    expect(relay.stats()).toMatchObject({ width: 640, height: 360 });
    expect(seen).toHaveLength(3);
  });

  it('measures fps and bit rate over a sliding window, with or without marker bits', async () => {
    await create();
    const s = new Stream();
    let first: number | undefined;
    relay.on('packet:first', (at) => {
      first = at;
    });
    // 25 fps, 2 packets of 512 bytes per frame → 25 × 1024 × 8 bit/s = 204.8 kbps.
    const run = (seconds: number) => {
      for (let f = 0; f < 25 * seconds; f++) {
        const frame = s.frame([Buffer.alloc(500, 0x61), Buffer.alloc(500, 0x61)]);
        feed(frame);
        now += 40;
      }
    };
    expect(relay.stats()).toMatchObject({ fps: 0, bitrateKbps: 0, firstPacketAt: undefined });
    run(3);
    expect(first).toBe(10_000);
    let st = relay.stats();
    expect(st.fps).toBeCloseTo(25, 0);
    expect(st.bitrateKbps).toBeGreaterThan(200);
    expect(st.bitrateKbps).toBeLessThan(210);
    expect(st).toMatchObject({ packets: 150, bytes: 150 * 512, firstPacketAt: 10_000 });

    s.marker = false; // frames now end at timestamp changes
    run(3);
    st = relay.stats();
    expect(st.fps).toBeCloseTo(25, 0);

    now += 2500; // silence
    st = relay.stats();
    expect(st).toMatchObject({ fps: 0, bitrateKbps: 0 });

    // Doubling the frame rate shows within the window.
    s.marker = true;
    for (let f = 0; f < 100; f++) {
      feed(s.frame([Buffer.alloc(100, 0x61)], 1800));
      now += 20;
    }
    expect(relay.stats().fps).toBeCloseTo(50, 0);
  });

  it('retargets with setForwardTo, nothing lost while reconnecting', async () => {
    await create();
    const second = await startSink();
    try {
      const s = new Stream();
      const before = s.keyFrame();
      feed(before);
      await when(sink.socket, 'message', () => sink.packets.length === before.length, 2000, 'the first sink');
      const sourcePort = relay.sourcePort;
      relay.setForwardTo({ host: '127.0.0.1', port: sink.port }); // the same target: nothing changes
      expect(relay.sourcePort).toBe(sourcePort);
      relay.setForwardTo({ host: '127.0.0.1', port: second.port });
      const after = [...s.deltaFrame(), ...s.deltaFrame()];
      feed(after); // while the socket reconnects: queued
      await when(
        second.socket,
        'message',
        () => second.packets.length === after.length,
        2000,
        'the second sink',
      );
      expect(second.packets).toEqual(after);
      expect(sink.packets).toEqual(before);
      // Linux releases an automatically bound port on disconnect: packets now leave from a new one.
      expect(relay.sourcePort).toBeGreaterThan(0);
      expect(relay.forwardTo).toEqual({ host: '127.0.0.1', port: second.port });
      expect(relay.stats()).toMatchObject({ forwarded: before.length + after.length, dropped: 0 });
    } finally {
      await second.close();
    }
  });

  it('close() is idempotent; a closed relay ignores packets', async () => {
    await create();
    const s = new Stream();
    feed(s.keyFrame());
    const closing = relay.close();
    expect(relay.close()).toBe(closing);
    await closing;
    expect(relay.closed).toBe(true);
    await relay.close();
    const packets = relay.stats().packets;
    feed(s.keyFrame());
    relay.setForwardTo({ host: '127.0.0.1', port: 9 });
    expect(relay.stats().packets).toBe(packets);
    expect(relay.gop()).toEqual([]);
    expect(relay.sourcePort).toBe(0);
  });

  it('rejects when the bind host is not local', async () => {
    sink = await startSink();
    await expect(
      RtpRelay.create({ bindHost: '192.0.2.1', forwardTo: { host: '127.0.0.1', port: sink.port } }),
    ).rejects.toThrow(/EADDRNOTAVAIL/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against a real ffmpeg: libx264 → RTP → relay → a UDP socket.

describe('RtpRelay with ffmpeg sending RTP', () => {
  let sink: Sink;
  let relay: RtpRelay;
  let ffmpeg: ChildProcess;
  let stderr = '';
  const keyframes: RtpRelayKeyFrame[] = [];
  const spsEvents: SpsInfo[] = [];
  let firstPacketAt: number | undefined;

  beforeAll(async () => {
    sink = await startSink();
    relay = await RtpRelay.create({ forwardTo: { host: '127.0.0.1', port: sink.port } });
    relay.on('keyframe', (k) => keyframes.push(k));
    relay.on('sps', (info) => spsEvents.push(info));
    relay.on('packet:first', (at) => {
      firstPacketAt = at;
    });
    // testsrc is RGB: without -pix_fmt yuv420p libx264 would pick 4:4:4, which baseline refuses.
    // rtcpport: ffmpeg sends its RTCP (sender reports) to port + 1 unless told otherwise.
    ffmpeg = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-re'],
        ...['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25'],
        ...['-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-tune', 'zerolatency'],
        ...['-g', '25', '-bf', '0', '-f', 'rtp', '-payload_type', '96'],
        `rtp://127.0.0.1:${relay.port}?pkt_size=1200&rtcpport=${relay.port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    ffmpeg.stderr?.setEncoding('utf8');
    ffmpeg.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
  });

  afterAll(async () => {
    if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
      const exited = new Promise((r) => ffmpeg.once('exit', r));
      ffmpeg.kill('SIGKILL');
      await exited;
    }
    await relay?.close();
    await sink?.close();
  });

  it('reads 640x360 Constrained Baseline from the SPS', async () => {
    await when(relay, 'sps', () => spsEvents.length > 0, 10_000, `an SPS (ffmpeg: ${stderr})`);
    expect(spsEvents[0]).toMatchObject({ width: 640, height: 360, profileIdc: 66 });
    expect(relay.stats()).toMatchObject({ width: 640, height: 360, profileIdc: 66 });
  });

  it('sees a key frame per second (-g 25): at least 2 within 3 s', async () => {
    await when(relay, 'keyframe', () => keyframes.length >= 2, 10_000, 'two key frames');
    expect(firstPacketAt).toBeDefined();
    const second = keyframes[1] as RtpRelayKeyFrame;
    expect(second.gopIndex).toBe(2);
    expect(second.at - (firstPacketAt as number)).toBeLessThan(3000);
    expect(relay.stats().keyFrames).toBeGreaterThanOrEqual(2);
  });

  it('keeps a GOP that starts at a key frame: STAP-A SPS+PPS, then the IDR slices', async () => {
    // The key frame event comes with its first packet: wait for the rest of the frame (its marker).
    const keyFrameComplete = () => relay.gop().some((p) => parseRtp(p)?.marker);
    await when(sink.socket, 'message', keyFrameComplete, 2000, 'the end of the key frame');
    const gop = relay.gop();
    const st = relay.stats();
    expect(gop.length).toBeGreaterThan(0);
    expect(gop.length).toBe(st.gopPackets);
    const packets = gop.map((p) => parseRtp(p));
    const first = packets[0];
    expect(first && isKeyFrameStart(first.payload)).toBe(true);
    expect(nalTypesOf(first?.payload ?? Buffer.alloc(0)).types.slice(0, 2)).toEqual([7, 8]);
    // Contiguous sequence numbers; the key frame's packets share its timestamp and end with a marker.
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i]?.sequenceNumber).toBe(((first?.sequenceNumber ?? 0) + i) & 0xffff);
    }
    const keyAu = packets.filter((p) => p?.timestamp === first?.timestamp);
    expect(keyAu.at(-1)?.marker).toBe(true);
    expect(keyAu.some((p) => p && nalTypesOf(p.payload).types.includes(5))).toBe(true);
  });

  it('measures about 25 fps', async () => {
    await when(relay, 'keyframe', () => keyframes.length >= 3, 10_000, 'three key frames (2 s of video)');
    const st = relay.stats();
    expect(st.fps).toBeGreaterThanOrEqual(22);
    expect(st.fps).toBeLessThanOrEqual(28);
    expect(st.bitrateKbps).toBeGreaterThan(10);
    expect(st.rtcp).toBeGreaterThanOrEqual(1); // ffmpeg's first sender report
  });

  it('counts junk sent to its port as garbage, without forwarding it', async () => {
    const junk = createSocket('udp4');
    try {
      const before = relay.stats().garbage;
      await new Promise<void>((resolve, reject) =>
        junk.send(Buffer.from('not rtp at all'), relay.port, '127.0.0.1', (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await new Promise<void>((resolve, reject) =>
        junk.send(
          Buffer.from([0x40, 96, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
          relay.port,
          '127.0.0.1',
          (err) => (err ? reject(err) : resolve()),
        ),
      );
      await until(() => relay.stats().garbage === before + 2, 2000, 'the junk to be counted');
    } finally {
      junk.close();
    }
  });

  it('forwards exactly what it received, every packet RTP or RTCP, no sequence gaps', async () => {
    const exited = new Promise((r) => ffmpeg.once('exit', r));
    ffmpeg.kill('SIGKILL');
    await exited;
    const st = relay.stats();
    expect(st.forwarded).toBe(st.packets + st.rtcp);
    await when(
      sink.socket,
      'message',
      () => sink.packets.length >= st.forwarded,
      2000,
      'the packets in flight',
    );
    expect(sink.packets.length).toBe(relay.stats().forwarded);
    const media = sink.packets.filter((p) => !isRtcp(p)).map((p) => parseRtp(p));
    expect(media).toHaveLength(st.packets);
    expect(st.garbage).toBe(2); // only the junk
    let seq = media[0]?.sequenceNumber ?? 0;
    for (const p of media) {
      expect(p?.sequenceNumber).toBe(seq);
      seq = (seq + 1) & 0xffff;
    }
  });

  it('close() is idempotent', async () => {
    const a = relay.close();
    const b = relay.close();
    expect(a).toBe(b);
    await a;
    expect(relay.closed).toBe(true);
  });
});
