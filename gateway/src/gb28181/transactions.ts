import * as gb from '@wall/protocol/gb28181';
import type { Logger } from '../lib/logger.ts';
import { topBranch } from './sip-util.ts';
import type { SipFlow } from './transport.ts';

/** RFC 3261 timer values (ms). */
export const T1_MS = 500;
export const T2_MS = 4000;
/** Timer B / F: 64 × T1. */
export const TRANSACTION_TIMEOUT_MS = 64 * T1_MS;

/** No final response in time (Timer B/F, or the caller's shorter limit). */
export class SipTimeoutError extends Error {
  constructor(method: string, ms: number) {
    super(`no final response to ${method} within ${ms} ms`);
    this.name = 'SipTimeoutError';
  }
}

type Send = (flow: SipFlow, msg: gb.SipMessage) => Promise<void>;

interface ClientTxn {
  method: string;
  request: gb.SipRequest;
  flow: SipFlow;
  provisional: boolean;
  retransmit: NodeJS.Timeout | undefined;
  timeout: NodeJS.Timeout;
  resolve: (res: gb.SipResponse) => void;
  reject: (err: Error) => void;
}

interface ServerEntry {
  response: gb.SipResponse | undefined;
  flow: SipFlow;
  expires: number;
}

export interface RequestOptions {
  /** Reject after this long without a final response (default 32 s). */
  timeoutMs?: number;
}

/**
 * Client and server transactions (RFC 3261 §17), as much as GB signalling needs:
 *  - client: MESSAGE/BYE/INVITE retransmitted over UDP (T1 = 500 ms doubling; non-INVITE capped
 *    at T2 = 4 s, INVITE until a provisional answer), none over TCP; 32 s timeout; the ACK of a
 *    non-2xx INVITE answer is sent here (same branch);
 *  - server: a retransmitted request (same branch, method and peer) gets the response already sent,
 *    and is not handed to the application again. Entries live 32 s.
 */
export class SipTransactions {
  readonly #send: Send;
  readonly #log: Logger;
  readonly #client = new Map<string, ClientTxn>();
  readonly #server = new Map<string, ServerEntry>();
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(send: Send, logger: Logger) {
    this.#send = send;
    this.#log = logger;
    this.#sweep = setInterval(() => this.#sweepServer(), 4000);
    this.#sweep.unref();
  }

  /** Client transactions in flight (for tests and metrics). */
  get pending(): number {
    return this.#client.size;
  }

  /** Sends `request` and resolves with its final response (1xx only stop INVITE retransmission). */
  request(flow: SipFlow, request: gb.SipRequest, options: RequestOptions = {}): Promise<gb.SipResponse> {
    if (this.#closed) return Promise.reject(new Error('SIP transactions are closed'));
    const branch = topBranch(request);
    if (!branch) return Promise.reject(new Error('a request needs a Via branch'));
    const method = request.method;
    const k = `${branch}|${method}`;
    const timeoutMs = options.timeoutMs ?? TRANSACTION_TIMEOUT_MS;
    return new Promise<gb.SipResponse>((resolve, reject) => {
      const txn: ClientTxn = {
        method,
        request,
        flow,
        provisional: false,
        retransmit: undefined,
        timeout: setTimeout(() => {
          this.#end(k);
          reject(new SipTimeoutError(method, timeoutMs));
        }, timeoutMs),
        resolve,
        reject,
      };
      this.#client.set(k, txn);
      this.#send(flow, request).catch((err: unknown) => {
        this.#end(k);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
      if (flow.transport === 'udp') this.#schedule(k, txn, T1_MS);
    });
  }

  /** Routes a response to its client transaction; false when none matches (a stray or late one). */
  onResponse(res: gb.SipResponse): boolean {
    const branch = topBranch(res);
    const cseq = gb.parseCSeq(gb.getHeader(res, 'CSeq') ?? '');
    if (!branch || !cseq.ok) return false;
    const k = `${branch}|${cseq.value.method}`;
    const txn = this.#client.get(k);
    if (!txn) return false;
    if (res.status < 200) {
      if (!txn.provisional) {
        txn.provisional = true;
        if (txn.method === 'INVITE' && txn.retransmit) {
          clearTimeout(txn.retransmit);
          txn.retransmit = undefined;
        }
      }
      return true;
    }
    this.#end(k);
    if (txn.method === 'INVITE' && res.status >= 300) this.#ackFailure(txn, res);
    txn.resolve(res);
    return true;
  }

  /**
   * Server side: true when `req` retransmits a request already seen from this peer (the response
   * sent for it, if any, is sent again); false for a new request (now recorded).
   */
  seen(req: gb.SipRequest, flow: SipFlow): boolean {
    if (flow.transport !== 'udp' || req.method === 'ACK') return false;
    const k = this.#serverKey(req, flow);
    const entry = this.#server.get(k);
    if (entry) {
      if (entry.response) this.#send(flow, entry.response).catch(() => undefined);
      return true;
    }
    this.#server.set(k, { response: undefined, flow, expires: Date.now() + TRANSACTION_TIMEOUT_MS });
    return false;
  }

  /** Sends the response of a server transaction (kept for retransmitted requests over UDP). */
  async respond(req: gb.SipRequest, flow: SipFlow, res: gb.SipResponse): Promise<void> {
    if (flow.transport === 'udp' && res.status >= 200) {
      const entry = this.#server.get(this.#serverKey(req, flow));
      if (entry) entry.response = res;
    }
    await this.#send(flow, res);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const [k, txn] of this.#client) {
      this.#end(k);
      txn.reject(new Error('SIP transactions closed'));
    }
    this.#server.clear();
  }

  #schedule(k: string, txn: ClientTxn, interval: number): void {
    txn.retransmit = setTimeout(() => {
      if (this.#client.get(k) !== txn) return;
      this.#send(txn.flow, txn.request).catch((err: unknown) =>
        this.#log.debug({ err }, 'sip retransmission not sent'),
      );
      if (txn.method === 'INVITE') {
        if (!txn.provisional) this.#schedule(k, txn, interval * 2);
      } else {
        this.#schedule(k, txn, txn.provisional ? T2_MS : Math.min(interval * 2, T2_MS));
      }
    }, interval);
  }

  #end(k: string): void {
    const txn = this.#client.get(k);
    if (!txn) return;
    this.#client.delete(k);
    clearTimeout(txn.timeout);
    if (txn.retransmit) clearTimeout(txn.retransmit);
  }

  /** ACK of a 3xx–6xx answer to INVITE: same branch, Request-URI and From; To from the answer. */
  #ackFailure(txn: ClientTxn, res: gb.SipResponse): void {
    const req = txn.request;
    const pick = (name: string) => req.headers.filter((h) => h.name === name);
    const cseq = gb.parseCSeq(gb.getHeader(req, 'CSeq') ?? '');
    const ack: gb.SipRequest = {
      kind: 'request',
      method: 'ACK',
      uri: req.uri,
      headers: [
        ...pick('Via').slice(0, 1),
        ...pick('From'),
        { name: 'To', value: gb.getHeader(res, 'To') ?? gb.getHeader(req, 'To') ?? '' },
        ...pick('Call-ID'),
        { name: 'CSeq', value: `${cseq.ok ? cseq.value.seq : 1} ACK` },
        { name: 'Max-Forwards', value: '70' },
      ],
      body: new Uint8Array(0),
    };
    this.#send(txn.flow, ack).catch(() => undefined);
  }

  #serverKey(req: gb.SipRequest, flow: SipFlow): string {
    const id = topBranch(req) ?? `${gb.getHeader(req, 'Call-ID')}|${gb.getHeader(req, 'CSeq')}`;
    return `${id}|${req.method}|${flow.address}:${flow.port}`;
  }

  #sweepServer(): void {
    const now = Date.now();
    for (const [k, e] of this.#server) if (e.expires < now) this.#server.delete(k);
  }
}
