import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium, driven headless by playwright-core (which downloads no browser). CI installs
 * it (.ci/run); elsewhere `apt-get install -y chromium`, or point KIOKU_CHROMIUM at another build.
 */

export const CHROMIUM = process.env.KIOKU_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(
    `browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set KIOKU_CHROMIUM)`,
  );
}

/** Screenshots and downloads the browser tests keep, for a person to look at. */
export const OUTPUT = join(import.meta.dirname, 'output');

export async function launch(): Promise<Browser> {
  mkdirSync(OUTPUT, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // A fresh profile each launch; no background traffic (the machine has no network).
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/**
 * Closes what a browser test opened, for its afterAll: the browser, the server of the playground
 * it serves, and its temporary directory (each may be missing: without Chromium nothing opened).
 */
export async function closeBrowserTest(opened: {
  browser?: Browser;
  site?: { server: Server };
  tmp: string;
}): Promise<void> {
  try {
    await opened.browser?.close();
  } finally {
    opened.site?.server.close();
    rmSync(opened.tmp, { recursive: true, force: true });
  }
}

/** What went wrong on a page: console errors, uncaught exceptions, failed or refused requests. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * The longest task on the main thread (Chromium's CrRendererMain) of the one page that runs a
 * worker while `during` runs,
 * from a Chromium trace: its thread time (CPU, ms), which a busy machine does not stretch as it
 * stretches wall time, and its wall time. Tasks on worker threads are not counted.
 */
export async function longestMainThreadTask(
  browser: Browser,
  during: () => Promise<void>,
): Promise<{ cpuMs: number; wallMs: number }> {
  await browser.startTracing(undefined, {
    categories: ['toplevel', 'disabled-by-default-devtools.timeline'],
  });
  let trace: { traceEvents: TraceEvent[] };
  try {
    await during();
  } finally {
    trace = JSON.parse((await browser.stopTracing()).toString());
  }
  const events = trace.traceEvents;
  const threads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name');
  // The page's renderer is the process that runs its worker; other renderers (spare ones, other
  // tabs) have main threads of their own.
  const pids = new Set(threads.filter((e) => e.args?.name === 'DedicatedWorker thread').map((e) => e.pid));
  const main = new Set(
    threads
      .filter((e) => e.args?.name === 'CrRendererMain' && pids.has(e.pid))
      .map((e) => `${e.pid}:${e.tid}`),
  );
  if (main.size !== 1) throw new Error(`expected one page running a worker in the trace, found ${main.size}`);
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`));
  return {
    cpuMs: Math.max(0, ...tasks.map((e) => (e.tdur ?? 0) / 1000)),
    wallMs: Math.max(0, ...tasks.map((e) => (e.dur ?? 0) / 1000)),
  };
}
