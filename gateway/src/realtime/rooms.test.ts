import { describe, expect, it } from 'vitest';
import type { CurrentUser } from '../identity/index.ts';
import {
  ADMINS_ROOM,
  cameraRoom,
  orgRoom,
  type RecheckPass,
  roomOf,
  STILL_ALLOWED,
  standingRoomsOf,
  wallRoom,
} from './rooms.ts';

const ORG = '5E0B7A52-1C1D-4B8B-9A43-0F6B2D3C4E5F';
const user = (over: Partial<CurrentUser> = {}): CurrentUser => ({
  id: 'u1',
  username: 'u1',
  displayName: 'U1',
  orgId: ORG.toLowerCase(),
  orgName: 'org',
  tier: 'district',
  districtCode: '320402',
  departmentKind: 'police',
  roles: [],
  clearance: 3,
  workId: 'w1',
  countyPoliceCertificate: false,
  ...over,
});
/** A pass whose facts the sync checks never ask for. */
const noFacts = {} as RecheckPass;

describe('realtime rooms', () => {
  it.each([
    [wallRoom('w-1'), { kind: 'wall', id: 'w-1' }],
    [cameraRoom('c-1'), { kind: 'camera', id: 'c-1' }],
    [orgRoom(ORG), { kind: 'org', id: ORG.toLowerCase() }],
    ['incidents:district:320402', { kind: 'incidents', id: 'district:320402' }],
    ['incidents:city', { kind: 'incidents', id: 'city' }],
    ['XDVI34-5B_emy-3BAAAb', undefined],
  ])('%s → %j', (room, parsed) => {
    expect(roomOf(room)).toEqual(parsed);
  });

  it('puts administrators, and only them, in the storage alarms room', () => {
    expect(standingRoomsOf(user({ roles: ['registry_admin'] }))).toContain(ADMINS_ROOM);
    expect(standingRoomsOf(user())).not.toContain(ADMINS_ROOM);
    expect(standingRoomsOf(user())).toContain(orgRoom(ORG));
  });

  it('has a still-allowed check for each kind of room a socket joins, and none for its own room', () => {
    expect([...STILL_ALLOWED.keys()].sort()).toEqual(['admins', 'camera', 'incidents', 'org', 'wall']);
    expect(STILL_ALLOWED.get('toString')).toBeUndefined();
  });

  const check = (kind: string) => {
    const c = STILL_ALLOWED.get(kind);
    if (!c) throw new Error(`no check for ${kind}`);
    return c;
  };
  it.each([
    ['org: the user’s organisation', 'org', user(), orgRoom(ORG), true],
    ['admins: a registry administrator', 'admins', user({ roles: ['registry_admin'] }), ADMINS_ROOM, true],
    [
      'admins: an auditor is not an administrator',
      'admins',
      user({ roles: ['auditor'] }),
      ADMINS_ROOM,
      false,
    ],
    ['org: an organisation the user left', 'org', user({ orgId: 'other' }), orgRoom(ORG), false],
    [
      'incidents: the district of a district police user',
      'incidents',
      user(),
      'incidents:district:320402',
      true,
    ],
    ['incidents: another district', 'incidents', user(), 'incidents:district:320481', false],
    ['incidents: city room, district user', 'incidents', user(), 'incidents:city', false],
    [
      'incidents: city room, city user',
      'incidents',
      user({ tier: 'city', districtCode: null }),
      'incidents:city',
      true,
    ],
    [
      'incidents: a unit is told of none',
      'incidents',
      user({ tier: 'unit', departmentKind: 'owner' }),
      'incidents:district:320402',
      false,
    ],
  ] as const)('%s', async (_name, kind, u, room, allowed) => {
    const id = roomOf(room)?.id ?? '';
    expect(await check(kind)(u, id, room, noFacts)).toBe(allowed);
  });

  it('wall: allowed while it exists and belongs to the user’s organisation', async () => {
    const owners: Record<string, string | undefined> = { mine: ORG.toLowerCase(), theirs: 'other-org' };
    const pass = { wallOwner: async (id: string) => owners[id] } as unknown as RecheckPass;
    const wall = check('wall');
    expect(await wall(user(), 'mine', wallRoom('mine'), pass)).toBe(true);
    expect(await wall(user(), 'theirs', wallRoom('theirs'), pass)).toBe(false);
    expect(await wall(user(), 'gone', wallRoom('gone'), pass)).toBe(false);
  });
});
