import * as gb from '@wall/protocol/gb28181';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SipTimeoutError, SipTransactions } from './transactions.ts';
import type { SipFlow } from './transport.ts';

const udp: SipFlow = { transport: 'udp', address: '127.0.0.1', port: 5070 };
const tcp: SipFlow = { transport: 'tcp', address: '127.0.0.1', port: 5071 };

function request(method: string, branch: string): gb.SipRequest {
  return {
    kind: 'request',
    method,
    uri: 'sip:34020000001320000001@127.0.0.1:5070',
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:5060;rport;branch=${branch}` },
      { name: 'From', value: '<sip:32040000002000000001@3204000000>;tag=a' },
      { name: 'To', value: '<sip:34020000001320000001@3402000000>' },
      { name: 'Call-ID', value: `call-${branch}` },
      { name: 'CSeq', value: `1 ${method}` },
    ],
    body: new Uint8Array(0),
  };
}

describe('SIP transactions (RFC 3261 §17 timers)', () => {
  let sent: { at: number; msg: gb.SipMessage; flow: SipFlow }[];
  let tx: SipTransactions;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    tx = new SipTransactions(
      async (flow, msg) => {
        sent.push({ at: Date.now(), msg, flow });
      },
      pino({ level: 'silent' }),
    );
  });
  afterEach(() => {
    tx.close();
    vi.useRealTimers();
  });
  const times = () => sent.map((s) => s.at - (sent[0]?.at ?? 0));

  it('retransmits a MESSAGE over UDP at T1 doubling up to T2 and gives up after 64·T1', async () => {
    const p = tx.request(udp, request('MESSAGE', 'z9hG4bKm1'));
    const failed = expect(p).rejects.toBeInstanceOf(SipTimeoutError);
    await vi.advanceTimersByTimeAsync(32_000);
    await failed;
    expect(times()).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
    expect(tx.pending).toBe(0);
  });

  it('retransmits an INVITE until a provisional answer, and ACKs a failure on the same branch', async () => {
    const req = request('INVITE', 'z9hG4bKi1');
    const p = tx.request(udp, req, { timeoutMs: 5000 });
    await vi.advanceTimersByTimeAsync(1600);
    expect(times()).toEqual([0, 500, 1500]);
    expect(tx.onResponse(gb.buildSipResponse(req, 100))).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(3);
    expect(tx.onResponse(gb.buildSipResponse(req, 486, { toTag: 'b' }))).toBe(true);
    expect((await p).status).toBe(486);
    const ack = sent[3]?.msg as gb.SipRequest;
    expect(ack.method).toBe('ACK');
    expect(gb.getHeader(ack, 'CSeq')).toBe('1 ACK');
    expect(gb.getHeader(ack, 'Via')).toBe(gb.getHeader(req, 'Via'));
    expect(gb.getHeader(ack, 'To')).toBe('<sip:34020000001320000001@3402000000>;tag=b');
  });

  it('never retransmits over TCP', async () => {
    const p = tx.request(tcp, request('MESSAGE', 'z9hG4bKt1'), { timeoutMs: 10_000 });
    const failed = expect(p).rejects.toBeInstanceOf(SipTimeoutError);
    await vi.advanceTimersByTimeAsync(10_000);
    await failed;
    expect(sent).toHaveLength(1);
  });

  it('answers a retransmitted request with the response already sent, once the first has one', async () => {
    const req = request('MESSAGE', 'z9hG4bKs1');
    expect(tx.seen(req, udp)).toBe(false);
    expect(tx.seen(req, udp)).toBe(true); // still being handled: dropped
    expect(sent).toHaveLength(0);
    await tx.respond(req, udp, gb.buildSipResponse(req, 200, { toTag: 'x' }));
    expect(tx.seen(req, udp)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => (s.msg as gb.SipResponse).status)).toEqual([200, 200]);
    // The same branch from another peer is another transaction.
    expect(tx.seen(req, { ...udp, port: 5099 })).toBe(false);
  });
});
