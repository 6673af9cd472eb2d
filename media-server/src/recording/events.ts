import {
  RECORDING_EVENT_FIELD,
  RECORDING_EVENTS_STREAM,
  type RecordingEvent,
  recordingEventSchema,
} from '@wall/protocol';
import type { Redis } from 'ioredis';

/** Where recording events go (the Redis stream in production). */
export interface RecordingEventSink {
  append(event: RecordingEvent): Promise<void>;
}

/** Approximate cap of the stream (`MAXLEN ~`): the gateways index it long before. */
export const RECORDING_STREAM_MAXLEN = 1_000_000;
const PAGE = 1000;

/**
 * The `media:recording-events` stream: one entry per closed segment or gap, field `event` = the
 * event's JSON, validated against the contract before it is appended.
 */
export class RecordingEventLog implements RecordingEventSink {
  readonly #redis: Redis;
  readonly #stream: string;

  constructor(redis: Redis, stream = RECORDING_EVENTS_STREAM) {
    this.#redis = redis;
    this.#stream = stream;
  }

  async append(event: RecordingEvent): Promise<void> {
    const checked = recordingEventSchema.parse(event);
    await this.#redis.xadd(
      this.#stream,
      'MAXLEN',
      '~',
      RECORDING_STREAM_MAXLEN,
      '*',
      RECORDING_EVENT_FIELD,
      JSON.stringify(checked),
    );
  }

  /**
   * Where this node's recording of each camera profile (`cameraId:profile`) last ended: the newest
   * event of each (a segment's `endMs`, a gap's `toMs`), reading the stream backwards, at most
   * `maxEntries` entries (older ones count as unknown).
   */
  async lastEnds(nodeId: string, maxEntries = 200_000): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    let end = '+';
    for (let scanned = 0; scanned < maxEntries; ) {
      const page = (await this.#redis.xrevrange(this.#stream, end, '-', 'COUNT', PAGE)) as [
        string,
        string[],
      ][];
      for (const [, fields] of page) {
        const i = fields.indexOf(RECORDING_EVENT_FIELD);
        const raw = i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
        if (raw === undefined) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          continue; // not ours to judge: skipped
        }
        const e = recordingEventSchema.safeParse(parsed);
        if (!e.success || e.data.node !== nodeId) continue;
        const key = `${e.data.cameraId}:${e.data.profile}`;
        if (!ends.has(key)) ends.set(key, e.data.kind === 'segment' ? e.data.endMs : e.data.toMs);
      }
      scanned += page.length;
      const last = page[page.length - 1];
      if (page.length < PAGE || !last) break;
      end = `(${last[0]}`;
    }
    return ends;
  }
}
