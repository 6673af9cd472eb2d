import {
  type Grade,
  isPrivateSpace,
  type LocationKind,
  locationKindSchema,
  type SiteCategory,
  siteCategorySchema,
} from '@wall/protocol';
import { z } from 'zod';
import { FLOW_BINDINGS, type FlowBinding } from './flow-binding.ts';

/**
 * What the gateway reads from a GB source system's `connection` settings. The registry validates
 * `deviceId`, `host`, `port`, `transport`; the catalogue defaults below are read when present
 * (see the report: the registry's gb28181 connection schema should accept them):
 *  - `defaultGrade` (1–4): the grade of the channels (the `Secrecy` flag may raise it);
 *  - `siteCategory`, `locationKind`: filed for each new channel;
 *  - `trusted`: a government platform whose channels were accepted there → new channels `accepted`;
 *  - `mediaTransport`: `tcp-passive` | `udp` for this device's live streams;
 *  - `flowBinding`: `strict` (default) | `same-address` — which flows its requests other than
 *    REGISTER are accepted on (ADR 0009).
 * A value that does not parse is ignored (the default applies), never an error at REGISTER time.
 */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const connectionSchema = z.object({
  deviceId: z.string().regex(/^\d{20}$/),
  transport: lenient(z.enum(['udp', 'tcp'])),
  defaultGrade: lenient(z.number().int().min(1).max(4)),
  siteCategory: lenient(siteCategorySchema),
  locationKind: lenient(locationKindSchema.refine((k) => !isPrivateSpace(k))),
  trusted: lenient(z.boolean()),
  mediaTransport: lenient(z.enum(['tcp-passive', 'udp'])),
  flowBinding: lenient(z.enum(FLOW_BINDINGS)),
});

export interface GbSourceSettings {
  deviceId: string;
  defaultGrade: Grade;
  siteCategory: SiteCategory;
  locationKind: LocationKind;
  trusted: boolean;
  mediaTransport: 'tcp-passive' | 'udp' | undefined;
  flowBinding: FlowBinding;
}

/** Filed when the source says nothing: Art. 7(12) "other designated", a road, grade 1. */
export const GB_DEFAULTS = {
  defaultGrade: 1 as Grade,
  siteCategory: 'other_designated' as SiteCategory,
  locationKind: 'road' as LocationKind,
};

export function gbSettings(connection: unknown): GbSourceSettings | undefined {
  const c = connectionSchema.safeParse(connection);
  if (!c.success) return undefined;
  return {
    deviceId: c.data.deviceId,
    defaultGrade: (c.data.defaultGrade ?? GB_DEFAULTS.defaultGrade) as Grade,
    siteCategory: c.data.siteCategory ?? GB_DEFAULTS.siteCategory,
    locationKind: c.data.locationKind ?? GB_DEFAULTS.locationKind,
    trusted: c.data.trusted ?? false,
    mediaTransport: c.data.mediaTransport,
    flowBinding: c.data.flowBinding ?? 'strict',
  };
}
