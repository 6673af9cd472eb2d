import type { WebConfig } from '../config';

/** Where the pages may connect, load images from and run code, besides this site. */
export interface CspSources {
  /** The gateway as browsers reach it (API, realtime socket). */
  gatewayUrl: string;
  /** Every media node as browsers reach it (signalling socket, snapshots). */
  mediaOrigins: readonly string[];
  /** A self-hosted MapLibre style: its origin serves the style, tiles, glyphs and sprites. */
  mapStyleUrl?: string | undefined;
  /** Mapbox (token and style configured): its API and events hosts. */
  mapbox: boolean;
}

const MAPBOX_ORIGINS = ['https://api.mapbox.com', 'https://events.mapbox.com'];

export function cspSources(c: WebConfig): CspSources {
  return {
    gatewayUrl: c.GATEWAY_PUBLIC_URL,
    mediaOrigins: c.MEDIA_PUBLIC_ORIGINS,
    mapStyleUrl: c.MAP_STYLE_URL,
    mapbox: c.MAPBOX_TOKEN !== undefined && c.MAPBOX_STYLE_URL !== undefined,
  };
}

/** `http(s)://host:port` and the matching `ws(s)://host:port` of a URL. */
function withSockets(url: string): string[] {
  const u = new URL(url);
  const ws = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return [u.origin, `${ws}//${u.host}`];
}

/**
 * The Content-Security-Policy of every page (R-SEC): scripts only with this response's nonce and
 * what they load ('strict-dynamic': Next's chunks), never eval in production; connections only to
 * this site, the gateway and the media nodes (HTTP and WebSocket: recorded segments are fetched by
 * hls.js) and blob: (the map's GeoJSON); media from this site and blob: (MSE: playback);
 * workers from this site and blob: (MapLibre, the filter worker); images from this site, data:,
 * blob: and the media nodes (snapshots); never framed, no plugins, no <base>, forms only here.
 * Style elements need the nonce; style attributes stay allowed (React renders colours inline).
 * WebRTC media is not governed by CSP. Development keeps 'unsafe-eval' and inline styles (React's
 * dev tooling and hot reload need them).
 */
export function contentSecurityPolicy(nonce: string, s: CspSources, dev: boolean): string {
  const extra = [
    ...(s.mapStyleUrl ? [new URL(s.mapStyleUrl).origin] : []),
    ...(s.mapbox ? MAPBOX_ORIGINS : []),
  ];
  const connect = new Set([
    "'self'",
    'blob:',
    ...withSockets(s.gatewayUrl),
    ...s.mediaOrigins.flatMap(withSockets),
    ...extra,
  ]);
  const images = new Set(["'self'", 'data:', 'blob:', ...s.mediaOrigins, ...extra]);
  const directives: [string, ...string[]][] = [
    ['default-src', "'self'"],
    ['script-src', "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    ['style-src', "'self'", dev ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    ['style-src-attr', "'unsafe-inline'"],
    ['img-src', ...images],
    ['font-src', "'self'", 'data:'],
    ['connect-src', ...connect],
    ['worker-src', "'self'", 'blob:'],
    ['child-src', "'self'", 'blob:'],
    ['media-src', "'self'", 'blob:'],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['base-uri', "'self'"],
    ['form-action', "'self'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}
