import { channelsOf, streamRevocationSchema } from '@wall/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';
import type { Signalling } from './signalling.ts';

/**
 * Listens for the gateways' revocations (`CHANNELS.streamRevoke`) on a connection of its own and
 * closes the consumers they match. A malformed message is logged and dropped. `close()` stops it.
 */
export function listenForRevocations(
  redis: Redis,
  signalling: Pick<Signalling, 'revoke'>,
  log: Logger,
): { close(): void } {
  // Its own connection (a subscriber can do nothing else); queued until Redis answers, re-subscribed
  // after a reconnection — Redis being away at start is logged, never fatal.
  const sub = redis.duplicate({ enableOfflineQueue: true });
  const channel = channelsOf(redis).streamRevoke;
  sub.on('error', (err) => log.warn({ err }, 'revocation listener: Redis error'));
  sub.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    let parsed: ReturnType<typeof streamRevocationSchema.safeParse>;
    try {
      parsed = streamRevocationSchema.safeParse(JSON.parse(message));
    } catch {
      parsed = streamRevocationSchema.safeParse(undefined);
    }
    if (!parsed.success) {
      log.warn('revocation listener: malformed message dropped');
      return;
    }
    const closed = signalling.revoke(parsed.data);
    log.info({ scope: parsed.data.scope, reason: parsed.data.reason, closed }, 'revocation applied');
  });
  sub
    .subscribe(channel)
    .catch((err: unknown) => log.warn({ err }, 'revocation listener: not subscribed yet'));
  return {
    close() {
      sub.disconnect();
    },
  };
}
