import type { FastifyInstance } from 'fastify';
import { registerCameraRoutes } from './cameras.ts';
import type { RegistryDeps } from './deps.ts';
import { createSourceUrlResolver } from './source-url.ts';
import { registerSourceRoutes } from './sources.ts';

export type { SourceStreamRow } from '../cameras/facts.ts';
export type { RegistryChange, RegistryDeps } from './deps.ts';
export { cameraMap, type SearchContext, searchCameras } from './search.ts';
export {
  parseSecretKey,
  SEALED_FORMAT,
  SealedSecretError,
  SourceSecretBox,
  sourceSecretBox,
} from './secrets.ts';
export { createSourceUrlResolver, sourceUrlWithSecret } from './source-url.ts';

/**
 * The registry API (issue 4 §4): source systems (`/api/sources`) and cameras (`/api/cameras`:
 * register, change, remove, read, search, map list). Returns the stream-URL resolver live access
 * uses at ensure-ingest time (credentials opened only then).
 */
export function registerRegistryRoutes(app: FastifyInstance, deps: RegistryDeps) {
  registerSourceRoutes(app, deps);
  registerCameraRoutes(app, deps);
  return { sourceUrl: createSourceUrlResolver(deps.secrets) };
}
