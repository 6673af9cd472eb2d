import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type FlowBinding, flowMatches } from './flow-binding.ts';
import type { SipFlow } from './transport.ts';

// Connections are compared by identity only: plain objects stand in for sockets.
const conn = (name: string) => ({ name }) as unknown as Socket;
const registeredConn = conn('registered');
const udp: SipFlow = { transport: 'udp', address: '192.0.2.10', port: 5060 };
const tcp: SipFlow = { transport: 'tcp', address: '192.0.2.10', port: 40000, connection: registeredConn };

describe('flowMatches', () => {
  it.each<[string, SipFlow, SipFlow, Record<FlowBinding, boolean>]>([
    ['UDP: the registered flow', udp, { ...udp }, { strict: true, 'same-address': true }],
    ['UDP: another port', udp, { ...udp, port: 5061 }, { strict: false, 'same-address': true }],
    [
      'UDP: another address',
      udp,
      { ...udp, address: '192.0.2.66' },
      { strict: false, 'same-address': false },
    ],
    ['UDP registration, TCP request', udp, { ...tcp, port: 5060 }, { strict: false, 'same-address': false }],
    ['TCP: the registered connection', tcp, { ...tcp }, { strict: true, 'same-address': true }],
    [
      'TCP: another connection from the same port (reconnected)',
      tcp,
      { ...tcp, connection: conn('other') },
      { strict: false, 'same-address': true },
    ],
    [
      'TCP: another connection from another port',
      tcp,
      { ...tcp, port: 40001, connection: conn('other') },
      { strict: false, 'same-address': true },
    ],
    [
      'TCP: another address',
      tcp,
      { ...tcp, address: '192.0.2.66', connection: conn('other') },
      { strict: false, 'same-address': false },
    ],
    [
      'TCP registration without a connection',
      { ...tcp, connection: undefined },
      { ...tcp, connection: undefined },
      { strict: false, 'same-address': true },
    ],
    ['TCP registration, UDP request', tcp, { ...udp, port: 40000 }, { strict: false, 'same-address': false }],
  ])('%s', (_name, registered, flow, expected) => {
    expect({
      strict: flowMatches(registered, flow, 'strict'),
      'same-address': flowMatches(registered, flow, 'same-address'),
    }).toEqual(expected);
  });
});
