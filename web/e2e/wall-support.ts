import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  expect,
  type Page,
  request as playwrightRequest,
} from '@playwright/test';
import { E2E } from '../playwright.config';

// What the wall specs share: the demo users' password, signing in (browser and API), camera search,
// walls and their commands, a tile's locator, the screenshots folder.

export const SHOTS = join(import.meta.dirname, '..', '..', '.data', 'test-results', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

export function demoPassword(): string {
  const raw = JSON.parse(readFileSync(join(E2E.dataDir, 'demo-credentials.json'), 'utf8')) as {
    password: string;
  };
  return raw.password;
}

/** A gateway API client signed in as `username` (cookie session + CSRF token). */
export async function apiAs(
  username: string,
): Promise<{ api: APIRequestContext; csrf: string; close: () => Promise<void> }> {
  const api = await playwrightRequest.newContext({
    baseURL: E2E.gatewayUrl,
    extraHTTPHeaders: { origin: E2E.webUrl },
  });
  const res = await api.post('/api/auth/login', { data: { username, password: demoPassword() } });
  expect(res.status(), await res.text()).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { api, csrf: csrfToken, close: () => api.dispose() };
}

export interface CameraItem {
  id: string;
  name: string;
  districtCode: string;
  grade: number;
  state: string;
  sourceKind?: string;
}

export async function cameras(api: APIRequestContext, query: string): Promise<CameraItem[]> {
  const res = await api.get(`/api/cameras?${query}`);
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { items: CameraItem[] }).items;
}

export interface Wall {
  id: string;
  version: number;
  layout: string;
  tiles: { index: number; cameraId: string | null }[];
}

export async function createWall(
  a: { api: APIRequestContext; csrf: string },
  name: string,
  layout: string,
): Promise<Wall> {
  const res = await a.api.post('/api/walls', { headers: { 'x-csrf-token': a.csrf }, data: { name, layout } });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as Wall;
}

export async function command(
  a: { api: APIRequestContext; csrf: string },
  wallId: string,
  cmd: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await a.api.post(`/api/walls/${wallId}/commands`, {
    headers: { 'x-csrf-token': a.csrf },
    data: cmd,
  });
  return { status: res.status(), body: (await res.json()) as Record<string, unknown> };
}

export const tile = (page: Page, i: number) => page.locator(`[data-testid="wall-tile"][data-index="${i}"]`);

/** A browser context signed in as `username` through the login page (`initScripts`: run in every page first). */
export async function signIn(
  browser: Browser,
  username: string,
  options: { initScripts?: (string | { path: string })[]; locale?: string; timezoneId?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: E2E.webUrl,
    viewport: { width: 1440, height: 860 },
    ...(options.locale ? { locale: options.locale } : {}),
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  for (const script of options.initScripts ?? []) await context.addInitScript(script);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(demoPassword());
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/walls$/, { timeout: 15_000 });
  await expect(page.getByTestId('top-user')).toHaveAttribute('data-username', username);
  return { context, page };
}
