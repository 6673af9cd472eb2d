import { z } from 'zod';
import {
  type CameraState,
  cameraStateSchema,
  districtCodeSchema,
  fundingSchema,
  gradeSchema,
  isPrivateSpace,
  locationKindSchema,
  SITE_CATEGORIES,
  type SiteCategory,
  type SourceKind,
  siteCategorySchema,
  sourceKindSchema,
} from './domain.ts';
import { clientText } from './text.ts';

/**
 * Registry contracts (R-REG-1…3): source systems and cameras, their search, and the compact map
 * list. Request bodies are strict (an unknown key is an error, not silently dropped).
 */

const id = z.guid().transform((s) => s.toLowerCase());
const text = (max: number) => clientText({ trim: true, min: 1, max });

// Host name or IP literal, optional port; no user info (credentials never go into a URL here).
const HOST_PORT =
  '(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])(?::\\d{1,5})?';
const PATH = '(?:/[^\\s@?#]*)?(?:\\?[^\\s@#]*)?';
const urlSchema = (schemes: string, what: string) =>
  clientText({ max: 1024 }).regex(
    new RegExp(`^(?:${schemes})://${HOST_PORT}${PATH}$`),
    `expected a ${what} URL without whitespace or credentials (credentials go in \`secret\`)`,
  );
const rtspUrl = urlSchema('rtsp|rtsps', 'rtsp:// or rtsps://');
const httpUrl = urlSchema('http|https', 'http:// or https://');

/** Non-secret connection settings of each source kind (an adapter registers its own schema). */
export const SOURCE_CONNECTION_SCHEMAS = {
  rtsp: z
    .object({
      /** Stream paths of the cameras are relative to this (`rtsp://nvr.example:554`). */
      baseUrl: rtspUrl,
      transport: z.enum(['tcp', 'udp']).optional(),
    })
    .strict(),
  onvif: z
    .object({
      /** The device service (`http://10.0.0.5/onvif/device_service`). */
      deviceUrl: httpUrl,
      /** Where relative stream paths are pulled from, when the profiles carry paths. */
      rtspBaseUrl: rtspUrl.optional(),
    })
    .strict(),
  gb28181: z
    .object({
      /** The platform's or device's 20-digit GB/T 28181 ID. */
      deviceId: z.string().regex(/^\d{20}$/, 'expected a 20-digit GB/T 28181 ID'),
      host: z
        .string()
        .regex(new RegExp(`^${HOST_PORT}$`), 'expected a host name or IP address')
        .optional(),
      port: z.number().int().min(1).max(65535).optional(),
      transport: z.enum(['udp', 'tcp']).optional(),
      /** Grade given to catalogue channels (raised to 3 for `Secrecy` 1). */
      defaultGrade: gradeSchema.optional(),
      /** Art. 7 category and location kind filed for catalogue channels (GB items carry neither). */
      siteCategory: siteCategorySchema.optional(),
      locationKind: locationKindSchema
        .refine((k) => !isPrivateSpace(k), 'a private-space location kind is refused (Art. 9)')
        .optional(),
      /** A government platform whose channels were accepted there: channels are filed accepted. */
      trusted: z.boolean().optional(),
      /** How the device sends media: TCP passive (we listen; default) or UDP. */
      mediaTransport: z.enum(['tcp-passive', 'udp']).optional(),
      /**
       * Which flows the device's requests other than REGISTER are accepted on: `strict` (default)
       * only its authenticated registration's (address, port, transport; over TCP its connection);
       * `same-address` any port or connection of that address (platforms that send from several).
       */
      flowBinding: z.enum(['strict', 'same-address']).optional(),
    })
    .strict(),
} as const satisfies Record<SourceKind, z.ZodType>;

export type SourceConnection = z.infer<(typeof SOURCE_CONNECTION_SCHEMAS)[SourceKind]>;

/**
 * Write-only credentials of a source system: sealed at rest, never returned, logged or audited.
 * At least one field.
 */
export const sourceSecretSchema = z
  .object({
    username: clientText({ min: 1, max: 128 }).optional(),
    password: clientText({ min: 1, max: 256 }).optional(),
  })
  .strict()
  .refine((s) => s.username !== undefined || s.password !== undefined, 'give a username or a password');
export type SourceSecret = z.infer<typeof sourceSecretSchema>;

const sourceBase = {
  name: text(200),
  ownerOrgId: id,
  funding: fundingSchema,
  secret: sourceSecretSchema.optional(),
};

export const sourceCreateSchema = z.discriminatedUnion('kind', [
  z.object({ ...sourceBase, kind: z.literal('rtsp'), connection: SOURCE_CONNECTION_SCHEMAS.rtsp }).strict(),
  z.object({ ...sourceBase, kind: z.literal('onvif'), connection: SOURCE_CONNECTION_SCHEMAS.onvif }).strict(),
  z
    .object({ ...sourceBase, kind: z.literal('gb28181'), connection: SOURCE_CONNECTION_SCHEMAS.gb28181 })
    .strict(),
]);
export type SourceCreate = z.infer<typeof sourceCreateSchema>;

/**
 * PATCH of a source. The kind never changes; `connection` replaces the settings and is checked
 * against the source's kind ({@link parseSourceConnection}); `secret: null` clears the credentials.
 */
export const sourceUpdateSchema = z
  .object({
    name: text(200).optional(),
    ownerOrgId: id.optional(),
    funding: fundingSchema.optional(),
    connection: z.record(z.string(), z.unknown()).optional(),
    secret: sourceSecretSchema.nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type SourceUpdate = z.infer<typeof sourceUpdateSchema>;

export function parseSourceConnection(kind: SourceKind, value: unknown) {
  return SOURCE_CONNECTION_SCHEMAS[kind].safeParse(value);
}

export const sourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: sourceKindSchema,
  ownerOrgId: z.string(),
  funding: fundingSchema,
  connection: z.record(z.string(), z.unknown()),
  /** Whether credentials are stored (they are never returned). */
  hasSecret: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Set when the source was removed (its file is kept). */
  removedAt: z.string().nullable(),
});
export type Source = z.infer<typeof sourceSchema>;

/** Where a stream profile is pulled from: a path under the source's base URL, or a whole URL. */
export const streamRefSchema = z
  .object({
    path: clientText({ max: 512 })
      .regex(/^\/[^\s@?#]*(?:\?[^\s@#]*)?$/, 'expected an absolute path without whitespace')
      .optional(),
    url: rtspUrl.optional(),
  })
  .strict()
  .refine((p) => p.path === undefined || p.url === undefined, 'give a path or a url, not both');
export type StreamRef = z.infer<typeof streamRefSchema>;

export const cameraProfilesSchema = z
  .object({ main: streamRefSchema.optional(), sub: streamRefSchema.optional() })
  .strict();
export type CameraProfiles = z.infer<typeof cameraProfilesSchema>;

const lon = z.number().min(-180).max(180);
const lat = z.number().min(-90).max(90);

/**
 * A new camera; it starts `registered` (R-REG-3). `districtCode` may be left out: the gateway takes
 * the district the point lies in, and refuses a code that contradicts the point.
 */
export const cameraCreateSchema = z
  .object({
    sourceId: id,
    /** The camera's ID inside its source (GB channel ID, RTSP path key). */
    externalId: clientText({ trim: true, min: 1, max: 64 }).regex(
      /^[A-Za-z0-9._:/-]+$/,
      'letters, digits and . _ : / - only',
    ),
    name: text(200),
    address: text(300).optional(),
    lon,
    lat,
    districtCode: districtCodeSchema.optional(),
    category: siteCategorySchema,
    locationKind: locationKindSchema,
    grade: gradeSchema,
    installer: text(200).optional(),
    profiles: cameraProfilesSchema.default({}),
  })
  .strict();
export type CameraCreate = z.infer<typeof cameraCreateSchema>;

/** PATCH of a camera: `lon` and `lat` together; `null` clears an optional text. */
export const cameraUpdateSchema = z
  .object({
    name: text(200).optional(),
    address: text(300).nullable().optional(),
    lon: lon.optional(),
    lat: lat.optional(),
    districtCode: districtCodeSchema.optional(),
    category: siteCategorySchema.optional(),
    locationKind: locationKindSchema.optional(),
    grade: gradeSchema.optional(),
    installer: text(200).nullable().optional(),
    profiles: cameraProfilesSchema.optional(),
    state: cameraStateSchema.optional(),
  })
  .strict()
  .refine((b) => (b.lon === undefined) === (b.lat === undefined), {
    message: 'lon and lat are changed together',
    path: ['lon'],
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type CameraUpdate = z.infer<typeof cameraUpdateSchema>;

/**
 * Lifecycle (R-REG-3, Art. 14/15): registered → accepted → in_service, one step at a time (never in
 * service before acceptance); removal from any state; removed is final.
 */
export const CAMERA_TRANSITIONS: Readonly<Record<CameraState, readonly CameraState[]>> = {
  registered: ['accepted', 'removed'],
  accepted: ['in_service', 'removed'],
  in_service: ['removed'],
  removed: [],
};

export function canTransition(from: CameraState, to: CameraState): boolean {
  return CAMERA_TRANSITIONS[from].includes(to);
}

export const MAX_SEARCH_RADIUS_M = 50_000;
export const MAX_SEARCH_LIMIT = 500;
export const DEFAULT_SEARCH_LIMIT = 100;

const numbers = (n: number, what: string) =>
  clientText({ max: 200 }).transform((s, ctx) => {
    const parts = s.split(',');
    const xs = parts.map((p) =>
      /^\s*-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\s*$/.test(p) ? Number(p) : Number.NaN,
    );
    if (xs.length !== n || xs.some((x) => !Number.isFinite(x))) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}` });
      return z.NEVER;
    }
    return xs;
  });

/** A query-string value that may repeat (`?category=a&category=b`) or be comma-separated. */
const repeatable = <T extends z.ZodType<unknown, string>>(item: T, max: number) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
    .pipe(z.array(item).min(1).max(max));

/** Filters shared by the search and the map list (query strings). */
const filterShape = {
  /** minLon,minLat,maxLon,maxLat (inclusive). */
  bbox: numbers(4, 'bbox=minLon,minLat,maxLon,maxLat').pipe(
    z
      .tuple([lon, lat, lon, lat])
      .refine(([a, b, c, d]) => a <= c && b <= d, 'expected minLon ≤ maxLon and minLat ≤ maxLat'),
  ),
  district: districtCodeSchema,
  category: repeatable(siteCategorySchema, SITE_CATEGORIES.length),
  grade: repeatable(z.enum(['1', '2', '3', '4'], { message: 'expected a grade 1–4' }).transform(Number), 4),
  state: repeatable(cameraStateSchema, 4),
  /** Text in the name or address (case-insensitive substring). */
  q: clientText({ trim: true, max: 100 }).transform((s) => (s === '' ? undefined : s)),
};

export const cameraSearchQuerySchema = z
  .object({
    bbox: filterShape.bbox.optional(),
    /** lon,lat — with radiusM: cameras within that distance, nearest first, with `distanceM`. */
    near: numbers(2, 'near=lon,lat')
      .pipe(z.tuple([lon, lat]))
      .optional(),
    radiusM: z.coerce.number().positive().max(MAX_SEARCH_RADIUS_M).optional(),
    district: filterShape.district.optional(),
    category: filterShape.category.optional(),
    grade: filterShape.grade.optional(),
    state: filterShape.state.optional(),
    q: filterShape.q.optional(),
    /** `nextCursor` of the previous page (same filters). */
    cursor: clientText({ min: 1, max: 512 }).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(DEFAULT_SEARCH_LIMIT),
  })
  .strict()
  .refine((q) => (q.near === undefined) === (q.radiusM === undefined), {
    message: 'near and radiusM go together',
    path: ['radiusM'],
  });
export type CameraSearchQuery = z.output<typeof cameraSearchQuerySchema>;

export const cameraMapQuerySchema = z
  .object({
    bbox: filterShape.bbox.optional(),
    district: filterShape.district.optional(),
    category: filterShape.category.optional(),
    grade: filterShape.grade.optional(),
    state: filterShape.state.optional(),
    q: filterShape.q.optional(),
    /** `geojson`: a GeoJSON FeatureCollection; `compact` (for the city-wide map): parallel arrays. */
    format: z.enum(['geojson', 'compact']).default('geojson'),
  })
  .strict();
export type CameraMapQuery = z.output<typeof cameraMapQuerySchema>;

/** A camera as the registry answers it (search, read, writes). */
export const cameraItemSchema = z.object({
  id: z.string(),
  sourceId: z.string(),
  externalId: z.string(),
  name: z.string(),
  address: z.string().nullable(),
  lon: z.number(),
  lat: z.number(),
  districtCode: districtCodeSchema,
  category: siteCategorySchema,
  locationKind: locationKindSchema,
  grade: gradeSchema,
  state: cameraStateSchema,
  installer: z.string().nullable(),
  sourceKind: sourceKindSchema,
  funding: fundingSchema,
  ownerOrgId: z.string(),
  /** Which stream profiles the camera has (where they come from is not disclosed). */
  profiles: z.object({ main: z.boolean(), sub: z.boolean() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Metres from `near` (search by radius only). */
  distanceM: z.number().optional(),
  /** Readable only through a major incident's emergency grant (R-ACC-4). */
  emergency: z.boolean().optional(),
});
export type CameraItem = z.infer<typeof cameraItemSchema>;

export const cameraPageSchema = z.object({
  items: z.array(cameraItemSchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
  /** Every match of the filters (all pages); given on the first page, null on later ones. */
  total: z.number().int().nullable(),
});
export type CameraPage = z.infer<typeof cameraPageSchema>;

/**
 * The compact map list: parallel arrays, one entry per camera; `state` and `category` are indexes
 * into `states` and `categories`; `private` and `emergency` are 0/1.
 */
export const cameraMapCompactSchema = z.object({
  format: z.literal('compact'),
  count: z.number().int(),
  states: z.array(cameraStateSchema),
  categories: z.array(siteCategorySchema),
  id: z.array(z.string()),
  lon: z.array(z.number()),
  lat: z.array(z.number()),
  grade: z.array(z.number().int()),
  state: z.array(z.number().int()),
  category: z.array(z.number().int()),
  private: z.array(z.union([z.literal(0), z.literal(1)])),
  emergency: z.array(z.union([z.literal(0), z.literal(1)])),
});
export type CameraMapCompact = z.infer<typeof cameraMapCompactSchema>;

export const cameraMapFeatureSchema = z.object({
  type: z.literal('Feature'),
  id: z.string(),
  geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }),
  properties: z.object({
    grade: gradeSchema,
    state: cameraStateSchema,
    category: siteCategorySchema,
    funding: fundingSchema,
    emergency: z.boolean(),
  }),
});
export const cameraMapGeoJsonSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(cameraMapFeatureSchema),
});
export type CameraMapGeoJson = z.infer<typeof cameraMapGeoJsonSchema>;

/** Index tables of the compact map list (stable order: the enum orders). */
export const MAP_STATES: readonly CameraState[] = cameraStateSchema.options;
export const MAP_CATEGORIES: readonly SiteCategory[] = SITE_CATEGORIES.map((c) => c.code);
