import type { StreamTokenClaims } from '@wall/protocol';
import { AppError } from '../lib/app-error.ts';

/** The token format and its verification are `@wall/stream-token`'s (the gateway encodes with it). */
export { type VerifyOptions, verifyStreamToken } from '@wall/stream-token';

/** Refuses a token that names another camera than the one asked for. */
export function requireCamera(claims: StreamTokenClaims, cameraId: string): void {
  if (claims.cam !== cameraId) throw new AppError('token:camera', 'the stream token is for another camera');
}

/** A playback token's claims: its recorded range `[fromMs, toMs)` is present. */
export type PlaybackClaims = StreamTokenClaims & { rng: [number, number] };

/**
 * The one place that tells live and playback tokens apart (`rng`): live routes (signalling,
 * snapshots) take `scope: 'live'`, the recording routes `scope: 'playback'`; the other kind is
 * refused with `token:scope`.
 */
export function requireScope(claims: StreamTokenClaims, scope: 'live'): StreamTokenClaims;
export function requireScope(claims: StreamTokenClaims, scope: 'playback'): PlaybackClaims;
export function requireScope(claims: StreamTokenClaims, scope: 'live' | 'playback'): StreamTokenClaims {
  if (scope === 'live' && claims.rng)
    throw new AppError('token:scope', 'a playback token does not open live video');
  if (scope === 'playback' && !claims.rng)
    throw new AppError('token:scope', 'a live stream token does not open recordings');
  return claims;
}
