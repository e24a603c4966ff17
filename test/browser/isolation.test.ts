import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launch, watchProblems } from './chromium.js';

/*
 * The threaded WebAssembly build in a real browser. A page served with the two headers that make it
 * cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
 * require-corp) has SharedArrayBuffer: initWasm must pick the threaded build there, start Web Workers
 * that take part in the products, and train the seed model to the same bits as the one-thread build
 * in the same page. The same page without the headers must run the one-thread build.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

let server: Server;
let origin = '';
let browser: Browser | undefined;

/** Serves the page under /isolated/ (with the headers) and /plain/ (without), and the modules. */
async function serve(): Promise<void> {
  const bundled = await build({
    entryPoints: [join(import.meta.dirname, 'isolation-page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0]!.contents;
  const html =
    '<!doctype html><meta charset="utf-8"><title>kioku threads</title><link rel="icon" href="data:,"><script type="module" src="page.js"></script>';
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const headers = path.startsWith('/isolated/') ? ISOLATION : {};
    const wasm = /^\/wasm\/(kioku-[a-z0-9-]+\.wasm)$/.exec(path);
    if (wasm) {
      res.writeHead(200, { 'Content-Type': 'application/wasm' });
      res.end(readFileSync(join(ROOT, 'native', 'wasm', wasm[1]!)));
    } else if (path.endsWith('/page.js')) {
      res.writeHead(200, { 'Content-Type': 'text/javascript', ...headers });
      res.end(script);
    } else if (path.endsWith('/')) {
      res.writeHead(200, { 'Content-Type': 'text/html', ...headers });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Run {
  info: { flavor: string; threaded: boolean; threads: number };
  weights: string;
  workerTasks: number;
}
interface Report extends Run {
  crossOriginIsolated: boolean;
  chosen: string;
  backend: string;
  wanted: Array<[string, boolean]>;
}

/** Opens the page at `path` and waits for its report; `then` runs more in the same page. */
async function openPage(path: string, then?: (report: Report) => string): Promise<[Report, Run | null]> {
  const page = await browser!.newPage();
  const problems = watchProblems(page);
  try {
    await page.goto(`${origin}${path}`);
    await page.waitForFunction(() => (globalThis as { report?: unknown }).report, null, {
      timeout: 240_000,
    });
    const report = (await page.evaluate('globalThis.report')) as Report;
    const more = then ? ((await page.evaluate(then(report))) as Run) : null;
    expect(problems).toEqual([]);
    return [report, more];
  } finally {
    await page.close();
  }
}

describe.skipIf(!HAVE_CHROMIUM)('the WebAssembly build a page gets (headless Chromium)', () => {
  beforeAll(async () => {
    await serve();
    browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  // The isolated page, then the one-thread build of its flavor in the same page (both tests read it).
  let isolatedRun: Promise<[Report, Run | null]> | null = null;
  const isolatedPage = () =>
    (isolatedRun ??= openPage(
      '/isolated/',
      (r) => `globalThis.trainOn('/wasm/kioku-${r.info.flavor}.wasm', '${r.info.flavor}')`,
    ));

  it('a cross-origin-isolated page runs the threaded build, its workers taking part, to the one-thread build’s bits', async () => {
    const [isolated, oneThread] = await isolatedPage();
    expect(isolated.crossOriginIsolated).toBe(true);
    expect([isolated.chosen, isolated.backend]).toEqual(['wasm', 'wasm']);
    // Chromium has relaxed SIMD; the build wanted is its threaded one.
    expect(isolated.wanted).toEqual([['relaxed', true]]);
    expect(isolated.info.flavor).toBe('relaxed');
    expect(isolated.info.threaded).toBe(true);
    expect(isolated.info.threads).toBeGreaterThan(1);
    expect(isolated.workerTasks).toBeGreaterThan(0);
    expect(oneThread!.info).toEqual({ flavor: 'relaxed', threaded: false, threads: 1 });
    expect(oneThread!.weights).toBe(isolated.weights);
  }, 300_000);

  it('the same page without the headers runs the one-thread build, to the same bits', async () => {
    const [[plain], [isolated]] = [await openPage('/plain/'), await isolatedPage()];
    expect(plain.crossOriginIsolated).toBe(false);
    expect(plain.wanted).toEqual([['relaxed', false]]);
    expect(plain.info).toEqual({ flavor: 'relaxed', threaded: false, threads: 1 });
    expect(plain.workerTasks).toBe(0);
    expect(plain.weights).toBe(isolated.weights);
  }, 300_000);
});
