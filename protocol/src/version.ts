/** Bumped whenever a schema or event in this package changes incompatibly. */
export const PROTOCOL_VERSION = 1 as const;
