import { expect, test } from '@playwright/test';
import { E2E } from '../playwright.config';

test('the root URL leads to the login page, with the gateway reported up', async ({ page }) => {
  const res = await page.goto('/');
  expect(res?.status()).toBe(200);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('应急指挥视频墙');
  await expect(page.getByTestId('login-username')).toBeVisible();
  await expect(page.getByTestId('login-password')).toHaveAttribute('type', 'password');
  await expect(page.getByTestId('gateway-status')).toHaveAttribute('data-state', 'ok');
  await page.screenshot({ path: `${test.info().outputDir}/../screenshots/login-zh.png`, fullPage: true });
});

test('the login page switches to English', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('link', { name: 'English' }).click();
  await expect(page).toHaveURL(/lang=en/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Emergency Command Video Wall');
  await expect(page.getByTestId('login-submit')).toHaveText('Sign in');
  await page.screenshot({ path: `${test.info().outputDir}/../screenshots/login-en.png`, fullPage: true });
});

test('both services report healthy to the browser origin, and CORS admits only the web origin', async ({
  request,
}) => {
  const gw = await request.get(`${E2E.gatewayUrl}/healthz`, { headers: { origin: E2E.webUrl } });
  expect(gw.status()).toBe(200);
  expect(gw.headers()['access-control-allow-origin']).toBe(E2E.webUrl);
  expect(await gw.json()).toMatchObject({
    service: 'gateway',
    status: 'ok',
    checks: { database: { ok: true, detail: 'pglite' } },
  });
  const evil = await request.get(`${E2E.gatewayUrl}/healthz`, { headers: { origin: 'http://evil.example' } });
  expect(evil.headers()['access-control-allow-origin']).toBeUndefined();
  const media = await request.get(`${E2E.mediaUrl}/healthz`);
  expect(media.status()).toBe(200);
  expect(await media.json()).toMatchObject({
    service: 'media-server',
    status: 'ok',
    checks: { 'worker:0': { ok: true } },
  });
});

test('the diagnostics player is no way around sign-in: an anonymous request gets the login page', async ({
  page,
}) => {
  const q = new URLSearchParams({ node: E2E.mediaUrl, token: 'a.b.c' });
  const res = await page.goto(`/lab/player?${q.toString()}`);
  expect(res?.status()).toBe(200);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('login-username')).toBeVisible();
  await expect(page.getByTestId('lab-note')).toHaveCount(0);
  await expect(page.locator('video')).toHaveCount(0);

  await page.goto(`/lab/player?${q.toString()}&lang=en`);
  await expect(page).toHaveURL(/\/login\?lang=en$/);
  await expect(page.getByTestId('login-submit')).toHaveText('Sign in');
});
