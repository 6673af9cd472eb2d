import { type SourceKind, sourceKindSchema } from '@wall/protocol';
import type { SourceAdapter } from './types.ts';

/** The source kinds this gateway serves, each by its adapter; every kind of the protocol has one. */
export class SourceRegistry {
  readonly #adapters: ReadonlyMap<SourceKind, SourceAdapter>;

  /** Throws when a kind is missing or registered twice: a gateway without one must not start. */
  constructor(adapters: readonly SourceAdapter[]) {
    const map = new Map<SourceKind, SourceAdapter>();
    for (const a of adapters) {
      if (map.has(a.kind)) throw new Error(`source kind ${a.kind} registered twice`);
      map.set(a.kind, a);
    }
    const missing = sourceKindSchema.options.filter((k) => !map.has(k));
    if (missing.length > 0) throw new Error(`no adapter for source kinds: ${missing.join(', ')}`);
    this.#adapters = map;
  }

  /** Every adapter, in registration order. */
  all(): SourceAdapter[] {
    return [...this.#adapters.values()];
  }

  get(kind: SourceKind): SourceAdapter {
    const adapter = this.#adapters.get(kind);
    if (!adapter) throw new Error(`no adapter for source kind ${kind}`);
    return adapter;
  }
}
