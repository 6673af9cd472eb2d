import { z } from 'zod';
import { departmentKindSchema, tierSchema } from './domain.ts';
import { clientText } from './text.ts';

export const loginRequestSchema = z.object({
  username: clientText({ min: 1, max: 64 }),
  password: clientText({ min: 1, max: 256 }),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const meSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  tier: tierSchema,
  districtCode: z.string().nullable(),
  departmentKind: departmentKindSchema,
  roles: z.array(z.string()),
  clearance: z.number().int().min(1).max(4),
});
export type Me = z.infer<typeof meSchema>;

/** Answer of login and of `GET /api/me`: the user and the CSRF token for cookie-authenticated writes. */
export const sessionInfoSchema = z.object({ user: meSchema, csrfToken: z.string() });
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

/** Header that carries the CSRF token on every cookie-authenticated write. */
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_COOKIE = 'wall_sid';
