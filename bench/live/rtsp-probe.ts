// A minimal RTSP client (TCP interleaved), to time a camera's own part of a cold start without
// ffmpeg: TCP connect, OPTIONS, DESCRIBE, SETUP, PLAY, first RTP packet, first IDR. It can also
// stay connected (draining the stream, GET_PARAMETER keep-alives) to keep a simulated camera's
// encoder running while something else pulls the same mount.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RtspTimings {
  /** ms from the start of the probe (performance.now based). */
  connected: number;
  options: number;
  describe: number;
  setup: number;
  play: number;
  firstRtp: number | null;
  firstIdr: number | null;
  /** Wall-clock time (ms since the epoch) the probe started. */
  startedAtWall: number;
}

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** NAL unit types that start in an RTP H.264 payload (single, STAP-A, FU-A start). */
function startsIdr(payload: Buffer): boolean {
  if (payload.length < 2) return false;
  const type = (payload[0] as number) & 0x1f;
  if (type === 5) return true;
  if (type === 28) return ((payload[1] as number) & 0x80) !== 0 && ((payload[1] as number) & 0x1f) === 5;
  if (type === 24) {
    for (let o = 1; o + 2 < payload.length; ) {
      const size = payload.readUInt16BE(o);
      if (((payload[o + 2] as number) & 0x1f) === 5) return true;
      o += 2 + size;
    }
  }
  return false;
}

export class RtspProbe {
  readonly timings: Promise<RtspTimings>;
  #socket: Socket | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #closed = false;

  /** Opens `url` and plays it; `timings` resolves at the first IDR (or after `timeoutMs`). */
  constructor(url: string, options: { timeoutMs?: number; keepOpen?: boolean } = {}) {
    this.timings = this.#run(url, options.timeoutMs ?? 10_000, options.keepOpen ?? false);
  }

  async #run(url: string, timeoutMs: number, keepOpen: boolean): Promise<RtspTimings> {
    const u = new URL(url);
    const t0 = performance.now();
    const startedAtWall = Date.now();
    const rel = () => performance.now() - t0;
    const socket = connect({ host: u.hostname, port: Number(u.port || 554) });
    socket.setNoDelay(true);
    this.#socket = socket;
    let buf: Buffer = Buffer.alloc(0);
    let cseq = 0;
    const waiting = new Map<number, (r: Response) => void>();
    let firstRtp: number | null = null;
    let firstIdr: number | null = null;
    let onIdr: (() => void) | undefined;

    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (buf.length === 0) break;
        if (buf[0] === 0x24) {
          if (buf.length < 4) break;
          const len = buf.readUInt16BE(2);
          if (buf.length < 4 + len) break;
          const channel = buf[1];
          const pkt = buf.subarray(4, 4 + len);
          buf = buf.subarray(4 + len);
          if (channel === 0 && pkt.length > 12) {
            firstRtp ??= rel();
            const cc = (pkt[0] as number) & 0x0f;
            const ext = ((pkt[0] as number) & 0x10) !== 0;
            let off = 12 + cc * 4;
            if (ext && pkt.length >= off + 4) off += 4 + pkt.readUInt16BE(off + 2) * 4;
            if (firstIdr === null && startsIdr(pkt.subarray(off))) {
              firstIdr = rel();
              onIdr?.();
            }
          }
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const h of head.slice(1)) {
          const i = h.indexOf(':');
          if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
        }
        const len = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) break;
        const body = buf.subarray(end + 4, end + 4 + len).toString('latin1');
        buf = buf.subarray(end + 4 + len);
        const status = Number(/^RTSP\/1\.0 (\d+)/.exec(head[0] ?? '')?.[1] ?? 0);
        const seq = Number(headers.cseq ?? -1);
        waiting.get(seq)?.({ status, headers, body });
        waiting.delete(seq);
      }
    });

    const request = (method: string, target: string, extra: Record<string, string> = {}) =>
      new Promise<Response>((resolve, reject) => {
        cseq++;
        waiting.set(cseq, resolve);
        const lines = [`${method} ${target} RTSP/1.0`, `CSeq: ${cseq}`, 'User-Agent: wall-bench'];
        for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), timeoutMs);
        timer.unref();
      });
    const ok = (r: Response, what: string) => {
      if (r.status !== 200) throw new Error(`${what}: RTSP ${r.status}`);
      return r;
    };

    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    const connected = rel();
    ok(await request('OPTIONS', url), 'OPTIONS');
    const options = rel();
    const desc = ok(await request('DESCRIBE', url, { Accept: 'application/sdp' }), 'DESCRIBE');
    const describe = rel();
    const base = desc.headers['content-base'] ?? `${url}/`;
    const control = /^a=control:(.+)$/m.exec(desc.body.split(/m=video/)[1] ?? '')?.[1]?.trim() ?? '';
    const target = /^rtsp:\/\//.test(control) ? control : `${base.replace(/\/?$/, '/')}${control}`;
    const setupRes = ok(
      await request('SETUP', target, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' }),
      'SETUP',
    );
    const setup = rel();
    const session = (setupRes.headers.session ?? '').split(';')[0] ?? '';
    const idr = new Promise<void>((resolve) => {
      onIdr = resolve;
    });
    ok(await request('PLAY', base, { Session: session, Range: 'npt=0.000-' }), 'PLAY');
    const play = rel();
    if (firstIdr === null) {
      await Promise.race([idr, new Promise((r) => setTimeout(r, timeoutMs))]);
    }
    if (keepOpen && !this.#closed) {
      this.#keepAlive = setInterval(() => {
        request('GET_PARAMETER', base, { Session: session }).catch(() => undefined);
      }, 5000);
    } else {
      this.close();
    }
    return { connected, options, describe, setup, play, firstRtp, firstIdr, startedAtWall };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#socket?.destroy();
  }
}
