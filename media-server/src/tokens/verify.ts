import type { StreamTokenClaims } from '@wall/protocol';
import { AppError } from '../lib/app-error.ts';

/** The token format and its verification are `@wall/stream-token`'s (the gateway encodes with it). */
export { type VerifyOptions, verifyStreamToken } from '@wall/stream-token';

/** Refuses a token that names another camera than the one asked for. */
export function requireCamera(claims: StreamTokenClaims, cameraId: string): void {
  if (claims.cam !== cameraId) throw new AppError('token:camera', 'the stream token is for another camera');
}
