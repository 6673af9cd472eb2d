export { registerLiveRoutes } from './routes.ts';
export {
  type AuditWrite,
  type LiveRequestInput,
  LiveService,
  type LiveServiceDeps,
  type LiveServiceDeps as LiveDeps,
} from './service.ts';
