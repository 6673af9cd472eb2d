import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The demo's GB/T 28181 source system, filed through the gateway's registry API (as a registry
 * administrator would) so that the simulated platform may register: its device ID and a password
 * made once and kept in the data directory (mode 0600).
 */

export const DEMO_GB = {
  /** Our platform (type 200) and its domain. */
  domain: '3204000000',
  serverId: '32040000002000000001',
  /** The simulated 天宁区 platform: centre 32040200, industry 00, type 200, network 0, serial 1. */
  deviceId: '32040200002000000001',
  civilCode: '320402',
  name: '天宁区视频专网 GB/T 28181 平台（模拟）',
  /** The demo source whose owner (天宁分局) files the platform too. */
  ownerSourceName: '天宁区社会治安监控平台',
} as const;

/** Catalogue defaults of a trusted government platform (see gateway/src/gb28181/settings.ts). */
const CATALOGUE_DEFAULTS = {
  trusted: true,
  defaultGrade: 1,
  siteCategory: 'transport',
  locationKind: 'intersection',
};

const sourceList = z.object({
  sources: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: z.string(),
      ownerOrgId: z.string(),
      connection: z.record(z.string(), z.unknown()),
      removedAt: z.string().nullable(),
    }),
  ),
});

export function gbSimPassword(dataDir: string): string {
  const file = join(dataDir, 'gb-sim.json');
  if (existsSync(file)) {
    const kept = z.object({ password: z.string().min(12) }).safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (kept.success) return kept.data.password;
  }
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${JSON.stringify({ password }, null, 2)}\n`, { mode: 0o600 });
  return password;
}

/**
 * Makes sure the gateway has the GB source of the simulated platform with this password. Returns
 * a note when the registry refused the catalogue defaults (then new channels are filed
 * `registered` and need acceptance before anyone may view them).
 */
export async function provisionGbSource(args: {
  gatewayUrl: string;
  origin: string;
  adminPassword: string;
  password: string;
}): Promise<{ sourceId: string; created: boolean; note?: string }> {
  const login = await fetch(`${args.gatewayUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: args.origin },
    body: JSON.stringify({ username: 'admin', password: args.adminPassword }),
  });
  if (!login.ok) throw new Error(`GB demo: the registry administrator cannot sign in (${login.status})`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = z.object({ csrfToken: z.string() }).parse(await login.json());
  const headers = {
    cookie,
    origin: args.origin,
    'x-csrf-token': csrfToken,
    'content-type': 'application/json',
  };
  const list = sourceList.parse(await (await fetch(`${args.gatewayUrl}/api/sources`, { headers })).json());
  const existing = list.sources.find(
    (s) => s.kind === 'gb28181' && s.connection.deviceId === DEMO_GB.deviceId && s.removedAt === null,
  );
  if (existing) {
    // The password kept in the data directory is the one the platform registers with.
    const res = await fetch(`${args.gatewayUrl}/api/sources/${existing.id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ secret: { password: args.password } }),
    });
    if (!res.ok) throw new Error(`GB demo: the platform's password was not updated (${res.status})`);
    return { sourceId: existing.id, created: false };
  }
  const owner = list.sources.find((s) => s.name === DEMO_GB.ownerSourceName)?.ownerOrgId;
  if (!owner) throw new Error(`GB demo: no source named ${DEMO_GB.ownerSourceName} to take the owner from`);
  const create = (connection: Record<string, unknown>) =>
    fetch(`${args.gatewayUrl}/api/sources`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: DEMO_GB.name,
        kind: 'gb28181',
        ownerOrgId: owner,
        funding: 'government',
        connection,
        secret: { password: args.password },
      }),
    });
  let res = await create({ deviceId: DEMO_GB.deviceId, ...CATALOGUE_DEFAULTS });
  let note: string | undefined;
  if (res.status === 400) {
    res = await create({ deviceId: DEMO_GB.deviceId });
    note =
      'the registry does not take GB catalogue defaults yet: the platform’s channels are filed as registered (accept them to view)';
  }
  if (res.status !== 201) throw new Error(`GB demo: the platform's source was not filed (${res.status})`);
  const { id } = z.object({ id: z.string() }).parse(await res.json());
  return { sourceId: id, created: true, ...(note ? { note } : {}) };
}
