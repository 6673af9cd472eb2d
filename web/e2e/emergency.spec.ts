import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  expect,
  type Page,
  request as playwrightRequest,
  test,
} from '@playwright/test';
import {
  cameraItemSchema,
  emergencyUsePageSchema,
  incidentReviewSchema,
  sessionInfoSchema,
  sourceSchema,
} from '@wall/protocol';
import { districtAt } from '@wall/protocol/districts';
import { z } from 'zod';
import { E2E } from '../playwright.config';

// Emergency access (R-ACC-4) end to end: a private camera of the bank, opened to the city's
// emergency command centre by a level Ⅱ incident, is announced to the bank's signed-in user
// (toast and badge over the realtime socket), listed on its notices page (the organisation, not the
// person) and in the incident's after-action review (the person too); closing the incident ends
// the grant. Real gateway, media node and simulated RTSP cameras (playwright.config.ts).

const SHOTS = join(import.meta.dirname, '..', '..', '.data', 'test-results', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** A point in 天宁区 (320402), away from the demo cameras, and a radius that covers only it. */
const POINT = { lon: 119.99, lat: 31.8 } as const;
const RADIUS_M = 150;
/** A simulated camera of the e2e stack (rtsp://…/camNN/main|sub), served again through the bank's source. */
const SIM_PATH = '/cam08';

function demoPassword(): string {
  if (process.env.WALL_DEMO_PASSWORD) return process.env.WALL_DEMO_PASSWORD;
  const raw = JSON.parse(readFileSync(join(E2E.dataDir, 'demo-credentials.json'), 'utf8')) as {
    password: string;
  };
  return raw.password;
}

interface Api {
  api: APIRequestContext;
  /** The CSRF header (and the web origin) every write carries. */
  write: Record<string, string>;
  user: z.infer<typeof sessionInfoSchema>['user'];
}

/** A gateway API client signed in as `username` (cookie session + CSRF token), as the web app is. */
async function apiAs(username: string): Promise<Api> {
  const api = await playwrightRequest.newContext({
    baseURL: E2E.gatewayUrl,
    extraHTTPHeaders: { origin: E2E.webUrl },
  });
  const res = await api.post('/api/auth/login', { data: { username, password: demoPassword() } });
  expect(res.status(), await res.text()).toBe(200);
  const info = sessionInfoSchema.parse(await res.json());
  return { api, write: { 'x-csrf-token': info.csrfToken }, user: info.user };
}

/** A browser context signed in as `username` through the login page (it lands on /walls). */
async function signIn(browser: Browser, username: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: E2E.webUrl, viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(demoPassword());
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/walls$/, { timeout: 20_000 });
  await expect(page.getByTestId('top-user')).toHaveAttribute('data-username', username);
  return { context, page };
}

async function live(a: Api, cameraId: string, profile: 'main' | 'sub') {
  const res = await a.api.post(`/api/cameras/${cameraId}/live`, { headers: a.write, data: { profile } });
  return { status: res.status(), body: (await res.json()) as Record<string, unknown> };
}

const errorSchema = z.object({ code: z.string(), message: z.string() });
const liveGrantSchema = z.object({ token: z.string().min(1), nodeUrl: z.string(), emergency: z.boolean() });
const incidentSchema = z.object({
  id: z.guid(),
  title: z.string(),
  level: z.number(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  grantEndsAt: z.string().nullable(),
  confirmBy: z.string().nullable(),
});

test('R-ACC-4: a private camera opened by a level Ⅱ incident is told to its owner and listed in the review', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const tag = randomUUID().slice(0, 8);
  const cameraName = `江南农商行天宁支行营业厅入口 ${tag}`;
  const incidentTitle = `天宁区应急演练 ${tag}`;
  const admin = await apiAs('admin');
  const eoc = await apiAs('eoc.operator');
  const bank = await apiAs('bank.owner');
  const contexts: BrowserContext[] = [];
  let sourceId: string | undefined;
  let cameraId: string | undefined;
  let incidentId: string | undefined;
  let incidentClosed = false;
  try {
    expect(bank.user.tier).toBe('unit');
    expect(bank.user.orgName).toBe('江南农村商业银行天宁支行');
    expect(eoc.user.departmentKind).toBe('emergency');
    expect(districtAt(POINT.lon, POINT.lat)).toBe('320402');

    // ——— admin: the bank's private RTSP system, pointing at the simulated camera server ———
    const sources = z
      .object({ sources: z.array(sourceSchema) })
      .parse(await (await admin.api.get('/api/sources')).json()).sources;
    const sim = sources.find((s) => s.connection.simulated === true);
    const baseUrl = z.string().startsWith('rtsp://').parse(sim?.connection.baseUrl);
    const src = await admin.api.post('/api/sources', {
      headers: admin.write,
      data: {
        name: `江南农商行天宁支行监控系统(应急测试 ${tag})`,
        kind: 'rtsp',
        ownerOrgId: bank.user.orgId,
        funding: 'private',
        connection: { baseUrl },
      },
    });
    expect(src.status(), await src.text()).toBe(201);
    const source = sourceSchema.parse(await src.json());
    sourceId = source.id;
    expect(source.funding).toBe('private');

    const cam = await admin.api.post('/api/cameras', {
      headers: admin.write,
      data: {
        sourceId,
        externalId: `e2e-emergency-${tag}`,
        name: cameraName,
        lon: POINT.lon,
        lat: POINT.lat,
        districtCode: '320402',
        category: 'financial_vaults',
        locationKind: 'entrance',
        grade: 2,
        profiles: { main: { path: `${SIM_PATH}/main` }, sub: { path: `${SIM_PATH}/sub` } },
      },
    });
    expect(cam.status(), await cam.text()).toBe(201);
    const camera = cameraItemSchema.parse(await cam.json());
    cameraId = camera.id;
    for (const state of ['accepted', 'in_service'] as const) {
      const res = await admin.api.patch(`/api/cameras/${cameraId}`, {
        headers: admin.write,
        data: { state },
      });
      expect(res.status(), await res.text()).toBe(200);
    }
    const filed = cameraItemSchema.parse(await (await bank.api.get(`/api/cameras/${cameraId}`)).json());
    expect(filed).toMatchObject({
      state: 'in_service',
      funding: 'private',
      ownerOrgId: bank.user.orgId,
      districtCode: '320402',
    });

    // ——— bank.owner: the notices page once (the "seen" marker), then the walls page stays open ———
    const owner = await signIn(browser, 'bank.owner');
    contexts.push(owner.context);
    await owner.page.goto('/notices');
    await expect(owner.page.getByTestId('notices')).toHaveAttribute('data-phase', 'ready', {
      timeout: 20_000,
    });
    await expect(owner.page.getByTestId('notices-error')).toHaveCount(0);
    await owner.page.goto('/walls');
    const badge = owner.page.getByTestId('notices-badge');
    await expect(badge).toHaveAttribute('data-state', 'ok', { timeout: 20_000 });
    await expect(badge).toHaveAttribute('data-count', '0');
    await expect(owner.page.getByTestId('notices-count')).toHaveCount(0);

    // ——— eoc.operator: refused before the incident, opened by it ———
    const before = await live(eoc, cameraId, 'sub');
    expect(before.status).toBe(403);
    expect(errorSchema.parse(before.body).code).toBe('forbidden:private');

    const opened = await eoc.api.post('/api/incidents', {
      headers: eoc.write,
      data: { title: incidentTitle, level: 2, lon: POINT.lon, lat: POINT.lat, radiusM: RADIUS_M },
    });
    expect(opened.status(), await opened.text()).toBe(201);
    const incident = incidentSchema.parse(await opened.json());
    incidentId = incident.id;
    // The grant opens at once and lapses INCIDENT_CONFIRM_S (900) after opening unless a second
    // command user confirms it (then it lasts until closing, at most EMERGENCY_GRANT_MAX_H).
    expect(Date.parse(incident.grantEndsAt ?? '') - Date.parse(incident.openedAt)).toBe(900_000);
    expect(incident.grantEndsAt).toBe(incident.confirmBy);

    const sub = await live(eoc, cameraId, 'sub');
    expect(sub.status, JSON.stringify(sub.body)).toBe(200);
    expect(liveGrantSchema.parse(sub.body).emergency).toBe(true);

    // The owner's list has it, attributed to the incident and the organisation.
    const afterSub = emergencyUsePageSchema.parse(
      await (await bank.api.get('/api/emergency-uses?limit=5')).json(),
    );
    const subUse = afterSub.uses[0];
    expect(subUse).toMatchObject({
      cameraId,
      cameraName,
      incidentId,
      incidentTitle,
      incidentLevel: 2,
      profile: 'sub',
      actorOrgName: eoc.user.orgName,
      actorDepartment: 'emergency',
    });
    if (!subUse) throw new Error('unreachable');

    // The owner's open page is told at once: a toast (camera, incident, organisation) and the badge.
    const toast = owner.page.locator(`[data-testid="notice-toast"][data-seq="${subUse.seq}"]`);
    await expect(toast).toBeVisible({ timeout: 20_000 });
    await expect(toast).toHaveAttribute('data-camera-id', cameraId);
    await expect(toast.getByTestId('toast-camera')).toHaveText(`${cameraName} · 子码流`);
    await expect(toast.getByTestId('toast-incident')).toHaveText(`${incidentTitle}（Ⅱ级）`, {
      timeout: 20_000,
    });
    await expect(toast.getByTestId('toast-org')).toHaveText(`${eoc.user.orgName}（应急管理部门）`);
    await expect(toast).not.toContainText('eoc.operator');
    await expect(badge).toHaveAttribute('data-count', '1', { timeout: 20_000 });
    await expect(owner.page.getByTestId('notices-count')).toHaveText('1');

    // A second use (the main profile): a second toast, the badge counts both.
    const main = await live(eoc, cameraId, 'main');
    expect(main.status, JSON.stringify(main.body)).toBe(200);
    expect(liveGrantSchema.parse(main.body).emergency).toBe(true);
    const afterMain = emergencyUsePageSchema.parse(
      await (await bank.api.get('/api/emergency-uses?limit=5')).json(),
    );
    const mainUse = afterMain.uses[0];
    expect(mainUse).toMatchObject({ cameraId, incidentId, profile: 'main', actorOrgName: eoc.user.orgName });
    expect(afterMain.uses[1]?.seq).toBe(subUse.seq);
    if (!mainUse) throw new Error('unreachable');
    await expect(owner.page.locator(`[data-testid="notice-toast"][data-seq="${mainUse.seq}"]`)).toBeVisible({
      timeout: 20_000,
    });
    await expect(badge).toHaveAttribute('data-count', '2', { timeout: 20_000 });
    await owner.page.screenshot({ path: join(SHOTS, 'emergency-toast.png') });

    // ——— the notices page, one use per page: newest first, then "older"; seeing it clears the badge ———
    await owner.page.goto('/notices?limit=1');
    const rows = owner.page.getByTestId('notice-row');
    await expect(rows).toHaveCount(1, { timeout: 20_000 });
    const first = rows.nth(0);
    await expect(first).toHaveAttribute('data-seq', String(mainUse.seq));
    await expect(first.locator('[data-col="camera"]')).toHaveText(cameraName);
    await expect(first.locator('[data-col="incident"]')).toHaveText(`${incidentTitle}（Ⅱ级）`);
    await expect(first.locator('[data-col="org"]')).toHaveText(`${eoc.user.orgName}（应急管理部门）`);
    await expect(first.locator('[data-col="profile"]')).toHaveText('主码流');
    await owner.page.getByTestId('notices-older').click();
    await expect(rows).toHaveCount(2, { timeout: 20_000 });
    await expect(rows.nth(1)).toHaveAttribute('data-seq', String(subUse.seq));
    await expect(rows.nth(1).locator('[data-col="profile"]')).toHaveText('子码流');
    await expect(rows.nth(1).locator('[data-col="incident"]')).toHaveText(`${incidentTitle}（Ⅱ级）`);
    await owner.page.screenshot({ path: join(SHOTS, 'emergency-notices.png') });
    // The owner learns which organisation watched, never who.
    const list = owner.page.getByTestId('notices');
    await expect(list).not.toContainText('eoc.operator');
    await expect(list).not.toContainText(eoc.user.displayName);
    await expect(badge).toHaveAttribute('data-count', '0', { timeout: 20_000 });
    // The same list in English (this run's two uses: the data dir may keep earlier runs' uses).
    await owner.page.goto('/notices?lang=en&limit=2');
    await expect(rows).toHaveCount(2, { timeout: 20_000 });
    await expect(rows.nth(0).locator('[data-col="incident"]')).toHaveText(`${incidentTitle} (level Ⅱ)`);
    await expect(rows.nth(0).locator('[data-col="org"]')).toHaveText(
      `${eoc.user.orgName} (emergency management)`,
    );
    await expect(rows.nth(0).locator('[data-col="profile"]')).toHaveText('main');
    await expect(badge).toHaveText('Notices');
    // The marker outlasts the page: another page of the app shows no unseen use either.
    await owner.page.goto('/walls');
    await expect(badge).toHaveAttribute('data-state', 'ok', { timeout: 20_000 });
    await expect(badge).toHaveAttribute('data-count', '0');

    // ——— eoc.operator: the map's incident list links the review; it lists both uses, the person too ———
    const review = incidentReviewSchema.parse(
      await (await eoc.api.get(`/api/incidents/${incidentId}/review`)).json(),
    );
    expect(review.summary).toEqual({
      uses: 2,
      withheld: 0,
      cameras: 1,
      privateCameras: 1,
      users: 1,
      ownerOrgs: 1,
    });
    const commander = await signIn(browser, 'eoc.operator');
    contexts.push(commander.context);
    // The map's feed and the top bar's notices share the page's one realtime socket.
    // (Counted as open at once: the page left after signing in may still open or close its own.)
    await commander.page.goto('about:blank');
    const gatewayHost = new URL(E2E.gatewayUrl).host;
    let openSockets = 0;
    commander.page.on('websocket', (ws) => {
      if (new URL(ws.url()).host !== gatewayHost) return;
      openSockets++;
      ws.on('close', () => openSockets--);
    });
    await commander.page.goto('/map');
    const listed = commander.page.getByTestId('incident-list').locator(`[data-incident-id="${incidentId}"]`);
    await expect(listed).toContainText(incidentTitle, { timeout: 30_000 });
    // The list says until when the grant runs.
    await expect(listed.getByTestId('incident-grant')).toHaveAttribute(
      'data-ends-at',
      incident.grantEndsAt ?? '',
    );
    await expect(listed.getByTestId('incident-grant')).toContainText('应急授权至 ');
    await expect(commander.page.getByTestId('notices-badge')).toBeVisible();
    await commander.page.waitForTimeout(1000); // a second socket, if any, would be open by now
    expect(openSockets).toBe(1);
    await listed.getByTestId('incident-review').click();
    await expect(commander.page).toHaveURL(new RegExp(`/incidents/${incidentId}/review$`), {
      timeout: 20_000,
    });
    await expect(commander.page.getByTestId('review-title')).toHaveText(`事后复盘：${incidentTitle}`);
    const figures = {
      uses: '2',
      withheld: '0',
      cameras: '1',
      'private-cameras': '1',
      users: '1',
      'owner-orgs': '1',
    };
    for (const [key, value] of Object.entries(figures))
      await expect(commander.page.getByTestId(`summary-${key}`)).toHaveText(value);
    await expect(commander.page.getByTestId('review-closed-at')).toHaveText('进行中');
    const uses = commander.page.getByTestId('review-use');
    await expect(uses).toHaveCount(2);
    const oldestFirst = [
      [subUse.seq, '子码流'],
      [mainUse.seq, '主码流'],
    ] as const;
    for (const [i, [seq, profile]] of oldestFirst.entries()) {
      const row = uses.nth(i);
      await expect(row).toHaveAttribute('data-seq', String(seq));
      await expect(row).toHaveAttribute('data-withheld', 'false');
      await expect(row.locator('[data-col="user"]')).toHaveText('eoc.operator');
      await expect(row.locator('[data-col="org"]')).toHaveText(`${eoc.user.orgName}（应急管理部门）`);
      await expect(row.locator('[data-col="camera"]')).toHaveText(cameraName);
      await expect(row.locator('[data-col="owner"]')).toHaveText('江南农村商业银行天宁支行');
      await expect(row.locator('[data-col="funding"]')).toHaveText('社会自建');
      await expect(row.locator('[data-col="profile"]')).toHaveText(profile);
      await expect(row.locator('[data-col="withheld"]')).toHaveText('');
    }

    await commander.page.screenshot({ path: join(SHOTS, 'emergency-review.png') });

    // ——— tianning.staff (district administration): refused, in words and with the code ———
    const staff = await signIn(browser, 'tianning.staff');
    contexts.push(staff.context);
    await staff.page.goto(`/incidents/${incidentId}/review`);
    const refused = staff.page.getByTestId('review-refused');
    await expect(refused).toHaveAttribute('data-code', 'forbidden:role');
    await expect(refused).toHaveText(
      '无法查看复盘: 仅审计人员和该事件涉及的公安、应急指挥人员可查看事后复盘 (forbidden:role)',
    );
    await expect(staff.page.getByTestId('review-use')).toHaveCount(0);
    await expect(staff.page.getByTestId('review')).toHaveCount(0);
    await staff.page.screenshot({ path: join(SHOTS, 'emergency-review-refused.png') });

    // ——— a wall tile plays the camera under the grant (a page of the commander's session) ———
    const wallRes = await eoc.api.post('/api/walls', {
      headers: eoc.write,
      data: { name: `应急墙 ${tag}`, layout: '4' },
    });
    expect(wallRes.status(), await wallRes.text()).toBe(201);
    const wallId = z.object({ id: z.string() }).parse(await wallRes.json()).id;
    const assigned = await eoc.api.post(`/api/walls/${wallId}/commands`, {
      headers: eoc.write,
      data: { type: 'assign', version: 0, index: 0, cameraId },
    });
    expect(assigned.status(), await assigned.text()).toBe(200);
    const wallPage = await commander.context.newPage();
    await wallPage.goto(`/walls/${wallId}`);
    const tile0 = wallPage.locator('[data-testid="wall-tile"][data-index="0"]');
    await expect(tile0).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
    await expect(tile0).toContainText('R-ACC-4');

    // ——— closing the incident ends the grant: the playing tile stops within 2 s and says why;
    // the review keeps the uses and shows the end ———
    const closingAt = Date.now();
    const closed = await eoc.api.post(`/api/incidents/${incidentId}/close`, { headers: eoc.write });
    expect(closed.status(), await closed.text()).toBe(200);
    incidentClosed = true;
    await expect(tile0).toHaveAttribute('data-error', 'revoked:grant_ended', { timeout: 5000 });
    const cutMs = Date.now() - closingAt;
    test.info().annotations.push({ type: 'incident closed → tile stopped (ms)', description: String(cutMs) });
    expect(cutMs).toBeLessThan(2000 + 1000); // 2 s on the node, plus the close request
    await expect(tile0).toHaveAttribute('data-state', 'denied');
    await expect(tile0.getByTestId('tile-error')).toContainText('应急授权已结束');
    await wallPage.screenshot({ path: join(SHOTS, 'emergency-grant-ended-tile.png') });
    await wallPage.close();
    const after = await live(eoc, cameraId, 'sub');
    expect(after.status).toBe(403);
    expect(errorSchema.parse(after.body).code).toBe('forbidden:private');
    await commander.page.reload();
    await expect(commander.page.getByTestId('review-closed-at')).toHaveAttribute(
      'datetime',
      z.string().parse(incidentSchema.parse(await closed.json()).closedAt),
    );
    // Three uses now: the two above and the wall tile's (its token renewals are not new uses).
    await expect(commander.page.getByTestId('summary-uses')).toHaveText('3');

    // ——— /incidents: the closed incident with its end and its grant's end, and its review ———
    const closedAt = z.string().parse(incidentSchema.parse(await closed.json()).closedAt);
    const row = (p: Page) => p.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`);
    await commander.page.goto('/incidents?show=open&lang=en');
    await expect(commander.page.getByTestId('incident-filters')).toBeVisible();
    await expect(row(commander.page)).toHaveCount(0);
    await commander.page.getByTestId('incident-filters').getByText('Closed').click();
    await expect(commander.page).toHaveURL(/\/incidents\?show=closed&lang=en$/);
    await expect(row(commander.page).getByTestId('incident-closed-at').locator('time')).toHaveAttribute(
      'datetime',
      closedAt,
    );
    await expect(row(commander.page).getByTestId('incident-grant-ends')).toHaveAttribute(
      'datetime',
      closedAt,
    );
    await commander.page.screenshot({ path: join(SHOTS, 'incidents.png') });
    await row(commander.page).getByTestId('incident-review-link').click();
    await expect(commander.page).toHaveURL(new RegExp(`/incidents/${incidentId}/review\\?lang=en$`));
    await expect(commander.page.getByTestId('review-title')).toHaveText(
      `After-action review: ${incidentTitle}`,
    );
    // The district administration is not among those the incident concerns: it is not listed to it.
    // The bank, whose camera the grant opened, is shown it (with no way to the review).
    await staff.page.goto('/incidents?show=closed');
    await expect(staff.page.getByTestId('incident-filters')).toBeVisible();
    await expect(row(staff.page)).toHaveCount(0);
    await owner.page.goto('/incidents?show=closed');
    await expect(row(owner.page)).toHaveCount(1);
    await expect(row(owner.page).getByTestId('incident-review-link')).toHaveCount(0);
  } finally {
    if (incidentId && !incidentClosed)
      await eoc.api.post(`/api/incidents/${incidentId}/close`, { headers: eoc.write });
    if (cameraId) await admin.api.delete(`/api/cameras/${cameraId}`, { headers: admin.write });
    if (sourceId) await admin.api.delete(`/api/sources/${sourceId}`, { headers: admin.write });
    for (const c of contexts) await c.close();
    for (const a of [admin, eoc, bank]) await a.api.dispose();
  }
});

test('a major incident is confirmed by a second command user on /incidents; the declarer is refused in words', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const tag = randomUUID().slice(0, 8);
  const eoc = await apiAs('eoc.operator');
  const contexts: BrowserContext[] = [];
  let incidentId: string | undefined;
  try {
    const opened = await eoc.api.post('/api/incidents', {
      headers: eoc.write,
      data: { title: `待确认演练 ${tag}`, level: 2, lon: POINT.lon, lat: POINT.lat, radiusM: RADIUS_M },
    });
    expect(opened.status(), await opened.text()).toBe(201);
    const incident = incidentSchema.parse(await opened.json());
    incidentId = incident.id;
    const row = (p: Page) => p.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`);

    // The declarer sees it waiting, and may not confirm it.
    const declarer = await signIn(browser, 'eoc.operator');
    contexts.push(declarer.context);
    await declarer.page.goto('/incidents?show=open');
    await expect(row(declarer.page).getByTestId('incident-confirmation')).toHaveAttribute(
      'data-state',
      'pending',
    );
    await expect(row(declarer.page).getByTestId('incident-confirmation')).toContainText(
      '待另一名指挥人员确认',
    );
    await row(declarer.page).getByTestId('incident-confirm').click();
    const refused = row(declarer.page).getByTestId('incident-confirm-refused');
    await expect(refused).toHaveAttribute('data-code', 'forbidden:same_person');
    await expect(refused).toContainText('申报人不能确认本人申报的事件');
    await declarer.page.screenshot({ path: join(SHOTS, 'incident-confirm-refused.png') });

    // A second command user (city police) confirms it: the grant no longer lapses.
    const second = await signIn(browser, 'police.dispatcher');
    contexts.push(second.context);
    await second.page.goto('/incidents?show=open&lang=en');
    await expect(row(second.page).getByTestId('incident-confirmation')).toContainText('awaiting');
    await row(second.page).getByTestId('incident-confirm').click();
    await expect(row(second.page).getByTestId('incident-confirmation')).toHaveAttribute(
      'data-state',
      'confirmed',
      {
        timeout: 10_000,
      },
    );
    await expect(row(second.page).getByTestId('incident-confirmation')).toContainText(
      'confirmed by police.dispatcher',
    );
    await expect(row(second.page).getByTestId('incident-confirm')).toHaveCount(0);
    await second.page.screenshot({ path: join(SHOTS, 'incident-confirmed-en.png') });

    // The review says so too.
    await declarer.page.goto(`/incidents/${incidentId}/review`);
    await expect(declarer.page.getByTestId('review-confirmation')).toContainText('police.dispatcher');
    await expect(
      declarer.page.getByTestId('review-confirmation').getByTestId('incident-confirmation'),
    ).toHaveAttribute('data-state', 'confirmed');
    await declarer.page.screenshot({ path: join(SHOTS, 'incident-review-confirmed.png') });
  } finally {
    if (incidentId) await eoc.api.post(`/api/incidents/${incidentId}/close`, { headers: eoc.write });
    for (const c of contexts) await c.close();
    await eoc.api.dispose();
  }
});
