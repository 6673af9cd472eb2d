import { PGlite } from '@electric-sql/pglite';
import {
  cameraStateSchema,
  DISTRICTS,
  type DistrictCode,
  departmentKindSchema,
  fundingSchema,
  type Grade,
  tierSchema,
} from '@wall/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFacts, catalogConditions, decide, type IncidentFacts, type Subject } from './index.ts';

// Parity of the SQL prefilter (catalog-scope.ts) with decide(subject, camera, 'catalog:read'): over
// random subjects, cameras and incidents, the rows the conditions select are exactly the cameras
// the policy allows — narrower would hide cameras from search, wider would rely on the final gate.

const NOW = new Date('2025-06-01T08:00:00Z');
const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000);
const ORGS = ['org-a', 'org-b', 'org-c'] as const;
const DISTRICT_CODES = DISTRICTS.map((d) => d.code) as DistrictCode[];
const gradeArb = fc.constantFrom<Grade>(1, 2, 3, 4);
const districtArb = fc.constantFrom(...DISTRICT_CODES);
const lonArb = fc.double({ min: 119.9, max: 120.0, noNaN: true });
const latArb = fc.double({ min: 31.7, max: 31.8, noNaN: true });

const subjectArb: fc.Arbitrary<Subject> = fc.record({
  userId: fc.constant('u-prop'),
  orgId: fc.constantFrom(...ORGS),
  tier: fc.constantFrom(...tierSchema.options),
  districtCode: fc.option(districtArb, { nil: null }),
  departmentKind: fc.constantFrom(...departmentKindSchema.options),
  roles: fc.subarray(['operator', 'viewer', 'owner', 'admin', 'registrar', 'auditor']),
  clearance: gradeArb,
  countyPoliceCertificate: fc.boolean(),
});

const camerasArb: fc.Arbitrary<CameraFacts[]> = fc
  .array(
    fc.record({
      ownerOrgId: fc.constantFrom(...ORGS),
      funding: fc.constantFrom(...fundingSchema.options),
      districtCode: districtArb,
      grade: gradeArb,
      state: fc.constantFrom(...cameraStateSchema.options),
      lon: lonArb,
      lat: latArb,
    }),
    { minLength: 1, maxLength: 25 },
  )
  .map((list) => list.map((c, i) => ({ ...c, id: `cam-${String(i).padStart(2, '0')}` })));

const incidentsArb: fc.Arbitrary<IncidentFacts[]> = fc
  .array(
    fc.record({
      level: fc.constantFrom<IncidentFacts['level']>(1, 2, 3, 4),
      lon: lonArb,
      lat: latArb,
      radiusM: fc.integer({ min: 0, max: 8000 }),
      openedAt: fc.integer({ min: -600, max: 60 }).map(minutes),
      closedAt: fc.option(fc.integer({ min: -60, max: 600 }).map(minutes), { nil: null }),
    }),
    { maxLength: 3 },
  )
  .map((list) => list.map((inc, i) => ({ ...inc, id: `inc-${i}` })));

/** The placeholder builder the registry's search uses (registry/sql.ts), reduced to what is needed. */
class Params {
  readonly values: unknown[] = [];
  p(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

describe('catalogConditions: the SQL prefilter selects exactly what decide() allows for catalog:read', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`
      CREATE TABLE source_systems (id text PRIMARY KEY, owner_org_id text NOT NULL, funding text NOT NULL);
      CREATE TABLE cameras (id text PRIMARY KEY, source_id text NOT NULL, district_code text NOT NULL,
                            grade int NOT NULL, state text NOT NULL, lon float8 NOT NULL, lat float8 NOT NULL);`);
  });
  afterAll(async () => {
    await db.close();
  });

  async function load(cameras: readonly CameraFacts[]): Promise<void> {
    await db.exec('DELETE FROM cameras; DELETE FROM source_systems;');
    for (const c of cameras) {
      // One source system per camera: owner and funding are the source's facts.
      await db.query('INSERT INTO source_systems VALUES ($1, $2, $3)', [
        `s-${c.id}`,
        c.ownerOrgId,
        c.funding,
      ]);
      await db.query('INSERT INTO cameras VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        c.id,
        `s-${c.id}`,
        c.districtCode,
        c.grade,
        c.state,
        c.lon,
        c.lat,
      ]);
    }
  }

  async function selected(subject: Subject, incidents: readonly IncidentFacts[]): Promise<string[]> {
    const sql = new Params();
    const conditions = catalogConditions(sql, subject, incidents, NOW);
    const { rows } = await db.query<{ id: string }>(
      `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
        WHERE ${conditions.map((c) => `(${c})`).join(' AND ')} ORDER BY c.id`,
      sql.values,
    );
    return rows.map((r) => r.id);
  }

  it('agrees over random subjects, cameras and incidents', async () => {
    await fc.assert(
      fc.asyncProperty(subjectArb, camerasArb, incidentsArb, async (subject, cameras, incidents) => {
        await load(cameras);
        const allowed = cameras
          .filter((c) => decide(subject, c, 'catalog:read', { now: NOW, openIncidents: incidents }).allow)
          .map((c) => c.id)
          .sort();
        expect(await selected(subject, incidents)).toEqual(allowed);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('selects nothing for a district-tier subject without a district', async () => {
    const sql = new Params();
    const subject: Subject = {
      userId: 'u',
      orgId: 'org-a',
      tier: 'district',
      districtCode: null,
      departmentKind: 'police',
      roles: [],
      clearance: 4,
      countyPoliceCertificate: false,
    };
    expect(catalogConditions(sql, subject, [], NOW)[0]).toBe('false');
  });
});
