export {
  type PlaybackClaims,
  requireCamera,
  requireScope,
  type VerifyOptions,
  verifyStreamToken,
} from './verify.ts';
