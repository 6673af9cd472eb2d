export {
  type CameraSearchInput,
  cameraSearchParams,
  GatewayClient,
  type GatewayClientOptions,
  type LiveGrant,
  liveGrantSchema,
} from './client';
export {
  errorBodyOfUnknown,
  errorFromBody,
  GatewayError,
  type GatewayErrorCode,
  isGatewayError,
} from './errors';
export { loadSession, serverGateway } from './server';
export { type Session, SessionProvider, useSession } from './session';
