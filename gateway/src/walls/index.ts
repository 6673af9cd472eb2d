export { mayUseWall } from './access.ts';
export { applyCommand, camerasOf, tilesFor, WallVersionConflict } from './reducer.ts';
export { loadWall, saveWall } from './repository.ts';
export { registerWallRoutes, type WallRoutesDeps } from './routes.ts';
export { type WallActor, type WallChangeListener, WallService, type WallServiceDeps } from './service.ts';
