import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import * as gb from '@wall/protocol/gb28181';
import type { Logger } from '../lib/logger.ts';

/** How a message reached us, and how an answer (or a request to the same peer) goes back. */
export interface SipFlow {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  /** TCP: the connection the message came on (requests to the device reuse it). */
  connection?: Socket;
}

export interface SipTransportOptions {
  host: string;
  port: number;
  logger: Logger;
  onMessage: (msg: gb.SipMessage, flow: SipFlow) => void;
  /** Most TCP connections held at once (default 20 000); more are refused. */
  maxConnections?: number;
  /** A TCP connection silent this long is closed (default 10 min; devices keep alive every minute). */
  idleTimeoutMs?: number;
}

const key = (address: string, port: number) => `${address}:${port}`;

/**
 * SIP over UDP and TCP on one port (RFC 3261 §18). UDP: one datagram, one message. TCP: messages
 * framed by Content-Length (`SipStreamFramer`); a connection whose framing is lost is closed.
 * Requests to a device over TCP reuse the connection it registered on, else a new one is opened.
 */
export class SipTransport {
  readonly #opts: SipTransportOptions;
  readonly #log: Logger;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  readonly #connections = new Map<string, Socket>();
  #port = 0;
  #closed = false;

  constructor(options: SipTransportOptions) {
    this.#opts = options;
    this.#log = options.logger;
  }

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<void> {
    const { host, port } = this.#opts;
    const udp = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    this.#udp = udp;
    udp.on('message', (data, rinfo) =>
      this.#datagram(data, { transport: 'udp', address: rinfo.address, port: rinfo.port }),
    );
    udp.on('error', (err) => this.#log.warn({ err: err.message }, 'sip udp socket error'));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.#port = udp.address().port;
    const tcp = createServer((socket) => this.#accept(socket));
    tcp.maxConnections = this.#opts.maxConnections ?? 20_000;
    this.#tcp = tcp;
    tcp.on('error', (err) => this.#log.warn({ err: err.message }, 'sip tcp server error'));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.#port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    }).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
  }

  /** Sends one message; over TCP, on the flow's connection or one to its address. */
  async send(flow: SipFlow, msg: gb.SipMessage): Promise<void> {
    if (this.#closed) throw new Error('SIP transport is closed');
    const bytes = gb.serializeSipMessage(msg);
    if (flow.transport === 'udp') {
      const udp = this.#udp;
      if (!udp) throw new Error('SIP transport is not listening');
      await new Promise<void>((resolve, reject) =>
        udp.send(bytes, flow.port, flow.address, (err) => (err ? reject(err) : resolve())),
      );
      return;
    }
    let socket = flow.connection && !flow.connection.destroyed ? flow.connection : undefined;
    socket ??= this.#connections.get(key(flow.address, flow.port));
    if (!socket || socket.destroyed) socket = await this.#connect(flow.address, flow.port);
    flow.connection = socket;
    await new Promise<void>((resolve, reject) =>
      socket.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#connections.values()) s.destroy();
    this.#connections.clear();
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }

  #datagram(data: Buffer, flow: SipFlow): void {
    const parsed = gb.parseSipMessage(data);
    if (!parsed.ok) {
      if (parsed.error.code !== 'sip:empty') {
        this.#log.debug({ from: key(flow.address, flow.port), err: parsed.error }, 'sip datagram refused');
      }
      return;
    }
    this.#deliver(parsed.message, flow);
  }

  #deliver(msg: gb.SipMessage, flow: SipFlow): void {
    try {
      this.#opts.onMessage(msg, flow);
    } catch (err) {
      this.#log.error({ err }, 'sip message handler failed');
    }
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const port = socket.remotePort ?? 0;
    this.#track(socket, address, port);
  }

  #track(socket: Socket, address: string, port: number): void {
    const k = key(address, port);
    this.#connections.set(k, socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#opts.idleTimeoutMs ?? 600_000, () => socket.destroy());
    const framer = new gb.SipStreamFramer();
    const flow: SipFlow = { transport: 'tcp', address, port, connection: socket };
    socket.on('data', (chunk: Buffer) => {
      for (const r of framer.push(chunk)) {
        if (r.ok) this.#deliver(r.message, flow);
        else this.#log.debug({ from: k, err: r.error }, 'sip message refused');
      }
      if (framer.failed) {
        this.#log.warn({ from: k, err: framer.failed }, 'sip tcp framing lost: connection closed');
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.#log.debug({ from: k, err: err.message }, 'sip tcp connection error'));
    socket.on('close', () => {
      if (this.#connections.get(k) === socket) this.#connections.delete(k);
    });
  }

  #connect(address: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address, port, timeout: 5000 });
      const fail = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      const timedOut = () => fail(new Error(`TCP connect to ${key(address, port)} timed out`));
      socket.once('error', fail);
      socket.once('timeout', timedOut);
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.off('timeout', timedOut);
        this.#track(socket, address, port);
        resolve(socket);
      });
    });
  }
}
