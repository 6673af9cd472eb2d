export * from './domain.ts';
export * from './env.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './health.ts';
export * from './identity.ts';
export * from './media.ts';
export { PROTOCOL_VERSION } from './version.ts';
