/** @deprecated import `subjectOf` from `policy/`; kept while realtime still imports it from here. */
export { subjectOf } from '../policy/index.ts';
export { registerLiveRoutes } from './routes.ts';
export {
  type AuditWrite,
  type LiveRequestInput,
  LiveService,
  type LiveServiceDeps,
  type LiveServiceDeps as LiveDeps,
} from './service.ts';
