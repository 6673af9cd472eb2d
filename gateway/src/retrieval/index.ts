export { sniffDocumentType } from './document.ts';
export { registerRetrievalRoutes } from './routes.ts';
export { type RetrievalActor, RetrievalService, type RetrievalServiceDeps } from './service.ts';
