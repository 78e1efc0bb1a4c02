import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/config/rules.js';
import { FAKE_GIT_TOKEN, startFakeNotifyReceivers, type FakeNotifyReceivers } from '../fakes/fake-notify-receivers.js';
import { launchChromium, skipWithoutChromium } from '../support/browser.js';
import { githubPush } from '../support/payloads.js';
import { API_TOKEN, deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

/** The dashboard in headless Chromium against a relay on a real port, with the fake Qovery behind it. */
const JOB = '00000000-0000-4000-8000-0000000000b1';
const rules = (branch: string, gitHost: string) => `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
    commitStatus: { token: ${FAKE_GIT_TOKEN}, apiUrl: ${gitHost}/github }
routes:
  - name: api-${branch}
    source: github
    match: { repository: acme/api, branch: ${branch} }
    target: { jobId: ${JOB} }
    deploy: commit
`;

let browser: Browser;
let relay: TestRelay;
let gitHost: FakeNotifyReceivers;
let page: Page;
let url: string;
const skip = skipWithoutChromium();

beforeAll(async () => {
  if (!skip) browser = await launchChromium();
});
afterAll(async () => browser?.close());
afterEach(async () => {
  await page?.context().close();
  await relay?.close();
  await gitHost?.close();
});

async function start(branch = 'main', viewport = { width: 1280, height: 900 }): Promise<void> {
  gitHost = await startFakeNotifyReceivers();
  relay = await startTestRelay(rules(branch, gitHost.url));
  await relay.relay.app?.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(relay.relay.app?.server.address() as AddressInfo).port}`;
  page = await (await browser.newContext({ viewport })).newPage();
}

async function signIn(): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API token').fill(API_TOKEN);
  await page.getByRole('button', { name: 'Show deployments' }).click();
  await page.getByRole('heading', { name: 'Deployments' }).waitFor();
  await expect.poll(() => page.getByTestId('live-state').textContent()).toBe('Live');
}

const commit = (c: string) => c.repeat(40).slice(0, 40);

/** With SCREENSHOT_DIR set (`SCREENSHOT_DIR=docs/screenshots npm run test:browser`), the page as each test leaves it is kept there. */
async function snap(name: string): Promise<void> {
  const dir = process.env.SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

async function push(branch: string, c: string): Promise<{ deliveryId: string; json: any }> {
  const sent = githubPush({ repository: 'acme/api', branch, commit: commit(c) });
  const { json } = await relay.post('github', sent.body, sent.headers);
  return { deliveryId: sent.headers['x-github-delivery'], json };
}

describe.skipIf(skip)('the dashboard', () => {
  it('asks for the token, shows no data without it, refuses a wrong one, and signs in from the keyboard', async () => {
    await start();
    await push('main', 'a');
    const apiCalls: string[] = [];
    page.on('request', (request) => {
      if (!request.url().includes('/assets/')) apiCalls.push(new URL(request.url()).pathname);
    });
    await page.goto(`${url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(apiCalls).toEqual(['/']);
    expect(await page.locator('[data-deployment]').count()).toBe(0);

    await page.getByLabel('API token').fill('wrong-token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^The relay refused that token/);

    // Keyboard only: the field is the first thing Tab reaches, Enter submits.
    await page.reload();
    await page.keyboard.press('Tab');
    await page.keyboard.type(API_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('[data-deployment]').first().waitFor();
    // Kept for the browser session: a reload does not ask again.
    await page.reload();
    await page.getByRole('heading', { name: 'Deployments' }).waitFor();
    await page.locator('[data-deployment]').first().waitFor();
    await snap('deployments');
  });

  it('shows a webhook sent while the page is open, live, through to succeeded, and the green status set on the commit', async () => {
    await start();
    await signIn();
    const { json } = await push('main', 'b');
    const id = json.deployments[0].id as string;
    const row = page.locator(`tr[data-deployment="${id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded');
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: /^Deployment dep_/ }).waitFor();
    const steps = await page.locator('.timeline li').evaluateAll((items) => items.map((li) => li.getAttribute('data-status')));
    expect([...new Set(steps)]).toEqual(['queued', 'deploying', 'accepted', 'in_progress', 'succeeded']);
    expect(await page.locator('.timeline').textContent()).toContain('matched route api-main');
    // The commit on GitHub shows it, and the page says the status was set.
    await expect
      .poll(() => gitHost.statuses.map((s) => [s.sha, s.state, s.context]))
      .toEqual([
        [commit('b'), 'pending', 'deploy-relay/api-main'],
        [commit('b'), 'success', 'deploy-relay/api-main'],
      ]);
    const sent = page.getByTestId('notifications').locator('tr[data-result="sent"]');
    await expect.poll(() => sent.count(), { timeout: 10_000 }).toBe(2);
    expect(await sent.last().textContent()).toMatch(/commit-status github.*succeeded.*sent \(attempt 1, HTTP 201\)/);
    await snap('deployment-timeline');
  });

  it('shows an ignored delivery with its reason, in the list and on its own page', async () => {
    await start();
    await signIn();
    await page.getByRole('link', { name: 'Deliveries' }).click();
    const { deliveryId } = await push('feature/x', 'c');
    const row = page.locator(`tr[data-delivery="${deliveryId}"]`);
    await expect.poll(() => row.getAttribute('data-outcome')).toBe('ignored');
    expect(await row.textContent()).toContain('branch "feature/x" does not match "main"');
    await row.getByRole('link').click();
    await expect.poll(() => page.getByTestId('ignored-reason').textContent()).toMatch(/^Nothing was deployed: .*branch "feature\/x" does not match "main"/);
    await snap('ignored-delivery');
  });

  it('re-drives a failed deployment from the page, and the new deployment succeeds', async () => {
    await start();
    relay.fake.scriptStatus(JOB, [{ state: 'DEPLOYING' }, { state: 'DEPLOYMENT_ERROR' }]);
    const { json } = await push('main', 'd');
    const failed = json.deployments[0].id as string;
    await deploymentWhen(relay, failed, 'failed');
    relay.fake.scriptStatus(JOB, [{ state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    await signIn();
    await page.locator(`tr[data-deployment="${failed}"]`).getByRole('link').click();
    await page.getByRole('button', { name: 'Re-drive this deployment' }).click();
    await page.getByRole('link', { name: 'Open it' }).click();
    const article = page.locator('article[data-deployment]');
    await expect.poll(() => article.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded');
    expect(await article.getAttribute('data-deployment')).not.toBe(failed);
    expect(await page.locator('.facts').textContent()).toContain(`Re-drive of${failed}`);
    await snap('re-driven');
  });

  it('replays a delivery after its rule is fixed, and the replay deploys', async () => {
    await start('main');
    const { deliveryId } = await push('release', 'e');
    relay.relay.rules.replace(parseRules(rules('release', gitHost.url), {}));
    await signIn();
    await page.goto(`${url}/#/deliveries/github/${deliveryId}`);
    await page.getByTestId('ignored-reason').waitFor();
    await page.getByRole('button', { name: "Replay with today's rules" }).click();
    await page.getByTestId('replay-result').getByRole('link').click();
    const article = page.locator('article[data-deployment]');
    await expect.poll(() => article.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded');
    expect(await page.locator('.timeline').textContent()).toContain(`matched route api-release on a replay of delivery ${deliveryId}`);
  });

  it('is readable on a phone: nothing overflows the screen sideways', async () => {
    await start('main', { width: 375, height: 740 });
    await push('main', 'f');
    await push('feature/y', 'f');
    await signIn();
    await page.locator('[data-deployment]').first().waitFor();
    // Runs in the page; the tests' own TypeScript has no DOM library, hence the shape named here.
    type Window = { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
    const overflow = () =>
      page.evaluate(() => {
        const w = globalThis as unknown as Window;
        return w.document.documentElement.scrollWidth - w.innerWidth;
      });
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.locator('[data-delivery]').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await snap('phone-deliveries');
  });
});
