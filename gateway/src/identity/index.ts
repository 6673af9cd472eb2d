export { RateLimiter, type RateLimitRule } from './rate-limit.ts';
export { type Auth, type IdentityDeps, registerIdentity, requireAuth } from './routes.ts';
export { type Session, SessionStore } from './sessions.ts';
export { type CurrentUser, findUserById } from './users.ts';
