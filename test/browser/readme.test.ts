import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/registry.js';
import { makeSeries } from '../../src/data/series.js';
import { trainForecaster } from '../../src/train/recipes/forecaster.js';
import { forecastSeries } from '../../src/train/recipes/series-model.js';
import { serveStatic } from '../../web/serve.js';
import { HAVE_CHROMIUM, launch } from './chromium.js';

/*
 * The README's Browser example, as written, built by Vite (its worker pattern included) into a
 * page that runs in headless Chromium: its worker trains on the WebAssembly module Vite emitted and
 * prints three epochs and the forecast that the same training gives in Node.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TMP = mkdtempSync(join(tmpdir(), 'kioku-readme-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** The first ts block after "## Browser". */
function browserExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Browser\n'));
  return /```ts\n([\s\S]*?)```/.exec(section)![1]!;
}

/** A Vite project around the example: index.html, main.ts (the example), worker.ts; built to dist/. */
async function buildExample(): Promise<string> {
  const app = join(TMP, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><title>example</title><link rel="icon" href="data:,"><script type="module" src="./main.ts"></script>',
  );
  writeFileSync(join(app, 'main.ts'), browserExample());
  writeFileSync(join(app, 'worker.ts'), "import 'kioku/worker';\n");
  await build({
    root: app,
    configFile: false,
    logLevel: 'silent',
    build: { outDir: join(app, 'dist'), target: 'es2022' },
    worker: { format: 'es' },
    resolve: {
      alias: [
        { find: /^kioku\/worker$/, replacement: join(ROOT, 'src/browser/worker.ts') },
        { find: /^kioku$/, replacement: join(ROOT, 'src/index.ts') },
      ],
    },
  });
  return join(app, 'dist');
}

/** What the example prints, computed in Node on the same backend. */
async function nodeLines(): Promise<string[]> {
  setBackend('js');
  const series = makeSeries(
    ['y'],
    Array.from({ length: 400 }, (_, t) => [Math.sin(t / 6)]),
  );
  const lines: string[] = [];
  const run = await trainForecaster({
    series,
    target: 'y',
    lookback: 24,
    hidden: 16,
    epochs: 3,
    onEvent: (e) => {
      if (e.type === 'epoch') lines.push(`epoch ${e.epoch}: validation MAE ${e.logs.valMae}`);
    },
  });
  const forecast = await forecastSeries({ model: run.model, config: run.config as never }, { steps: 12 });
  return [...lines, `next: ${forecast.rows.map((r) => r.value.toFixed(3)).join(' ')}`];
}

describe.skipIf(!HAVE_CHROMIUM)("README's Browser example", () => {
  it('builds with Vite, trains in a worker in Chromium and prints what Node computes', async () => {
    const dist = await buildExample();
    // Vite emitted kioku's WebAssembly modules from their `new URL(…, import.meta.url)`, the
    // threaded builds (for cross-origin-isolated pages) too
    const emitted = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.wasm'));
    expect(emitted.map((f) => f.replace(/-[\w-]{8}\.wasm$/, '.wasm')).sort()).toEqual([
      'kioku-relaxed-threads.wasm',
      'kioku-relaxed.wasm',
      'kioku-simd128-threads.wasm',
      'kioku-simd128.wasm',
    ]);
    const site = await serveStatic(dist);
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const printed: string[] = [];
      const problems: string[] = [];
      const fetched: string[] = [];
      page.on('response', (r) => r.url().endsWith('.wasm') && r.ok() && fetched.push(r.url()));
      page.on('console', (m) => (m.type() === 'error' ? problems : printed).push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(site.url);
      for (let i = 0; i < 600 && !printed.some((l) => l.startsWith('next:')) && problems.length === 0; i++) {
        await page.waitForTimeout(100);
      }
      expect(problems).toEqual([]);
      // the worker trained on the relaxed-SIMD module (no fallback notice was printed)
      expect(fetched.map((u) => /kioku-\w+/.exec(u)?.[0])).toEqual(['kioku-relaxed']);
      const expected = await nodeLines();
      expect(printed.map((l) => l.split(':')[0])).toEqual(['epoch 1', 'epoch 2', 'epoch 3', 'next']);
      // Float32 training on another V8: the printed numbers agree to their last digits or nearly.
      const numbers = (lines: string[]) =>
        lines.flatMap((l) => (l.split(': ')[1]!.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number));
      const got = numbers(printed);
      const want = numbers(expected);
      expect(got).toHaveLength(15);
      for (const [i, v] of want.entries())
        expect(Math.abs(got[i]! - v), `${printed} vs ${expected}`).toBeLessThanOrEqual(2e-3);
    } finally {
      await browser.close();
      site.server.close();
    }
  }, 180_000);
});
