import type { FastifyInstance } from 'fastify';
import { registerCameraRoutes } from './camera-routes.ts';
import type { RegistryDeps } from './deps.ts';
import { registerSourceRoutes } from './source-routes.ts';

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

/**
 * The registry API (issue 4 §4): source systems (`/api/sources`) and cameras (`/api/cameras`:
 * register, change, remove, read, search, map list).
 */
export function registerRegistryRoutes(app: FastifyInstance, deps: RegistryDeps): void {
  registerSourceRoutes(app, deps);
  registerCameraRoutes(app, deps);
}
