import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from '../../lib/logger.ts';
import { ResyncingRtpFramer } from './framing.ts';
import type { PortPool } from './port-pool.ts';

/** Connections waiting to send their first RTP at once; beyond, new ones are refused. */
const MAX_CANDIDATES = 4;
/** A connection that sends no RTP this long is closed. */
const CANDIDATE_TIMEOUT_MS = 15_000;

export type GbTransport = 'tcp-passive' | 'udp';

export interface MediaReceiverEvents {
  /** One RTP packet (bytes) from the device. */
  rtp: [packet: Buffer];
  /** A sender's first RTP: a new device connection (TCP) or sender address (UDP) is now the source. */
  connected: [remote: string];
  /** The device's connection ended (TCP). */
  disconnected: [remote: string];
}

export interface MediaReceiverOptions {
  transport: GbTransport;
  listenIp: string;
  ports: PortPool;
  log: Logger;
  /**
   * A second sender is refused while the current one sent within this time (ms); after that it
   * takes over (a device that re-connects after a re-INVITE). Default 3000.
   */
  takeOverAfterMs?: number;
}

/**
 * The media port of one GB stream: TCP passive (we listen, the device connects; RFC 4571 framing)
 * or UDP. One sender at a time: the first connection (or address) that delivers RTP. While it
 * sends, others are refused and logged; once it went silent, a new one may take over (a device
 * reconnecting after a re-INVITE).
 */
export class MediaReceiver extends EventEmitter<MediaReceiverEvents> {
  readonly port: number;
  readonly transport: GbTransport;
  readonly #ports: PortPool;
  readonly #log: Logger;
  readonly #takeOverMs: number;
  readonly #server: Server | undefined;
  readonly #udp: UdpSocket | undefined;
  /** The device's connection (TCP): the one that sent RTP first. */
  #conn: Socket | undefined;
  /** Accepted connections that have not sent RTP yet. */
  readonly #candidates = new Set<Socket>();
  #framer = new ResyncingRtpFramer();
  #sender: string | undefined;
  #lastDataAt = 0;
  #refused = 0;
  #refusedLogged = new Set<string>();
  #closing: Promise<void> | undefined;

  private constructor(
    o: MediaReceiverOptions,
    port: number,
    socket: { server: Server } | { udp: UdpSocket },
  ) {
    super();
    this.port = port;
    this.transport = o.transport;
    this.#ports = o.ports;
    this.#log = o.log;
    this.#takeOverMs = o.takeOverAfterMs ?? 3000;
    if ('server' in socket) {
      this.#server = socket.server;
      socket.server.on('connection', (s) => this.#onConnection(s));
      socket.server.on('error', (err) => this.#log.warn({ err: err.message }, 'GB media listener error'));
    } else {
      this.#udp = socket.udp;
      socket.udp.on('message', (msg, rinfo) => this.#onDatagram(msg, `${rinfo.address}:${rinfo.port}`));
      socket.udp.on('error', (err) => this.#log.warn({ err: err.message }, 'GB media socket error'));
    }
  }

  /** Opens a port of the pool: listening (TCP passive) or bound (UDP). */
  static async open(o: MediaReceiverOptions): Promise<MediaReceiver> {
    if (o.transport === 'udp') {
      const { port, value } = await o.ports.acquire(
        (p) =>
          new Promise<UdpSocket>((resolve, reject) => {
            const udp = createSocket({ type: isIPv6(o.listenIp) ? 'udp6' : 'udp4', recvBufferSize: 1 << 21 });
            udp.once('error', (err) => {
              udp.close();
              reject(err);
            });
            udp.bind(p, o.listenIp, () => {
              udp.removeAllListeners('error');
              resolve(udp);
            });
          }),
      );
      return new MediaReceiver(o, port, { udp: value });
    }
    const { port, value } = await o.ports.acquire(
      (p) =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer({ noDelay: true });
          server.once('error', reject);
          server.listen({ port: p, host: o.listenIp, exclusive: true }, () => {
            server.off('error', reject);
            resolve(server);
          });
        }),
    );
    return new MediaReceiver(o, port, { server: value });
  }

  /** Connections or senders refused so far. */
  get refused(): number {
    return this.#refused;
  }

  get framerStats() {
    return this.#framer.stats;
  }

  #mayTakeOver(now: number): boolean {
    return this.#sender === undefined || now - this.#lastDataAt >= this.#takeOverMs;
  }

  #refuse(remote: string): void {
    this.#refused++;
    if (this.#refusedLogged.size < 16 && !this.#refusedLogged.has(remote)) {
      this.#refusedLogged.add(remote);
      this.#log.warn({ remote, current: this.#sender }, 'GB media: refused a second sender');
    }
  }

  #onConnection(sock: Socket): void {
    const remote = `${sock.remoteAddress}:${sock.remotePort}`;
    if (this.#closing || !this.#mayTakeOver(Date.now()) || this.#candidates.size >= MAX_CANDIDATES) {
      this.#refuse(remote);
      sock.destroy();
      return;
    }
    // A candidate until it delivers RTP: the first connection that does becomes the sender.
    this.#candidates.add(sock);
    sock.setNoDelay(true);
    this.#log.info({ remote, port: this.port }, 'GB media: connection accepted');
    const framer = new ResyncingRtpFramer();
    const quiet = setTimeout(() => {
      if (this.#candidates.has(sock)) sock.destroy();
    }, CANDIDATE_TIMEOUT_MS);
    quiet.unref();
    sock.on('data', (chunk: Buffer) => {
      if (sock !== this.#conn && !this.#candidates.has(sock)) return;
      const packets = framer.push(chunk);
      if (packets.length === 0) return;
      if (sock !== this.#conn) this.#promote(sock, remote, framer);
      this.#lastDataAt = Date.now();
      for (const packet of packets) this.emit('rtp', packet);
    });
    sock.on('error', (err) => this.#log.debug({ remote, err: err.message }, 'GB media connection error'));
    sock.on('close', () => {
      clearTimeout(quiet);
      this.#candidates.delete(sock);
      if (this.#conn !== sock) return;
      this.#conn = undefined;
      this.#sender = undefined;
      this.#log.info({ remote, ...framer.stats }, 'GB media: device disconnected');
      if (!this.#closing) this.emit('disconnected', remote);
    });
  }

  #promote(sock: Socket, remote: string, framer: ResyncingRtpFramer): void {
    const previous = this.#sender;
    this.#conn?.destroy();
    for (const other of this.#candidates) if (other !== sock) other.destroy();
    this.#candidates.clear();
    this.#conn = sock;
    this.#sender = remote;
    this.#framer = framer;
    this.#log.info({ remote, previous, port: this.port }, 'GB media: device sending');
    this.emit('connected', remote);
  }

  #onDatagram(msg: Buffer, remote: string): void {
    if (this.#closing) return;
    const now = Date.now();
    if (remote !== this.#sender) {
      if (!this.#mayTakeOver(now)) {
        this.#refuse(remote);
        return;
      }
      if (this.#sender)
        this.#log.info({ remote, previous: this.#sender }, 'GB media: a new sender replaces a silent one');
      else this.#log.info({ remote, port: this.port }, 'GB media: first datagram');
      this.#sender = remote;
      this.emit('connected', remote);
    }
    this.#lastDataAt = now;
    this.emit('rtp', msg);
  }

  /** Closes the port (and the device's connection) and returns it to the pool. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#conn?.destroy();
      this.#conn = undefined;
      for (const c of this.#candidates) c.destroy();
      this.#candidates.clear();
      const done = new Promise<void>((resolve) => {
        if (this.#server) this.#server.close(() => resolve());
        else if (this.#udp) this.#udp.close(() => resolve());
        else resolve();
      });
      this.#closing = done.then(() => this.#ports.release(this.port));
    }
    return this.#closing;
  }
}
