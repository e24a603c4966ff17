import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/registry.js';
import { loadTextModel } from '../../src/cli/models.js';
import { inspectText } from '../../src/train/recipes/inspect.js';
import { buildPlayground } from '../../web/build.js';
import { serveStatic } from '../../web/serve.js';
import { kioku } from '../helpers/cli.js';
import {
  closeBrowserTest,
  HAVE_CHROMIUM,
  launch,
  longestMainThreadTask,
  OUTPUT,
  watchProblems,
} from './chromium.js';

/*
 * The playground's views inside the network, in headless Chromium on the WebAssembly backend:
 * the gate heatmap beside a prediction shows, for a hovered or focused token, what kioku's trace
 * gives in Node (JS backend) for the same model and text; the "why did it forget?" view trains an
 * RNN and an LSTM on the adding problem in a worker and shows the RNN's gradient vanishing.
 */

const TMP = mkdtempSync(join(tmpdir(), 'kioku-inspect-views-'));
const MODEL = join(TMP, 'text', 'model');
const TEXT = 'cheap pills offer for the project meeting';
let site: { url: string; server: Server };
let browser: Browser;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  setBackend('js');
  const rows = Array.from({ length: 160 }, (_, i) =>
    i % 2
      ? `spam,cheap pills offer ${i % 7} win money now`
      : `ham,meeting notes for project ${i % 5} attached`,
  );
  writeFileSync(join(TMP, 'texts.csv'), `label,text\n${rows.join('\n')}\n`);
  const flags = ['--epochs', '1', '--embed', '8', '--hidden', '8', '--max-len', '16', '-q'];
  const [out, trained] = await Promise.all([
    buildPlayground(join(TMP, 'site')),
    kioku('train', 'text', '--data', join(TMP, 'texts.csv'), ...flags, '--out', join(TMP, 'text')),
  ]);
  expect(trained.code).toBe(0);
  site = await serveStatic(out);
  browser = await launch();
}, 300_000);

afterAll(() => closeBrowserTest({ browser, site, tmp: TMP }));

async function open(): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 1000 } })).newPage();
  const problems = watchProblems(page);
  await page.goto(site.url);
  await page.locator('#backend', { hasText: 'backend: wasm' }).waitFor({ timeout: 30_000 });
  return { page, problems };
}

/** The details table the page shows: its column names and, per unit, the numbers as shown. */
async function shownDetails(page: Page): Promise<{ step: number; columns: string[]; rows: number[][] }> {
  const step = Number(await page.getAttribute('#gate-details', 'data-step'));
  const columns = await page.$$eval('#gate-details th', (ths) => ths.map((th) => th.textContent ?? ''));
  const rows = await page.$$eval('#gate-details tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.children, (td: { textContent: string | null }) => Number(td.textContent))),
  );
  return { step, columns, rows };
}

describe.skipIf(!HAVE_CHROMIUM)('inspection views in headless Chromium', () => {
  it("shows, for a hovered or focused token, the gate values and cell state of kioku's trace", async () => {
    const { page, problems } = await open();
    await page.setInputFiles('#open-files', [join(MODEL, 'config.json'), join(MODEL, 'model.safetensors')]);
    await page.waitForSelector('#text-form:not([hidden])');
    await page.fill('#text-input', TEXT);
    await page.click('#text-form button');
    await page.waitForSelector('#gates:not([hidden]) #gates-map .token');
    const node = await inspectText(await loadTextModel(MODEL), TEXT, {
      saliencySteps: 1,
      top: 12,
      layer: 'all',
      direction: 'both',
    });
    const tokens = await page.$$eval('#gates-map .token', (bs) => bs.map((b) => b.textContent));
    expect(tokens).toEqual(node.tokens);
    const views = await page.$$eval('#gates-view option', (os) => os.map((o) => o.textContent));
    expect(views).toEqual(node.drawn.map((d) => `layer ${d.layer} · ${d.direction}`));
    /** What the page shows at `step` equals the trace of layer 0, direction d, to the 3 decimals shown. */
    const check = async (step: number, d: number) => {
      const shown = await shownDetails(page);
      const dir = node.trace.layers[0]![d]!;
      expect(shown.step).toBe(step);
      expect(shown.columns).toEqual(['unit', 'i', 'f', 'g', 'o', 'c', 'h']);
      expect(shown.rows.map((r) => r[0])).toEqual(node.drawn[d]!.units);
      const H = dir.hidden.shape[2]!;
      const tensors = [dir.gates.i!, dir.gates.f!, dir.gates.g!, dir.gates.o!, dir.cell!, dir.hidden];
      for (const [unit, ...values] of shown.rows) {
        const want = tensors.map((t) => t.f32[step * H + unit!]!);
        for (const [k, v] of values.entries()) expect(Math.abs(v - want[k]!)).toBeLessThanOrEqual(0.0015);
      }
    };
    await page.hover('#gates-map .token[data-step="3"]');
    await check(3, 0);
    // keyboard: focus a token, then the arrow key moves to the next one
    await page.focus('#gates-map .token[data-step="1"]');
    await page.keyboard.press('ArrowRight');
    await check(2, 0);
    // the other direction of the bidirectional layer
    await page.selectOption('#gates-view', '1');
    await page.hover('#gates-map .token[data-step="5"]');
    await check(5, 1);
    await page.locator('#try').screenshot({ path: join(OUTPUT, 'inspect-gates.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('trains an RNN and an LSTM on the adding problem in a worker and shows the RNN’s gradient vanishing', async () => {
    const { page, problems } = await open();
    let longest = { cpuMs: 0, wallMs: 0 };
    longest = await longestMainThreadTask(browser, async () => {
      await page.click('#forget-train');
      await page.locator('#forget-status', { hasText: '(done)' }).waitFor({ timeout: 240_000 });
    });
    console.log(
      `longest main-thread task during the forget view: ${longest.cpuMs.toFixed(1)} ms CPU, ${longest.wallMs.toFixed(1)} ms wall`,
    );
    expect(longest.cpuMs).toBeLessThan(100);
    const flows = JSON.parse((await page.getAttribute('#forget-chart', 'data-flows'))!) as Record<
      string,
      { step: number; mse: number; input: number[] }
    >;
    expect(Object.keys(flows)).toEqual(['rnn', 'lstm']);
    const { rnn, lstm } = flows as { rnn: (typeof flows)[string]; lstm: (typeof flows)[string] };
    expect([rnn.step, lstm.step]).toEqual([1000, 1000]);
    expect(rnn.input).toHaveLength(100);
    // 99 steps back: the RNN's gradient is at least six orders of magnitude below the LSTM's
    expect(rnn.input[99]! / lstm.input[99]!).toBeLessThan(1e-6);
    // the table prints the same numbers
    const row = async (cell: string) =>
      page.$$eval(
        `#forget-table tbody tr`,
        (trs, c) => {
          const tr = trs.find((t) => t.children[0]?.textContent === c);
          return Array.from(tr?.children ?? [], (td: { textContent: string | null }) => td.textContent ?? '');
        },
        cell,
      );
    expect((await row('RNN')).at(-1)).toBe(rnn.input[99]!.toExponential(2));
    expect((await row('LSTM')).at(-1)).toBe(lstm.input[99]!.toExponential(2));
    expect(await page.textContent('#forget-status')).toMatch(
      /^Step 1000 of 1000: RNN MSE [\d.]+, LSTM MSE [\d.]+ \(done\)$/,
    );
    await page.locator('#forget').screenshot({ path: join(OUTPUT, 'inspect-forget.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  }, 300_000);
});
