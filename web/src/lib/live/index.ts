/**
 * Live video in the browser: the media node's viewer client (`viewer-client.ts`, loaded lazily —
 * mediasoup-client), the page-wide `ViewerPool`, the `LivePlayer` (grant → connect → play → first
 * frame → retry/backoff) and its React face (`LiveProvider`, `useLivePlayer`), used by wall tiles,
 * the map preview and the diagnostics page.
 */
export {
  type ClientErrorCode,
  isLiveViewerError,
  type LiveErrorCode,
  LiveViewerError,
  toLiveViewerError,
} from './errors';
export { GrantCache } from './grant-cache';
export { LiveProvider, useGrantCache, useViewerPool } from './live-context';
export {
  type GrantSource,
  INITIAL_VIEW,
  type LiveGrant,
  LivePlayer,
  type LivePlayerOptions,
  type LiveState,
  type LiveView,
  permanentCode,
} from './player';
export { peekStreamToken, tokenLooksExpired, type UnverifiedStreamClaims } from './token';
export { type UseLivePlayerOptions, useLivePlayer } from './use-live-player';
export type { LiveStream, LiveStreamState, LiveViewerEvent } from './viewer-client';
export { type ViewerFactory, ViewerPool } from './viewer-pool';
