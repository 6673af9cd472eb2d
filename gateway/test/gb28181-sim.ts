import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import * as gb from '@wall/protocol/gb28181';

export { freeSipPort, GbSim, type SimEvent } from '../../infra/gb-sim/harness.ts';

/**
 * Test helpers for GB/T 28181: the repository's device simulator as a child process (its JSON
 * event lines on stdout, commands on stdin), and a raw SIP user agent on a UDP socket for exact
 * protocol assertions.
 */

/** A bare SIP UA on UDP: send what the test builds, read what comes back. */
export class RawUa {
  readonly #socket: Socket = createSocket('udp4');
  readonly inbox: gb.SipMessage[] = [];
  readonly #waiters: { match: (m: gb.SipMessage) => boolean; resolve: (m: gb.SipMessage) => void }[] = [];
  port = 0;

  constructor(readonly server: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.#socket.on('message', (data) => {
      const r = gb.parseSipMessage(data);
      if (!r.ok) return;
      const w = this.#waiters.find((x) => x.match(r.message));
      if (w) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(r.message);
      } else this.inbox.push(r.message);
    });
    await new Promise<void>((r) => this.#socket.bind(0, '127.0.0.1', () => r()));
    this.port = this.#socket.address().port;
  }

  send(msg: gb.SipMessage): void {
    this.#socket.send(gb.serializeSipMessage(msg), this.server.port, this.server.host);
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

  close(): void {
    this.#socket.close();
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
    { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:${ua.port};rport;branch=z9hG4bK${rnd()}` },
    { name: 'From', value: `<sip:${o.deviceId}@${o.domain}>;tag=${rnd(4)}` },
    { name: 'To', value: `<sip:${o.deviceId}@${o.domain}>` },
    { name: 'Call-ID', value: o.callId },
    { name: 'CSeq', value: `${o.cseq} REGISTER` },
    { name: 'Contact', value: `<sip:${o.deviceId}@127.0.0.1:${ua.port}>` },
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

/** A full registration (401 → digest → final) over the raw UA; returns both responses. */
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
): Promise<{ challenge: gb.SipResponse; final: gb.SipResponse }> {
  const callId = o.callId ?? `${rnd()}@raw`;
  const challenge = await ua.request(registerRequest(ua, { ...o, callId, cseq: 1 }));
  const parsed = gb.parseDigestChallenge(gb.getHeader(challenge, 'WWW-Authenticate') ?? '');
  if (!parsed.ok) return { challenge, final: challenge };
  const creds = gb.answerDigestChallenge({
    challenge: parsed.value,
    username: o.deviceId,
    password: o.password,
    method: 'REGISTER',
    uri: `sip:${o.serverId}@${o.domain}`,
    cnonce: rnd(4),
  });
  const final = await ua.request(
    registerRequest(ua, { ...o, callId, cseq: 2, authorization: gb.formatDigestCredentials(creds) }),
  );
  return { challenge, final };
}
