export type { GbSourceOptions } from './gb/index.ts';
export { Ingest } from './ingest.ts';
export { IngestManager } from './manager.ts';
export type { IngestSteps, SourceAdapter, SourceRegistry } from './source.ts';
export { defaultSources } from './sources.ts';
