import { mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayground } from '../../web/build.js';
import { serveStatic } from '../../web/serve.js';
import { closeBrowserTest, HAVE_CHROMIUM, launch, OUTPUT, watchProblems } from './chromium.js';

/*
 * The playground's state from one action to the next, in headless Chromium: the data menu names
 * a loaded file, a new run clears the previous run's scores and curves, the user's Epochs
 * survive a change of data, and a forecast's date axis reads in one form when the file writes
 * its dates otherwise than kioku does.
 */

const TMP = mkdtempSync(join(tmpdir(), 'kioku-browser-state-'));
let site: { url: string; server: Server };
let browser: Browser;

/** 120 days of a weekly pattern, dated as a spreadsheet might write them (2015/03/01). */
function slashDatedCsv(): Buffer {
  const rows = Array.from({ length: 120 }, (_, i) => {
    const d = new Date(Date.UTC(2015, 2, 1 + i));
    const date = d.toISOString().slice(0, 10).replaceAll('-', '/');
    return `${date},${(10 + 3 * Math.sin((2 * Math.PI * i) / 7) + (i % 5) * 0.1).toFixed(3)}`;
  });
  return Buffer.from(`day,sales\n${rows.join('\n')}\n`);
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  site = await serveStatic(await buildPlayground(join(TMP, 'site')));
  browser = await launch();
  mkdirSync(OUTPUT, { recursive: true });
}, 300_000);

afterAll(() => closeBrowserTest({ browser, site, tmp: TMP }));

const showing = (page: Page, selector: string, text: string, timeout = 30_000) =>
  page.locator(selector, { hasText: text }).waitFor({ timeout });

/** The data menu's selected entry, as the user reads it. */
const menuLabel = (page: Page) => page.$eval('#dataset option:checked', (o) => o.textContent ?? '');

describe.skipIf(!HAVE_CHROMIUM)('the playground from one action to the next', () => {
  it('names a loaded file in the data menu and keeps the Epochs the user set', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    const problems = watchProblems(page);
    await page.goto(site.url);
    await showing(page, '#data-summary', '1461 rows');
    expect(await menuLabel(page)).toBe('Seattle weather — forecast temp_max');
    await page.fill('#epochs', '3');
    await page.setInputFiles('#data-file', {
      name: 'sales.csv',
      mimeType: 'text/csv',
      buffer: slashDatedCsv(),
    });
    await showing(page, '#data-summary', 'sales (120 rows)');
    expect(await menuLabel(page)).toBe('sales.csv — your file');
    expect(await page.inputValue('#epochs')).toBe('3');
    // Back to a built-in set, then to the file again from the menu.
    await page.selectOption('#dataset', 'spam-assassin-sample.json');
    await showing(page, '#data-summary', 'texts');
    expect(await page.inputValue('#epochs')).toBe('3');
    await page.selectOption('#dataset', { label: 'sales.csv — your file' });
    await showing(page, '#data-summary', 'sales (120 rows)');
    await page.screenshot({ path: join(OUTPUT, 'playground-file-menu.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('clears the previous run when a new one starts, and labels the forecast axis in one date form', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    const problems = watchProblems(page);
    await page.goto(site.url);
    await showing(page, '#data-summary', '1461 rows');
    await page.setInputFiles('#data-file', {
      name: 'sales.csv',
      mimeType: 'text/csv',
      buffer: slashDatedCsv(),
    });
    await showing(page, '#data-summary', 'sales (120 rows)');
    await page.fill('#epochs', '1');
    await page.fill('#hidden', '8');
    await page.click('#train');
    await showing(page, '#train-status', 'Done', 120_000);
    expect(await page.textContent('#train-status')).toMatch(/^Done: 1 epoch \(/);
    expect(await page.$$eval('#results-table tbody tr', (trs) => trs.length)).toBeGreaterThan(3);
    expect(await page.$$eval('#loss-chart path', (p) => p.length)).toBeGreaterThan(0);
    // One epoch is one point per curve: a line through it draws nothing, so it is a dot.
    const dots = await page.$$eval('#loss-chart circle.point', (c) =>
      c.map((d) => [Number(d.getAttribute('cx')), Number(d.getAttribute('r'))]),
    );
    expect(dots.length).toBeGreaterThan(0);
    for (const [cx, r] of dots) expect([cx! > 100, r]).toEqual([true, 3]);
    await page.locator('#loss-chart').screenshot({ path: join(OUTPUT, 'playground-one-epoch-curve.png') });

    // The forecast of the model trained here: history dates from the file, forecast dates from kioku.
    await page.waitForSelector('#forecast-table[data-values]');
    const dates: string[] = JSON.parse((await page.getAttribute('#forecast-chart', 'data-dates'))!);
    // The model keeps the last 30 rows (its lookback) as history; 14 forecast steps follow.
    expect(dates).toHaveLength(44);
    expect(dates[0]).toBe('2015-05-30');
    expect(dates[29]).toBe('2015-06-28');
    expect(dates[30]).toBe('2015-06-29');
    for (const d of dates) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const ticks = await page.$$eval('#forecast-chart text.tick[text-anchor="middle"]', (t) =>
      t.map((x) => x.textContent ?? ''),
    );
    expect(ticks.length).toBeGreaterThan(2);
    for (const t of ticks) expect(t).toMatch(/^2015-\d{2}-\d{2}$/);
    await page.screenshot({ path: join(OUTPUT, 'playground-date-axis.png'), fullPage: true });

    // The click clears the scores, curves and progress before the worker starts.
    const atStart = await page.evaluate(`(() => {
      document.getElementById('train').click();
      return {
        results: document.getElementById('results-table').textContent,
        curves: document.querySelectorAll('#loss-chart *, #metric-chart *').length,
        progress: document.getElementById('progress').value,
      };
    })()`);
    expect(atStart).toEqual({
      results: 'Training… the scores appear when it finishes.',
      curves: 0,
      progress: 0,
    });
    await page.screenshot({ path: join(OUTPUT, 'playground-new-run.png') });
    await showing(page, '#train-status', 'Done', 120_000);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 240_000);
});
