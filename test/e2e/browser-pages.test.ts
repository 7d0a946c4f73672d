/**
 * The LM's pages in a real browser (Debian's headless Chromium through playwright-core): Swagger UI lists every
 * operation of the OpenAPI document and "Try it out" on GET /api/v2 answers 200 in the page, also under
 * LM_API_TOKEN through the Authorize dialog; the Temporal Web UI at an instance's ui_url shows the workflow, its
 * search attributes and its current details. Screenshots in .data/screenshots/.
 */
import type { Page } from 'playwright-core';
import { submit } from '../support/api-calls';
import { openBrowser, type Browser } from '../support/browser';
import { startDevServer, type DevServer } from '../support/dev-server';
import { freePort } from '../support/free-port';
import { startLm, type LmHarness } from '../support/lm-harness';

const TOKEN = 'browser-test-token';
let temporal: DevServer;
let uiUrl: string;
let lm: LmHarness;
let guarded: LmHarness;
let browser: Browser;

beforeAll(async () => {
  // A Temporal with its Web UI (the run's shared dev server is headless), and an LM on it.
  const uiPort = await freePort();
  temporal = await startDevServer({ uiPort });
  uiUrl = `http://127.0.0.1:${uiPort}`;
  lm = await startLm({ TEMPORAL_ADDRESS: temporal.address, LM_TEMPORAL_UI_URL: uiUrl });
  guarded = await startLm({ TEMPORAL_ADDRESS: temporal.address, LM_API_TOKEN: TOKEN }, { workers: false });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await guarded?.stop();
  await lm?.stop();
  await temporal?.stop();
});

/**
 * Shows `shown` on the page at `url`: in the page as it is when it already holds `url` (a tab of the Web UI is a
 * click away), else loaded. Chromium aborts the requests in flight when the machine's network interfaces change
 * (ERR_NETWORK_CHANGED), and Docker adds one for every container started on this shared engine: a page that broke
 * that way is loaded again. The Web UI is a heavy single-page application: on two busy cores it takes ~10 s.
 */
async function loadUntil(
  page: Page,
  url: string,
  shown: ReturnType<Page['locator']>,
  before?: () => Promise<void>,
  attempts = 4,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    if (attempt > 1 || !page.url().startsWith(url)) await page.goto(url);
    try {
      await before?.();
      await shown.waitFor({ timeout: 30_000 });
      return;
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

async function openSwagger(page: Page, baseUrl: string): Promise<void> {
  await loadUntil(page, `${baseUrl}/api/v2/lm.html`, page.locator('.opblock').first());
}

/** GET /api/v2 in the page, expanded and in "Try it out" mode. */
async function statusOperation(page: Page) {
  const block = page.locator('.opblock.opblock-get').filter({ has: page.locator('.opblock-summary-path[data-path="/api/v2"]') });
  await block.locator('.opblock-summary').first().click();
  await block.locator('button.try-out__btn').click();
  return block;
}

/** "Execute": the status code the page shows for this answer. */
async function execute(block: ReturnType<Page['locator']>, expected: string): Promise<string> {
  await block.locator('button.execute').click();
  const status = block.locator('.live-responses-table .response .response-col_status').first();
  await status
    .filter({ hasText: expected })
    .waitFor({ timeout: 30_000 })
    .catch(() => undefined);
  return (await status.innerText()).trim();
}

test('Swagger UI lists every operation of the OpenAPI document, and GET /api/v2 answers 200 from the page', async () => {
  const document = (await lm.api.get('/api/v2/lm.json')).data as OpenApi;
  const documented = Object.entries(document.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
  const { page } = browser;
  await openSwagger(page, lm.baseUrl);
  const blocks = page.locator('.opblock');
  const listed: string[] = [];
  for (let i = 0; i < (await blocks.count()); i += 1) {
    const block = blocks.nth(i);
    const method = (await block.locator('.opblock-summary-method').innerText()).trim();
    const path = await block.locator('.opblock-summary-path').getAttribute('data-path');
    listed.push(`${method} ${path}`);
  }
  expect(listed.sort()).toEqual(documented);
  expect(documented).toEqual(
    expect.arrayContaining(['GET /api/v2', 'GET /api/v2/lm/service-instances/{id}/logs', 'POST /api/v2/lm/service']),
  );
  expect(await execute(await statusOperation(page), '200')).toBe('200');
  await browser.screenshot('swagger-ui');
});

test('under LM_API_TOKEN: the page gets 401 until the token is entered in the Authorize dialog, then 200', async () => {
  const { page } = browser;
  await openSwagger(page, guarded.baseUrl);
  const block = await statusOperation(page);
  expect(await execute(block, '401')).toBe('401');
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.modal-ux');
  await dialog.waitFor();
  const section = dialog.locator('.auth-container').filter({ hasText: 'clientToken' });
  await section.locator('input').fill(TOKEN);
  await section.locator('button.authorize').click();
  await browser.screenshot('swagger-ui-authorize');
  await dialog.locator('button.close-modal').click();
  // The same try-out, now with the header the dialog set.
  expect(await execute(block, '200')).toBe('200');
  await browser.screenshot('swagger-ui-authorized');
});

test("the Temporal Web UI at an instance's ui_url shows its workflow, search attributes and current details", async () => {
  const { uuid, instance } = await submit(lm.api, { name: 'browser-web' });
  lm.made.push(uuid);
  const link = (instance as unknown as { ui_url: string }).ui_url;
  expect(link).toBe(`${uiUrl}/namespaces/default/workflows/service-instance%2F${uuid}`);
  // A page of its own: the Web UI is another application than the Swagger UI the other tests left open.
  const page = await browser.context.newPage();
  await loadUntil(page, link, page.getByText(`service-instance/${uuid}`).first());
  // The badge says Running (shown in capitals).
  await page
    .getByText(/^running$/i)
    .first()
    .waitFor();
  expect(await page.getByText('serviceInstanceWorkflow').count()).toBeGreaterThan(0);
  await browser.screenshot('temporal-ui-workflow', page);

  const attributes = page.locator('main');
  await loadUntil(page, link, attributes.getByText('"LmStatus": "started"'), () =>
    page.getByText('Search Attributes', { exact: true }).click(),
  );
  const text = await attributes.innerText();
  expect(text).toContain('"LmServiceName": "browser-web"');
  expect(text).toContain('"LmExecType": "docker"');
  expect(text).toContain('"LmAgentCount": 1');
  await browser.screenshot('temporal-ui-search-attributes', page);

  // The summary the API gave the workflow, and the details the workflow keeps current (read by the UI's
  // metadata query, which a worker answers).
  // The UI renders them as markdown, each in a sandboxed frame of its own.
  const metadata = page.locator('main').getByText('Current Details');
  await loadUntil(page, link, metadata, () => page.getByText('User Metadata', { exact: true }).click());
  let rendered = '';
  for (const until = Date.now() + 30_000; Date.now() < until && !rendered.includes('started — agents: 127.0.0.1#0 started');) {
    await page.waitForTimeout(250);
    rendered = (
      await Promise.all(
        page.frames().map((frame) =>
          frame
            .locator('body')
            .innerText()
            .catch(() => ''),
        ),
      )
    ).join('\n');
  }
  expect(rendered).toContain('started — agents: 127.0.0.1#0 started');
  expect(rendered).toMatch(/docker browser-web \(lm-test\/busybox:latest\) on 127\.0\.0\.1/);
  await browser.screenshot('temporal-ui-current-details', page);
});
