export { cookieValue, originAllowed, refusal } from './handshake.ts';
export { attachRealtime, type Realtime, type RealtimeDeps } from './server.ts';
