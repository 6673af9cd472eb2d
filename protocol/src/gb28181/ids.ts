import { z } from 'zod';

/**
 * GB/T 28181 identifiers: 20 digits = centre code (8) + industry (2) + type (3) + network (1) +
 * serial (6). The SIP domain (realm) is the first 10 digits.
 */

export const gbIdSchema = z.string().regex(/^\d{20}$/, 'expected a 20-digit GB/T 28181 ID');

export function isGbId(id: string): boolean {
  return /^\d{20}$/.test(id);
}

/** The 3-digit type code (digits 11–13): 111 DVR, 118 NVR, 131 camera, 132 IPC, 200 platform, … */
export function gbIdType(id: string): number | undefined {
  return isGbId(id) ? Number(id.slice(10, 13)) : undefined;
}

/** The SIP domain of an ID (its first 10 digits). */
export function gbDomainOf(id: string): string | undefined {
  return /^\d{10}/.test(id) ? id.slice(0, 10) : undefined;
}

/** Channel (camera-like) IDs are types 131–199. */
export function isGbChannelId(id: string): boolean {
  const t = gbIdType(id);
  return t !== undefined && t >= 131 && t <= 199;
}
