export { listenForRevocations } from './revocations.ts';
export { Signalling, type SignallingEvents, type SignallingOptions } from './signalling.ts';
export type { ConsumerCloseReason, ConsumerInfo } from './viewer.ts';
