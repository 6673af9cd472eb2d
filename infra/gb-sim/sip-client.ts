import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import * as gb from '@wall/protocol/gb28181';

/** The simulator's SIP endpoint: one UDP socket or one TCP connection to the server. */
export interface SipClientOptions {
  transport: 'udp' | 'tcp';
  server: { host: string; port: number };
  /** Local address to bind (and to write in Via/Contact). */
  bind: string;
  onRequest: (req: gb.SipRequest) => void;
  onClosed?: () => void;
}

const T1 = 500;
const T2 = 4000;

export const token = (n = 8) => randomBytes(n).toString('hex');
export const branch = () => `z9hG4bK${token(10)}`;

interface Pending {
  resolve: (r: gb.SipResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  retransmit?: NodeJS.Timeout;
  invite: boolean;
}

export class SipClient {
  readonly #o: SipClientOptions;
  #udp: UdpSocket | undefined;
  #tcp: Socket | undefined;
  #port = 0;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(options: SipClientOptions) {
    this.#o = options;
  }

  get localIp(): string {
    return this.#o.bind;
  }

  get localPort(): number {
    return this.#port;
  }

  get transport(): 'udp' | 'tcp' {
    return this.#o.transport;
  }

  async open(): Promise<void> {
    if (this.#o.transport === 'udp') {
      const udp = createSocket('udp4');
      this.#udp = udp;
      udp.on('message', (data) => this.#parsed(gb.parseSipMessage(data)));
      udp.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(0, this.#o.bind, () => resolve());
      });
      this.#port = udp.address().port;
      return;
    }
    const framer = new gb.SipStreamFramer();
    const socket = connect({
      host: this.#o.server.host,
      port: this.#o.server.port,
      localAddress: this.#o.bind,
    });
    this.#tcp = socket;
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.#port = socket.localPort ?? 0;
    socket.on('data', (chunk: Buffer) => {
      for (const r of framer.push(chunk)) this.#parsed(r);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!this.#closed) this.#o.onClosed?.();
    });
  }

  /** `Via` for a request of ours. */
  via(b = branch()): string {
    return `SIP/2.0/${this.#o.transport.toUpperCase()} ${this.#o.bind}:${this.#port};rport;branch=${b}`;
  }

  async send(msg: gb.SipMessage): Promise<void> {
    const bytes = gb.serializeSipMessage(msg);
    if (this.#closed) return;
    if (this.#udp) {
      const udp = this.#udp;
      await new Promise<void>((resolve) =>
        udp.send(bytes, this.#o.server.port, this.#o.server.host, () => resolve()),
      );
    } else if (this.#tcp && !this.#tcp.destroyed) {
      const tcp = this.#tcp;
      await new Promise<void>((resolve) => tcp.write(bytes, () => resolve()));
    }
  }

  /** A request and its final response (retransmitted over UDP: T1 doubling, 32 s timeout). */
  request(req: gb.SipRequest, timeoutMs = 32_000): Promise<gb.SipResponse> {
    const viaText = gb.getHeaderValues(req, 'Via')[0] ?? '';
    const via = gb.parseVia(viaText);
    const cseq = gb.parseCSeq(gb.getHeader(req, 'CSeq') ?? '');
    if (!via.ok || !via.value.branch || !cseq.ok) return Promise.reject(new Error('bad request'));
    const k = `${via.value.branch}|${cseq.value.method}`;
    return new Promise((resolve, reject) => {
      const p: Pending = {
        resolve,
        reject,
        invite: req.method === 'INVITE',
        timer: setTimeout(() => {
          this.#end(k);
          reject(new Error(`${req.method} timed out`));
        }, timeoutMs),
      };
      this.#pending.set(k, p);
      void this.send(req);
      if (this.#udp) {
        const again = (interval: number) => {
          p.retransmit = setTimeout(() => {
            if (this.#pending.get(k) !== p) return;
            void this.send(req);
            again(Math.min(interval * 2, T2));
          }, interval);
        };
        again(T1);
      }
    });
  }

  /** A response to a request from the server. */
  respond(req: gb.SipRequest, status: number, options: gb.SipResponseOptions = {}): Promise<void> {
    return this.send(gb.buildSipResponse(req, status, options));
  }

  close(): void {
    this.#closed = true;
    for (const [k, p] of this.#pending) {
      this.#end(k);
      p.reject(new Error('closed'));
    }
    this.#udp?.close();
    this.#tcp?.destroy();
  }

  #end(k: string): void {
    const p = this.#pending.get(k);
    if (!p) return;
    this.#pending.delete(k);
    clearTimeout(p.timer);
    if (p.retransmit) clearTimeout(p.retransmit);
  }

  #parsed(r: gb.SipParseResult): void {
    if (!r.ok) return;
    const msg = r.message;
    if (msg.kind === 'request') {
      this.#o.onRequest(msg);
      return;
    }
    const viaText = gb.getHeaderValues(msg, 'Via')[0] ?? '';
    const via = gb.parseVia(viaText);
    const cseq = gb.parseCSeq(gb.getHeader(msg, 'CSeq') ?? '');
    if (!via.ok || !cseq.ok) return;
    const k = `${via.value.branch}|${cseq.value.method}`;
    const p = this.#pending.get(k);
    if (!p) return;
    if (msg.status < 200) {
      if (p.invite && p.retransmit) clearTimeout(p.retransmit);
      return;
    }
    this.#end(k);
    p.resolve(msg);
  }
}
