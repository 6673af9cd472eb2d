export { cookieValue, originAllowed, refusal } from './handshake.ts';
export { Realtime, type RealtimeDeps, type RealtimeEvents, type RealtimeSocketInfo } from './server.ts';
