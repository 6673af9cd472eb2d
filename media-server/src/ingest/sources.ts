import { type GbSourceOptions, gbSource } from './gb/index.ts';
import { rtspSource } from './rtsp/index.ts';
import type { SourceRegistry } from './source.ts';

/** The node's source adapters, registered by kind. */
export function defaultSources(options: { gb?: Partial<GbSourceOptions> } = {}): SourceRegistry {
  return { rtsp: rtspSource(), gb28181: gbSource(options.gb) };
}
