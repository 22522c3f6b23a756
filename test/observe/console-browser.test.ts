/**
 * The web console in a real browser: Debian's chromium driven by playwright-core (nothing downloaded).
 * kcat produces, a kafkajs group consumes; the pages must show the topic, its offsets, the group and its lag,
 * and follow new data without a reload. Any console error or page error fails the test. Screenshots of every
 * page go to test-artifacts/console/ (git-ignored).
 * Locally a missing kcat or chromium skips with the reason; under CI it fails (test/helpers/tools.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Consumer } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKcat, startTestBroker, type TestBroker } from '../broker/helpers.js';
import { CHROMIUM, consumeAll, createTopic, hasChromium, httpBase, kcatProduce, writeCapturedStreams } from './console-helpers.js';

const available = hasKcat() && hasChromium();
if (!available) console.warn('SKIPPING console browser tests: needs kcat and chromium (apt-get install kcat chromium)');

const ARTIFACTS = path.resolve('test-artifacts/console');
const TOPIC = 'orders';
const GROUP = 'billing';

let broker: TestBroker;
let browser: Browser;
let page: Page;
let consumer: Consumer | undefined;
const problems: string[] = [];

beforeAll(async () => {
  if (!available) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Fast throughput samples so the sparklines have points within the test.
  broker = await startTestBroker({ httpPort: 0, httpSampleMs: 250, groupInitialRebalanceDelayMs: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await consumer?.disconnect();
  await browser?.close();
  await broker?.stop();
});

const lines = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `customer-${(from + i) % 7}:order ${from + i} {"amount": ${(from + i) * 3}}`);

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!available)('web console in chromium', () => {
  it('shows the topic, its offsets, the group and its lag, and follows new data without a reload', async () => {
    await createTopic(broker, TOPIC, 2);
    await kcatProduce(broker, TOPIC, lines(0, 120));
    consumer = await consumeAll(broker, GROUP, TOPIC, 120);
    await writeCapturedStreams(broker);

    // Topics: the row, its record count, then a sparkline once two samples exist.
    await page.goto(`${httpBase(broker)}/`);
    const row = page.locator(`tr[data-topic="${TOPIC}"]`);
    await expect.poll(() => row.locator('[data-testid=records]').textContent(), { timeout: 15_000 }).toBe('120');
    await row.locator('.sparkline canvas').waitFor({ timeout: 15_000 });
    expect(await page.locator('.loading').count()).toBe(0); // the static placeholder is gone once the app renders

    // Topic detail: both partitions' offsets add up to 120, and the record browser shows kcat's last record.
    await row.locator('a').click();
    await page.locator('[data-testid=partitions] tbody tr').nth(1).waitFor();
    const hws = (await page.locator('[data-testid=hw]').allTextContents()).map(Number);
    expect(hws).toHaveLength(2);
    expect(hws[0]! + hws[1]!).toBe(120);
    await page.locator('[data-testid=records-table]').waitFor();
    const shownValues = await page.locator('[data-testid=records-table] tbody tr').allTextContents();
    expect(shownValues.length).toBe(Math.min(50, hws[0]!)); // the last 50 by default
    expect(shownValues.join('\n')).toMatch(/order \d+ \{"amount": \d+\}/);
    await shot('topic-detail');

    // Groups: the stable group, its member's assignment of both partitions, and zero lag once committed.
    await page.goto(`${httpBase(broker)}/#/groups`);
    const card = page.locator(`[data-group="${GROUP}"]`);
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => card.locator('.badge').first().textContent(), { timeout: 15_000 }).toBe('Stable');
    await expect.poll(() => card.locator('[data-testid=total-lag]').textContent(), { timeout: 15_000 }).toBe('0');
    expect(await card.locator(`tr[data-tp="${TOPIC}/0"] [data-testid=partition-lag]`).textContent()).toBe('0');
    expect(await card.textContent()).toContain(`${TOPIC} [0, 1]`);

    // The consumer stops; 30 more records arrive; the page shows the lag of 30 without a reload.
    await consumer.disconnect();
    consumer = undefined;
    await expect.poll(() => card.locator('.badge').first().textContent(), { timeout: 20_000 }).toBe('Empty');
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await kcatProduce(broker, TOPIC, lines(120, 30));
    await expect.poll(() => card.locator('[data-testid=total-lag]').textContent(), { timeout: 15_000 }).toBe('30');
    const lags = (await card.locator('[data-testid=partition-lag]').allTextContents()).map(Number);
    expect(lags.reduce((a, b) => a + b, 0)).toBe(30);
    await card.locator('.u-wrap').first().or(page.locator('.linechart canvas').first()).waitFor({ timeout: 15_000 });
    await shot('groups');

    // Topics again (client-side navigation): 150 records, still no reload.
    await page.locator('header.top nav a', { hasText: 'Topics' }).click();
    await expect.poll(() => row.locator('[data-testid=records]').textContent(), { timeout: 15_000 }).toBe('150');
    await kcatProduce(broker, TOPIC, lines(150, 10));
    await expect.poll(() => row.locator('[data-testid=records]').textContent(), { timeout: 15_000 }).toBe('160');
    expect(navigations.filter((u) => !u.includes('#'))).toEqual([]);
    await shot('topics');

    // Captured streams: numbat-1 holds the group's frontier at {3}; numbat-0 is complete.
    await page.locator('header.top nav a', { hasText: 'Captured streams' }).click();
    const numbat = page.locator('[data-stream-group="numbat"]');
    await numbat.waitFor({ timeout: 15_000 });
    await expect.poll(() => numbat.locator('[data-testid=group-frontier]').textContent(), { timeout: 15_000 }).toBe('{3}');
    expect(await numbat.locator('tr.holding').count()).toBe(1);
    expect(await numbat.locator('tr.holding').getAttribute('data-stream')).toBe('numbat-1');
    expect(await numbat.locator('tr[data-stream="numbat-0"]').textContent()).toContain('complete');
    await shot('streams');

    // A captured topic in the record browser: events decoded, with their times.
    await numbat.locator('a', { hasText: 'numbat-0' }).click();
    await page.locator('[data-testid=records-table]').waitFor();
    const eventsText = await page.locator('[data-testid=records-table]').textContent();
    expect(eventsText).toContain('messages at time 0: 3 items');
    expect(eventsText).toContain('progress');
    expect(eventsText).toContain('["five","fünf"]');
    await shot('captured-topic');

    // kcat's records as hex, through the page's own control.
    await page.goto(`${httpBase(broker)}/#/topics/${TOPIC}`);
    await page.locator('[data-testid=records-table] .bytes.text').first().waitFor({ timeout: 15_000 });
    await page.locator('select').nth(2).selectOption('hex');
    await expect.poll(() => page.locator('[data-testid=records-table] .bytes.hex').count(), { timeout: 15_000 }).toBeGreaterThan(0);

    // One group's own page, with its lag chart.
    await page.goto(`${httpBase(broker)}/#/groups/${GROUP}`);
    await expect.poll(() => page.locator(`[data-group="${GROUP}"] [data-testid=total-lag]`).textContent(), { timeout: 15_000 }).toBe('40');
    await page.locator('.linechart canvas').first().waitFor({ timeout: 15_000 });
    await shot('group-detail');

    // Broker: uptime, listeners, settings in effect (the changed ones shown first).
    await page.locator('header.top nav a', { hasText: 'Broker' }).click();
    await page.locator('[data-testid=settings]').waitFor();
    const settings = await page.locator('[data-testid=settings]').textContent();
    expect(settings).toContain('--http-sample-ms');
    expect(await page.locator('main').textContent()).toContain(`${broker.host}:${broker.port}`);
    await shot('broker');

    expect(problems).toEqual([]);
  }, 120_000);
});
