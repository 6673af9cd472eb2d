/**
 * The Redis pub/sub channels between the services, in one place.
 *
 * Redis keeps keys per logical database (SELECT) but publishes server-wide: a message on
 * `policy:invalidate` reaches every subscriber of the server, whatever database its connection
 * selected. So that a deployment on database n hears only its own services (and test files run at
 * the same time on their own databases stay apart), every service names a channel with
 * {@link channelIn} and the database of its connection: database 0 keeps the plain name, database
 * n > 0 appends `@n`.
 */
export const CHANNELS = {
  /** Gateways: a camera, source, user or incident changed; drop cached decisions. */
  policyInvalidate: 'policy:invalidate',
  /** Media nodes → gateways: a stream's state (see `streamStatusSchema`). */
  streamStatus: 'media:stream-status',
  /** Media nodes → gateways: a GB/T 28181 stream needs a key frame (see `keyFrameRequestSchema`). */
  keyframeRequest: 'media:keyframe-request',
  /** Gateways → realtime: a camera was used under an emergency grant (R-ACC-4). */
  emergencyUse: 'access:emergency',
  /** Gateways → realtime: a storage alarm was raised or cleared (see `capacityChangeSchema`, R-REC-3). */
  recordingCapacity: 'recording:capacity',
  /** Gateways → media nodes: streams whose right ended; close their consumers (see `streamRevocationSchema`). */
  streamRevoke: 'media:stream-revoke',
  /** The socket.io Redis adapter's channel prefix. */
  socketIo: 'socket.io',
} as const;

export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];

/** `name` on the logical database `db` of the connection (undefined or 0: the plain name). */
export function channelIn(name: ChannelName, db: number | undefined): string {
  if (db === undefined || db === 0) return name;
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`not a Redis database index: ${db}`);
  return `${name}@${db}`;
}

/** The channels of a connection (an ioredis client: its `options.db`). */
export function channelsOf(redis: { options: { db?: number } }): Record<keyof typeof CHANNELS, string> {
  const db = redis.options.db;
  return Object.fromEntries(
    Object.entries(CHANNELS).map(([key, name]) => [key, channelIn(name, db)]),
  ) as Record<keyof typeof CHANNELS, string>;
}
