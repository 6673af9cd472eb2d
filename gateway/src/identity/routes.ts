import { timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import {
  CSRF_HEADER,
  loginRequestSchema,
  requestErrorCode,
  SESSION_COOKIE,
  type SessionInfo,
  sessionInfoSchema,
} from '@wall/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { AppError } from '../lib/app-error.ts';
import { COMMON_ERRORS, defineRoute, errorSchema, registerRoutes, WRITE_ERRORS } from '../openapi/index.ts';
import type { RateLimitCounter, RateLimiter, RateLimitRule } from './rate-limit.ts';
import type { Session, SessionStore } from './sessions.ts';
import { type CurrentUser, findUserById, findUserForLogin } from './users.ts';

export interface IdentityDeps {
  db: Db;
  sessions: SessionStore;
  limiter: RateLimiter;
  webOrigins: readonly string[];
  cookieSecure: boolean;
  absoluteTimeoutS: number;
  /** Failed sign-ins of one user from one address (the lockout a mistyping operator meets). */
  loginPerUser: RateLimitRule;
  /** Failed sign-ins from one address, every user. */
  loginPerAddress: RateLimitRule;
  /** Failed sign-ins of one user from every address together (a much larger budget). */
  loginPerUserGlobal: RateLimitRule;
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
    detail?: Record<string, unknown>;
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
/** The sign-in counters in the order `loginCounters` gives them, as the audit names a full one. */
const COUNTER_NAMES = ['user_address', 'address', 'user'] as const;
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

  /**
   * The counters a sign-in attempt of `username` from `address` is counted against. The lockout of
   * a user is per address, so that failures elsewhere (an attacker who knows the name) cannot lock
   * an operator out during an incident; the user's count over every address has a far larger
   * bound, which still stops a guessing attack spread over many addresses.
   */
  const loginCounters = (username: string, address: string): RateLimitCounter[] => {
    // ':' separates the parts of a key; '%' escapes it (any other character is fine in Redis).
    const user = username.toLowerCase().replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
    return [
      { name: `login:user:${user}:addr:${address}`, rule: deps.loginPerUser },
      { name: `login:addr:${address}`, rule: deps.loginPerAddress },
      { name: `login:user:${user}`, rule: deps.loginPerUserGlobal },
    ];
  };
  /**
   * Counts the attempt before any work (atomic over its counters, so concurrent attempts cannot
   * all pass); a full counter answers 429 with Retry-After, audited.
   */
  const countAttempt = async (reply: FastifyReply, username: string, address: string) => {
    const counters = loginCounters(username, address);
    const taken = await deps.limiter.take(counters);
    if (taken.limited) {
      const limits = taken.full.map((i) => COUNTER_NAMES[i] ?? 'unknown');
      await deps.onLogin?.({ username, ok: false, reason: 'rate_limited', address, detail: { limits } });
      reply.header('retry-after', String(taken.retryAfterS));
      throw new AppError('rate_limited', 'too many sign-in attempts: wait and try again');
    }
    return counters;
  };

  const login = defineRoute({
    method: 'post',
    url: '/api/auth/login',
    summary: 'Sign in: sets the HttpOnly session cookie, returns the user and the CSRF token',
    tag: 'identity',
    access: 'public',
    rule: 'Rate-limited per user at one address, per address, and per user over every address (429 with Retry-After); each attempt is counted before the password is checked. Audited (auth.login), a name or password with a control character too.',
    body: loginRequestSchema,
    invalid: {
      body: async (error, { req, reply }) => {
        const code = requestErrorCode(error);
        const raw = req.body as { username?: unknown } | null | undefined;
        const username = typeof raw?.username === 'string' ? raw.username.slice(0, 256) : undefined;
        // A name with a control character never reaches the database (PostgreSQL refuses NUL), but it
        // is still a sign-in attempt: counted and audited like any failed one, answered 400.
        if (code === 'invalid:control_char' && username !== undefined) {
          await countAttempt(reply, username, req.ip);
          await deps.onLogin?.({ username, ok: false, reason: code, address: req.ip });
          return new AppError(code, 'the username and password may not contain control characters');
        }
        return new AppError('invalid:request', 'username and password are required');
      },
    },
    responses: {
      200: { description: 'signed in', schema: sessionInfoSchema },
      400: {
        description: 'invalid:request / invalid:control_char (a control character in the name or password)',
        schema: errorSchema,
      },
      401: { description: 'unauthenticated — wrong name or password', schema: errorSchema },
      429: { description: 'rate_limited', schema: errorSchema },
    },
    handler: async ({ req, reply, body }) => {
      const address = req.ip;
      const { username, password } = body;
      const counters = await countAttempt(reply, username, address);
      let found: Awaited<ReturnType<typeof findUserForLogin>>;
      let ok: boolean;
      try {
        found = await findUserForLogin(deps.db, username);
        ok = await verify(found?.passwordHash ?? DUMMY_HASH, password).catch(() => false);
      } catch (err) {
        // Not a failed sign-in (the database did not answer): the attempt does not count.
        await deps.limiter.refund(counters.map((c) => c.name)).catch((refundErr: unknown) => {
          req.log.error({ err: refundErr }, 'sign-in attempt not given back');
        });
        throw err;
      }
      if (!found || !ok || found.disabled) {
        const reason = !found ? 'unknown_user' : found.disabled ? 'disabled' : 'wrong_password';
        await deps.onLogin?.({ username, userId: found?.user.id, ok: false, reason, address });
        throw new AppError('unauthenticated', 'wrong username or password');
      }
      // Signed in: this address's lockout of the user starts afresh, and the attempt is given back to
      // the address and to the user's count over every address (only failures use them up).
      const [own, ...shared] = counters;
      await Promise.all([
        own ? deps.limiter.reset(own.name) : undefined,
        deps.limiter.refund(shared.map((c) => c.name)),
      ]);
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
    },
  });

  const logout = defineRoute({
    method: 'post',
    url: '/api/auth/logout',
    summary: 'Sign out: the session is revoked',
    tag: 'identity',
    access: 'session+csrf',
    responses: { 204: { description: 'signed out' }, ...WRITE_ERRORS },
    handler: async ({ auth, reply }) => {
      await deps.sessions.revoke(auth.session.id, auth.user.id);
      await deps.onLogout?.(auth.session.id, auth.user.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  });

  const me = defineRoute({
    method: 'get',
    url: '/api/me',
    summary: 'The signed-in user and the CSRF token',
    tag: 'identity',
    access: 'session',
    responses: { 200: { description: 'the user', schema: sessionInfoSchema }, ...COMMON_ERRORS },
    handler: async ({ auth }) => info(auth),
  });

  registerRoutes(app, [login, logout, me]);
}
