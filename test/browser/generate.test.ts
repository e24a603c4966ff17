import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareLmCorpus } from '../../src/data/lm-corpus.js';
import { CharTokenizer } from '../../src/data/tokenizers.js';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { NGramModel } from '../../src/train/baselines/ngram.js';
import { buildPlayground } from '../../web/build.js';
import { serveStatic } from '../../web/serve.js';
import { closeBrowserTest, HAVE_CHROMIUM, launch, longestMainThreadTask, watchProblems } from './chromium.js';

/*
 * The playground's generate panel in headless Chromium: a tiny character LSTM trains in a worker
 * on the opening of Moby Dick, beats the unigram model of the same split, and writes its text
 * into the page character by character while the main thread stays free.
 */

const TMP = mkdtempSync(join(tmpdir(), 'kioku-generate-'));
let site: { url: string; server: Server };
let browser: Browser;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  site = await serveStatic(await buildPlayground(join(TMP, 'site')));
  browser = await launch();
}, 300_000);

afterAll(() => closeBrowserTest({ browser, site, tmp: TMP }));

describe.skipIf(!HAVE_CHROMIUM)('playground generate panel', () => {
  it('trains a character model in its worker and streams its text into the page', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems = watchProblems(page);
    await page.goto(site.url);
    // Every character the page receives is stamped with the time it arrived.
    await page.evaluate(`
      window.stamps = [];
      new MutationObserver((records) => {
        for (const _ of records) window.stamps.push(performance.now());
      }).observe(document.getElementById('generated'), { childList: true });
    `);
    const longest = await longestMainThreadTask(browser, async () => {
      await page.click('#generate');
      await page.locator('#generate-status', { hasText: 'Done.' }).waitFor({ timeout: 240_000 });
    });
    expect(problems).toEqual([]);
    expect(longest.cpuMs).toBeLessThan(100);
    const text = (await page.textContent('#generated'))!;
    expect(text.startsWith('Call me')).toBe(true);
    expect(text.length).toBe('Call me'.length + 300);
    // Appended one by one, over more than one task: streamed, not written at the end in one go.
    const stamps = (await page.evaluate('window.stamps')) as number[];
    expect(stamps.length).toBeGreaterThanOrEqual(300);
    expect(new Set(stamps.map(Math.round)).size).toBeGreaterThan(5);
    // The model learnt the text: below the unigram model of the same split on validation.
    const moby = await loadMobyDick();
    const start = moby.indexOf('Call me Ishmael');
    const corpus = prepareLmCorpus(moby.slice(start, start + 40_000), { tokenizer: new CharTokenizer() });
    const unigram = new NGramModel(corpus.train, { order: 1, vocabSize: corpus.vocab.size }).score(
      corpus.val,
    );
    const nats = Number(await page.getAttribute('#generated', 'data-nats'));
    console.log(
      `generate panel: validation ${nats.toFixed(3)} nats/char (unigram ${unigram.nats.toFixed(3)}); ${stamps.length} characters arrived over ${(stamps.at(-1)! - stamps[0]!).toFixed(0)} ms; longest main-thread task ${longest.cpuMs.toFixed(1)} ms CPU`,
    );
    expect(nats).toBeLessThan(unigram.nats - 0.3);
  }, 300_000);
});
