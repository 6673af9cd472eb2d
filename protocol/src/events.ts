import type { Ack } from './errors.ts';
import type { Health } from './health.ts';

/**
 * socket.io event maps, shared by servers and the browser. Requests are imperative and carry an
 * ack; notifications are past tense. Later issues extend these maps (viewer signalling, walls).
 */
export interface GatewayServerToClientEvents {
  'system:hello': (info: { protocolVersion: number; service: 'gateway' }) => void;
}

export interface GatewayClientToServerEvents {
  'system:health': (ack: (res: Ack<Health>) => void) => void;
}

export interface MediaServerToClientEvents {
  'system:hello': (info: { protocolVersion: number; service: 'media-server' }) => void;
}

export interface MediaClientToServerEvents {
  'system:health': (ack: (res: Ack<Health>) => void) => void;
}
