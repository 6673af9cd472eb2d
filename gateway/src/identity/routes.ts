import { timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { CSRF_HEADER, loginRequestSchema, SESSION_COOKIE, type SessionInfo } from '@wall/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { AppError } from '../lib/app-error.ts';
import type { RateLimiter, RateLimitRule } from './rate-limit.ts';
import type { Session, SessionStore } from './sessions.ts';
import { type CurrentUser, findUserById, findUserForLogin } from './users.ts';

export interface IdentityDeps {
  db: Db;
  sessions: SessionStore;
  limiter: RateLimiter;
  webOrigins: readonly string[];
  cookieSecure: boolean;
  absoluteTimeoutS: number;
  loginPerUser: RateLimitRule;
  loginPerAddress: RateLimitRule;
  /**
   * The signed-in user of a session (disabled users are `undefined`); defaults to a query per
   * request. The gateway passes the decision service's short-lived, invalidated copy.
   */
  loadUser?: (id: string) => Promise<CurrentUser | undefined>;
  /** A session was signed out (its streams end on the media nodes). Must not throw. */
  onLogout?: (sessionId: string, userId: string) => Promise<void>;
  /** Records a login attempt (audit); written whatever the outcome. */
  onLogin?: (e: {
    username: string;
    userId?: string;
    ok: boolean;
    reason: string;
    address: string;
  }) => Promise<void>;
}

export interface Auth {
  session: Session;
  user: CurrentUser;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Verified against when the user does not exist, so both cases take the same time.
const DUMMY_HASH = await hash('no-such-user-password');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The signed-in user of a request, or 401. */
export function requireAuth(req: FastifyRequest): Auth {
  if (!req.auth) throw new AppError('unauthenticated', 'sign in first');
  return req.auth;
}

function info(auth: { user: CurrentUser; session: Session }): SessionInfo {
  const u = auth.user;
  return {
    user: {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      orgId: u.orgId,
      orgName: u.orgName,
      tier: u.tier,
      districtCode: u.districtCode,
      departmentKind: u.departmentKind,
      roles: u.roles,
      clearance: u.clearance,
    },
    csrfToken: auth.session.csrf,
  };
}

/**
 * Login, logout and `GET /api/me`; every request gets `req.auth` from its session cookie, and every
 * cookie-authenticated write must carry the session's CSRF token and come from a web origin.
 */
export async function registerIdentity(app: FastifyInstance, deps: IdentityDeps): Promise<void> {
  app.decorateRequest('auth', null);
  const loadUser = deps.loadUser ?? ((id: string) => findUserById(deps.db, id));

  app.addHook('onRequest', async (req) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (UNSAFE.has(req.method)) {
      const origin = req.headers.origin;
      if (origin !== undefined && !deps.webOrigins.includes(origin)) {
        throw new AppError('forbidden:csrf', 'this origin may not write');
      }
    }
    if (!sid) return;
    const session = await deps.sessions.get(sid);
    if (!session) return;
    const user = await loadUser(session.userId);
    if (!user) {
      await deps.sessions.revoke(session.id, session.userId);
      return;
    }
    if (UNSAFE.has(req.method) && req.url !== '/api/auth/login') {
      const token = req.headers[CSRF_HEADER];
      if (typeof token !== 'string' || !sameSecret(token, session.csrf)) {
        throw new AppError('forbidden:csrf', 'missing or wrong CSRF token');
      }
    }
    req.auth = { session, user };
  });

  app.post('/api/auth/login', async (req, reply: FastifyReply) => {
    const body = loginRequestSchema.safeParse(req.body);
    if (!body.success) throw new AppError('invalid:request', 'username and password are required');
    const { username, password } = body.data;
    const address = req.ip;
    const userKey = `login:user:${username.toLowerCase()}`;
    const addrKey = `login:addr:${address}`;
    const [u, a] = await Promise.all([
      deps.limiter.check(userKey, deps.loginPerUser),
      deps.limiter.check(addrKey, deps.loginPerAddress),
    ]);
    if (u.limited || a.limited) {
      await deps.onLogin?.({ username, ok: false, reason: 'rate_limited', address });
      reply.header(
        'retry-after',
        String(Math.max(u.limited ? u.retryAfterS : 0, a.limited ? a.retryAfterS : 0)),
      );
      throw new AppError('rate_limited', 'too many sign-in attempts: wait and try again');
    }
    const found = await findUserForLogin(deps.db, username);
    const ok = await verify(found?.passwordHash ?? DUMMY_HASH, password).catch(() => false);
    if (!found || !ok || found.disabled) {
      await Promise.all([
        deps.limiter.hit(userKey, deps.loginPerUser),
        deps.limiter.hit(addrKey, deps.loginPerAddress),
      ]);
      const reason = !found ? 'unknown_user' : found.disabled ? 'disabled' : 'wrong_password';
      await deps.onLogin?.({ username, userId: found?.user.id, ok: false, reason, address });
      throw new AppError('unauthenticated', 'wrong username or password');
    }
    await deps.limiter.reset(userKey);
    const session = await deps.sessions.create(found.user.id, address);
    await deps.onLogin?.({ username, userId: found.user.id, ok: true, reason: 'password', address });
    reply.setCookie(SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.cookieSecure,
      path: '/',
      maxAge: deps.absoluteTimeoutS,
    });
    return info({ user: found.user, session });
  });

  app.post('/api/auth/logout', async (req, reply) => {
    const auth = requireAuth(req);
    await deps.sessions.revoke(auth.session.id, auth.user.id);
    await deps.onLogout?.(auth.session.id, auth.user.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/api/me', async (req) => info(requireAuth(req)));
}
