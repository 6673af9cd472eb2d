import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import * as gb from '@wall/protocol/gb28181';
import type { Clip } from './clip.ts';

export interface StreamerOptions {
  clip: Clip;
  ssrc: number;
  /** `tcp`: we connect to the target (it listens, TCP passive on its side); `udp`: we send to it. */
  transport: 'tcp' | 'udp';
  target: { host: string; port: number };
  bind: string;
  onEvent: (e: Record<string, unknown>) => void;
}

/**
 * Sends a looped H.264 clip as PS over RTP (PT 96, 90 kHz) at real time: each access unit is muxed
 * into a PS pack (system header and PSM before key frames), cut into RTP packets (marker on the
 * last), and written as RFC 4571 frames over TCP or as datagrams over UDP. `keyframe()` makes the
 * next frame sent the clip's next key frame (IFameCmd).
 */
export class PsStreamer {
  readonly #o: StreamerOptions;
  readonly #muxer = new gb.PsMuxer();
  readonly #packetizer: gb.PsRtpPacketizer;
  #tcp: Socket | undefined;
  #udp: UdpSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #index = 0;
  #sent = 0;
  #startedAt = 0;
  #pts = Math.floor(Math.random() * 90_000);
  #jump = false;
  #stopped = false;

  constructor(options: StreamerOptions) {
    this.#o = options;
    this.#packetizer = new gb.PsRtpPacketizer({
      ssrc: options.ssrc,
      initialSequence: Math.floor(Math.random() * 65_536),
    });
  }

  get framesSent(): number {
    return this.#sent;
  }

  async start(): Promise<void> {
    const { target } = this.#o;
    if (this.#o.transport === 'tcp') {
      this.#tcp = await connectWithRetry(target.host, target.port, this.#o.bind);
      this.#tcp.setNoDelay(true);
      this.#tcp.on('error', () => undefined);
      this.#tcp.on('close', () => {
        if (!this.#stopped) {
          this.#o.onEvent({ event: 'stream-closed', reason: 'peer' });
          this.stop();
        }
      });
    } else {
      const udp = createSocket('udp4');
      this.#udp = udp;
      udp.on('error', () => undefined);
      await new Promise<void>((r) => udp.bind(0, this.#o.bind, () => r()));
    }
    this.#startedAt = performance.now();
    this.#o.onEvent({
      event: 'stream-start',
      transport: this.#o.transport,
      target: `${target.host}:${target.port}`,
    });
    this.#tick();
  }

  keyframe(): void {
    this.#jump = true;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#tcp?.destroy();
    this.#udp?.close();
  }

  #tick(): void {
    if (this.#stopped) return;
    const { clip } = this.#o;
    if (this.#jump) {
      this.#jump = false;
      const next = clip.keyframes.find((k) => k > this.#index) ?? clip.keyframes[0] ?? 0;
      this.#index = next;
      this.#o.onEvent({ event: 'keyframe-sent', frame: next });
    }
    const frame = clip.frames[this.#index] as Uint8Array;
    this.#index = (this.#index + 1) % clip.frames.length;
    const ps = this.#muxer.mux({ pts: this.#pts, data: frame });
    const packets = this.#packetizer.packetize(ps, this.#pts);
    this.#pts += Math.round(90_000 / clip.fps);
    if (this.#tcp) {
      const framed: Uint8Array[] = [];
      for (const p of packets) {
        const f = gb.frameRfc4571(p);
        if (f.ok) framed.push(f.value);
      }
      this.#tcp.write(Buffer.concat(framed));
    } else if (this.#udp) {
      for (const p of packets) this.#udp.send(p, this.#o.target.port, this.#o.target.host);
    }
    this.#sent++;
    // Real time without drift: frame n goes out at start + n / fps.
    const due = this.#startedAt + (this.#sent * 1000) / clip.fps;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - performance.now()));
  }
}

async function connectWithRetry(host: string, port: number, bind: string): Promise<Socket> {
  let lastErr: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port, localAddress: bind });
        s.once('error', reject);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
      });
    } catch (err) {
      lastErr = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw lastErr instanceof Error ? lastErr : new Error(`cannot connect to ${host}:${port}`);
}
