import { type NextRequest, NextResponse } from 'next/server';
import { webConfig } from './config';
import { contentSecurityPolicy, cspSources } from './lib/csp';

const sources = cspSources(webConfig());
const dev = process.env.NODE_ENV === 'development';

/**
 * Every page gets a fresh nonce and the Content-Security-Policy naming it (lib/csp.ts). Next reads
 * the policy from the request headers while rendering and puts the nonce on its own scripts, so
 * pages must render per request (they do: the root layout awaits the connection).
 */
export function proxy(request: NextRequest): NextResponse {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64');
  const policy = contentSecurityPolicy(nonce, sources, dev);
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Not the build's static files (no document runs from them); prefetches render no HTML.
      source: '/((?!_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
