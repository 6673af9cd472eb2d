/** Wall access is a policy rule (`policy/walls.ts`); re-exported for the wall's other users. */
export { mayUseWall } from '../policy/index.ts';
export { applyCommand, camerasOf, tilesFor, WallVersionConflict } from './reducer.ts';
export { loadWall, saveWall } from './repository.ts';
export { registerWallRoutes, type WallRoutesDeps } from './routes.ts';
export { type WallActor, type WallChangeListener, WallService, type WallServiceDeps } from './service.ts';
