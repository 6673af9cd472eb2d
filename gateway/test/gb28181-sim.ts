import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import * as gb from '@wall/protocol/gb28181';

export { freeSipPort, GbSim, type SimEvent } from '../../infra/gb-sim/harness.ts';

/**
 * Test helpers for GB/T 28181: the repository's device simulator as a child process (its JSON
 * event lines on stdout, commands on stdin), and a raw SIP user agent for exact protocol
 * assertions (UDP or TCP, from any loopback address).
 */

export interface RawUaOptions {
  /** `udp` (default) or `tcp` (one connection, opened by `open()`). */
  transport?: 'udp' | 'tcp';
  /** Local address (default 127.0.0.1; any of 127.0.0.0/8 works on Linux without set-up). */
  bind?: string;
}

/** A bare SIP UA on a UDP socket or a TCP connection: send what the test builds, read what comes back. */
export class RawUa {
  readonly transport: 'udp' | 'tcp';
  readonly address: string;
  readonly inbox: gb.SipMessage[] = [];
  readonly #waiters: { match: (m: gb.SipMessage) => boolean; resolve: (m: gb.SipMessage) => void }[] = [];
  #udp: UdpSocket | undefined;
  #tcp: TcpSocket | undefined;
  port = 0;

  constructor(
    readonly server: { host: string; port: number },
    options: RawUaOptions = {},
  ) {
    this.transport = options.transport ?? 'udp';
    this.address = options.bind ?? '127.0.0.1';
  }

  async open(): Promise<void> {
    const received = (r: gb.SipParseResult) => {
      if (!r.ok) return;
      const w = this.#waiters.find((x) => x.match(r.message));
      if (w) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(r.message);
      } else this.inbox.push(r.message);
    };
    if (this.transport === 'udp') {
      const udp = createSocket('udp4');
      this.#udp = udp;
      udp.on('message', (data) => received(gb.parseSipMessage(data)));
      await new Promise<void>((r) => udp.bind(0, this.address, () => r()));
      this.port = udp.address().port;
      return;
    }
    const framer = new gb.SipStreamFramer();
    const tcp = connect({ host: this.server.host, port: this.server.port, localAddress: this.address });
    this.#tcp = tcp;
    tcp.on('data', (chunk: Buffer) => {
      for (const r of framer.push(chunk)) received(r);
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.once('connect', () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    tcp.on('error', () => undefined);
    this.port = tcp.localPort ?? 0;
  }

  /** A top Via for a request of ours (new branch, `rport`). */
  via(): string {
    return `SIP/2.0/${this.transport.toUpperCase()} ${this.address}:${this.port};rport;branch=z9hG4bK${rnd()}`;
  }

  send(msg: gb.SipMessage): void {
    const bytes = gb.serializeSipMessage(msg);
    if (this.#tcp) this.#tcp.write(bytes);
    else this.#udp?.send(bytes, this.server.port, this.server.host);
  }

  next(match: (m: gb.SipMessage) => boolean, timeoutMs = 5000): Promise<gb.SipMessage> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as gb.SipMessage);
    return new Promise((resolve, reject) => {
      const w = { match, resolve };
      this.#waiters.push(w);
      setTimeout(() => {
        const k = this.#waiters.indexOf(w);
        if (k >= 0) {
          this.#waiters.splice(k, 1);
          reject(new Error('no SIP message in time'));
        }
      }, timeoutMs);
    });
  }

  /** Sends a request and waits for its final response (same Call-ID and CSeq). */
  async request(req: gb.SipRequest, timeoutMs = 5000): Promise<gb.SipResponse> {
    this.send(req);
    const callId = gb.getHeader(req, 'Call-ID');
    const cseq = gb.getHeader(req, 'CSeq');
    return (await this.next(
      (m) =>
        m.kind === 'response' &&
        m.status >= 200 &&
        gb.getHeader(m, 'Call-ID') === callId &&
        gb.getHeader(m, 'CSeq') === cseq,
      timeoutMs,
    )) as gb.SipResponse;
  }

  /** Requests the server sent us so far (queries, INVITEs), taken out of the inbox or not. */
  requestsReceived(method: string): gb.SipRequest[] {
    return this.inbox.filter((m): m is gb.SipRequest => m.kind === 'request' && m.method === method);
  }

  close(): void {
    this.#udp?.close();
    this.#tcp?.destroy();
  }
}

export const rnd = (n = 6) => randomBytes(n).toString('hex');

/** A REGISTER from `deviceId` over the raw UA (headers as GB devices write them). */
export function registerRequest(
  ua: RawUa,
  o: {
    deviceId: string;
    domain: string;
    serverId: string;
    callId: string;
    cseq: number;
    expires?: number | null;
    authorization?: string;
  },
): gb.SipRequest {
  const headers: gb.SipHeader[] = [
    { name: 'Via', value: ua.via() },
    { name: 'From', value: `<sip:${o.deviceId}@${o.domain}>;tag=${rnd(4)}` },
    { name: 'To', value: `<sip:${o.deviceId}@${o.domain}>` },
    { name: 'Call-ID', value: o.callId },
    { name: 'CSeq', value: `${o.cseq} REGISTER` },
    { name: 'Contact', value: `<sip:${o.deviceId}@${ua.address}:${ua.port}>` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'User-Agent', value: 'raw-test-ua' },
  ];
  if (o.expires !== null) headers.push({ name: 'Expires', value: String(o.expires ?? 3600) });
  if (o.authorization) headers.push({ name: 'Authorization', value: o.authorization });
  return {
    kind: 'request',
    method: 'REGISTER',
    uri: `sip:${o.serverId}@${o.domain}`,
    headers,
    body: new Uint8Array(0),
  };
}

/**
 * The REGISTER answering `challenge` (a 401): digest over `digestUri` (default the Request-URI)
 * with nonce count `nc` (default 1).
 */
export function authorizedRegister(
  ua: RawUa,
  challenge: gb.SipResponse,
  o: {
    deviceId: string;
    password: string;
    domain: string;
    serverId: string;
    callId: string;
    cseq: number;
    expires?: number;
    nc?: number;
    digestUri?: string;
  },
): gb.SipRequest {
  const parsed = gb.parseDigestChallenge(gb.getHeader(challenge, 'WWW-Authenticate') ?? '');
  if (!parsed.ok) throw new Error(`no digest challenge in the ${challenge.status}`);
  const creds = gb.answerDigestChallenge({
    challenge: parsed.value,
    username: o.deviceId,
    password: o.password,
    method: 'REGISTER',
    uri: o.digestUri ?? `sip:${o.serverId}@${o.domain}`,
    cnonce: rnd(4),
    ...(o.nc !== undefined ? { nc: o.nc } : {}),
  });
  return registerRequest(ua, { ...o, authorization: gb.formatDigestCredentials(creds) });
}

/**
 * A full registration (401 → digest → final) over the raw UA; returns both responses and the
 * REGISTER that carried the credentials.
 */
export async function digestRegister(
  ua: RawUa,
  o: {
    deviceId: string;
    password: string;
    domain: string;
    serverId: string;
    expires?: number;
    callId?: string;
  },
): Promise<{ challenge: gb.SipResponse; final: gb.SipResponse; authorized?: gb.SipRequest }> {
  const callId = o.callId ?? `${rnd()}@raw`;
  const challenge = await ua.request(registerRequest(ua, { ...o, callId, cseq: 1 }));
  if (challenge.status !== 401) return { challenge, final: challenge };
  const authorized = authorizedRegister(ua, challenge, { ...o, callId, cseq: 2 });
  const final = await ua.request(authorized);
  return { challenge, final, authorized };
}

/**
 * A media node's environment in GB tests: WebRTC and GB media ports from `base` (a block of 100 of
 * its own), its fixed WebRTC server port (media-server/test/media-node.ts), the idle stop.
 */
export function gbMediaEnv(base: number, webRtcPort: number, idleMs: number): Record<string, string> {
  return {
    RTC_MIN_PORT: String(base),
    RTC_MAX_PORT: String(base + 49),
    WEBRTC_PORT: String(webRtcPort),
    MEDIA_GB_PORT_MIN: String(base + 70),
    MEDIA_GB_PORT_MAX: String(base + 99),
    INGEST_IDLE_TIMEOUT_MS: String(idleMs),
  };
}

/** The gateway's GB domain and platform ID in GB tests. */
export const GB_TEST_DOMAIN = '3204000000';
export const GB_TEST_SERVER_ID = '32040000002000000001';

/** The gateway's environment in GB tests (before `gatewayEnvSchema.parse`): keys, the SIP server. */
export function gbGatewayEnv(o: {
  jwk: { x?: string | undefined; d?: string | undefined };
  controlSecret: string;
  sourceKey: string;
  sipPort: number;
}): Record<string, string | undefined> {
  return {
    STREAM_TOKEN_PUBLIC_KEY: o.jwk.x,
    STREAM_TOKEN_PRIVATE_KEY: o.jwk.d,
    MEDIA_CONTROL_SECRET: o.controlSecret,
    SOURCE_SECRET_KEY: o.sourceKey,
    GB_SIP_ENABLED: 'true',
    GB_SIP_PORT: String(o.sipPort),
    GB_DOMAIN: GB_TEST_DOMAIN,
    GB_ID: GB_TEST_SERVER_ID,
  };
}
