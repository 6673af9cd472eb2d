import { RECORDING_EVENTS_STREAM, type RecordingEvent, recordingEventSchema } from '@wall/protocol';
import type { Redis } from 'ioredis';
import type { Db } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import { type IndexOutcome, insertGap, insertSegment } from './repository.ts';

/** The consumer group every gateway reads the recording events in (they share the work). */
export const RECORDING_INDEX_GROUP = 'gateway-index';

export interface RecordingIndexWriterOptions {
  db: Db;
  /** A connection of the gateway; the writer reads on its own duplicate (blocking reads). */
  redis: Redis;
  logger: Logger;
  /**
   * This gateway's name in the group. Keep it stable across restarts: a restarted gateway first
   * takes up the events it had read but not indexed (its pending entries).
   */
  consumer: string;
  group?: string;
  /** Entries per read. Default 100. */
  count?: number;
  /** How long a read waits for new entries (ms). Default 2000. */
  blockMs?: number;
  /** Another consumer's entry pending this long is taken over (a gateway that died). Default 60 s. */
  claimIdleMs?: number;
  /** Wait after a failure (Redis or PostgreSQL down) before trying again (ms). Default 1000. */
  retryMs?: number;
  /** Told of each entry handled (indexed, duplicate, ignored), after its ack. */
  onHandled?: (e: { id: string; outcome: IndexOutcome | 'malformed' }) => void;
}

type StreamEntry = [id: string, fields: string[] | null];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC_FIELDS = new Set([
  'startMs',
  'endMs',
  'durationMs',
  'frames',
  'bytes',
  'initBytes',
  'width',
  'height',
  'fromMs',
  'toMs',
]);

/**
 * Decodes a stream entry's fields into an event: the JSON in field `event` (what the media node
 * writes: `XADD media:recording-events * event <json>`), else the fields themselves (numbers as
 * decimal strings). Returns what failed when it is not a valid event.
 */
export function decodeRecordingEvent(
  fields: readonly string[],
): { ok: true; event: RecordingEvent } | { ok: false; why: string } {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  let raw: unknown;
  const json = map.get('event');
  if (json !== undefined) {
    try {
      raw = JSON.parse(json);
    } catch {
      return { ok: false, why: 'field `event` is not JSON' };
    }
  } else {
    const o: Record<string, unknown> = {};
    for (const [k, v] of map) o[k] = NUMERIC_FIELDS.has(k) && /^\d+$/.test(v) ? Number(v) : v;
    raw = o;
  }
  const parsed = recordingEventSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      why: parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; '),
    };
  }
  const e = parsed.data;
  // What the index's constraints would refuse for ever: refused here, so the entry is not retried.
  if (!UUID.test(e.cameraId)) return { ok: false, why: 'cameraId: not a camera of this platform (UUID)' };
  if (e.kind === 'segment' && e.endMs < e.startMs) return { ok: false, why: 'endMs before startMs' };
  if (e.kind === 'gap' && e.toMs < e.fromMs) return { ok: false, why: 'toMs before fromMs' };
  if (
    e.kind === 'segment' &&
    (e.frames > 2_147_483_647 || e.initBytes > 2_147_483_647 || e.durationMs > 2_147_483_647)
  )
    return { ok: false, why: 'a count out of range' };
  return { ok: true, event: { ...e, cameraId: e.cameraId.toLowerCase() } };
}

/**
 * Indexes the media nodes' recording events (RECORDING_EVENTS_STREAM) in PostgreSQL through a Redis
 * consumer group: each gateway runs one, the group shares the entries. An entry is acked only after
 * its row is committed, so a gateway that dies between the two leaves it pending, and it is indexed
 * again — by this consumer after a restart, or by another after `claimIdleMs` — without a second row
 * ((node, storage_key) is unique). An entry that is not a valid event is logged and acked: it never
 * blocks the stream. A failing database stops the reading (nothing is acked) until it answers again.
 */
export class RecordingIndexWriter {
  readonly #opts: Required<Omit<RecordingIndexWriterOptions, 'onHandled'>> &
    Pick<RecordingIndexWriterOptions, 'onHandled'>;
  readonly #log: Logger;
  #conn: Redis | null = null;
  #running: Promise<void> | null = null;
  #closed = false;
  #wake: (() => void) | null = null;
  /** True while waiting on a read (which `close()` may cut); false while indexing an entry. */
  #inRead = false;

  constructor(opts: RecordingIndexWriterOptions) {
    this.#opts = {
      group: RECORDING_INDEX_GROUP,
      count: 100,
      blockMs: 2000,
      claimIdleMs: 60_000,
      retryMs: 1000,
      ...opts,
    };
    this.#log = opts.logger.child({ feature: 'recording-index', consumer: opts.consumer });
  }

  /** Starts reading (in the background; failures are logged and retried). */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#conn = this.#opts.redis.duplicate({
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    this.#conn.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'recording index redis'));
    this.#running = this.#run(this.#conn);
  }

  /** Stops reading; an entry being indexed is finished (and acked) first. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      await this.#running;
      return;
    }
    this.#closed = true;
    this.#wake?.();
    // A blocking read is cut at once; an entry being indexed is finished and acked first.
    if (this.#inRead) this.#conn?.disconnect();
    await this.#running;
    this.#conn?.disconnect();
    this.#conn = null;
  }

  async #run(conn: Redis): Promise<void> {
    const { group, consumer, count, blockMs, claimIdleMs } = this.#opts;
    const key = RECORDING_EVENTS_STREAM;
    let groupReady = false;
    // Own pending entries first (a restart), then new ones.
    let pending = true;
    let lastClaim = 0;
    while (!this.#closed) {
      try {
        if (!groupReady) {
          await conn.xgroup('CREATE', key, group, '0', 'MKSTREAM').catch((err: Error) => {
            if (!/BUSYGROUP/.test(err.message)) throw err;
          });
          groupReady = true;
        }
        if (Date.now() - lastClaim >= claimIdleMs / 2) {
          lastClaim = Date.now();
          // Entries another consumer read and never acked (it died): ours now, read below as pending.
          const claimed = (await conn.xautoclaim(
            key,
            group,
            consumer,
            claimIdleMs,
            '0-0',
            'COUNT',
            count,
          )) as [string, StreamEntry[]];
          if ((claimed[1] ?? []).length > 0) pending = true;
        }
        this.#inRead = true;
        const res = (
          pending
            ? await conn.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', key, '0')
            : await conn.xreadgroup(
                'GROUP',
                group,
                consumer,
                'COUNT',
                count,
                'BLOCK',
                blockMs,
                'STREAMS',
                key,
                '>',
              )
        ) as [string, StreamEntry[]][] | null;
        this.#inRead = false;
        const entries = res?.[0]?.[1] ?? [];
        if (pending && entries.length === 0) pending = false;
        for (const entry of entries) {
          if (this.#closed) break;
          await this.#handle(conn, key, group, entry);
        }
      } catch (err) {
        this.#inRead = false;
        if (this.#closed) break;
        if (/NOGROUP/.test((err as Error).message)) groupReady = false;
        this.#log.warn({ err: (err as Error).message }, 'recording index: will retry');
        pending = true;
        await this.#sleep(this.#opts.retryMs);
      }
    }
  }

  async #handle(conn: Redis, key: string, group: string, [id, fields]: StreamEntry): Promise<void> {
    // A pending entry whose message was trimmed from the stream: nothing left to index.
    if (fields === null) {
      await conn.xack(key, group, id);
      return;
    }
    const decoded = decodeRecordingEvent(fields);
    let outcome: IndexOutcome | 'malformed';
    if (!decoded.ok) {
      this.#log.warn({ entryId: id, why: decoded.why }, 'recording event ignored: malformed');
      outcome = 'malformed';
    } else {
      const e = decoded.event;
      outcome = await this.#opts.db.transaction((tx) =>
        e.kind === 'segment' ? insertSegment(tx, e) : insertGap(tx, e),
      );
      if (outcome === 'unknown_camera') {
        this.#log.warn(
          { entryId: id, cameraId: e.cameraId, node: e.node },
          'recording event ignored: unknown camera',
        );
      }
    }
    await conn.xack(key, group, id);
    this.#opts.onHandled?.({ id, outcome });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = null;
        resolve();
      };
    });
  }
}
