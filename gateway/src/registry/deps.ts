import type { Db } from '../db/index.ts';
import type { IncidentFacts } from '../policy/index.ts';
import type { SourceSecretBox } from './secrets.ts';

/** A registry record changed (committed): caches of decisions and map layers follow. */
export interface RegistryChange {
  kind: 'camera' | 'source';
  id: string;
}

export interface RegistryDeps {
  db: Db;
  /** Seals and opens source credentials; without it, credentials can be neither stored nor used. */
  secrets: SourceSecretBox | undefined;
  /** The incidents the policy's emergency rule considers (open ones; may be cached). */
  incidents: () => Promise<IncidentFacts[]>;
  /** Called after each committed write; a failure is logged, never reported to the writer. */
  onChange?: (e: RegistryChange) => void | Promise<void>;
}

/** Where a registry service reports what it cannot tell its caller (a change listener failing). */
export interface RegistryLog {
  error(obj: object, msg: string): void;
}

/** Tells the change listener of a committed write; its failure is logged, never the writer's. */
export async function announceChange(
  deps: RegistryDeps,
  log: RegistryLog,
  change: RegistryChange,
): Promise<void> {
  try {
    await deps.onChange?.(change);
  } catch (err) {
    log.error({ err, [`${change.kind}Id`]: change.id }, 'registry change listener failed');
  }
}
