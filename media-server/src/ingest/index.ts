export { Ingest } from './ingest.ts';
export { IngestManager } from './manager.ts';
