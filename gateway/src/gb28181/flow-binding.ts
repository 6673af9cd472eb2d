import type { SipFlow } from './transport.ts';

/**
 * Which flows a registered device's requests (other than REGISTER) are accepted on (ADR 0009):
 *  - `strict` (default): the flow of its authenticated registration — the same transport, address
 *    and port, and over TCP the same connection;
 *  - `same-address`: any port (UDP) or connection (TCP) of that address and transport, for lower
 *    platforms that send from several ports. Requests to the device still go to the registered flow.
 */
export type FlowBinding = 'strict' | 'same-address';

export const FLOW_BINDINGS = ['strict', 'same-address'] as const satisfies readonly FlowBinding[];

/** Whether a request that came over `flow` may speak for the device registered on `registered`. */
export function flowMatches(registered: SipFlow, flow: SipFlow, binding: FlowBinding): boolean {
  if (registered.transport !== flow.transport || registered.address !== flow.address) return false;
  if (binding === 'same-address') return true;
  if (flow.transport === 'tcp') {
    return registered.connection !== undefined && flow.connection === registered.connection;
  }
  return registered.port === flow.port;
}

/** A key of a flow's transport, address and port (a TCP connection is one such flow). */
export function flowKey(flow: SipFlow): string {
  return `${flow.transport}|${flow.address}|${flow.port}`;
}
