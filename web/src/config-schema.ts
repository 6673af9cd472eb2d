import { envVar } from '@wall/protocol';
import { z } from 'zod';

export const webEnvSchema = z.object({
  /** The gateway as the web server reaches it (server-side fetches). */
  GATEWAY_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4000'),
  /** The gateway as browsers reach it (login, API calls); must list this site in its WEB_ORIGINS. */
  GATEWAY_PUBLIC_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4000'),
});
