import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedMemorySupported } from '../../src/backend/wasm/features.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';

// The threaded WebAssembly build, each case in a fresh Node (the build is chosen once per process
// from KIOKU_NUM_THREADS): the same bytes as the one-thread build on large GEMMs, every recurrent
// kernel fixture and Adam steps of two models (threads-digest.ts), in SIMD128 and relaxed SIMD
// (the full every-backend suite also runs on it: npm test's default is one thread per core), a process that ends while its
// workers wait, workers stopped when the build is switched, a worker that fails to start, and one
// lost after it ran (a trap in a task, an end without a word, idle or mid-task): the call fails
// with a clear error instead of waiting for ever, and the backend goes on on one thread.

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(
  args: string[],
  threads: number,
  flags: string[] = [],
): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, KIOKU_NUM_THREADS: String(threads) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

interface Digest {
  info: { flavor: string; threaded: boolean; threads: number };
  workerTasks: number;
  digests: Record<string, string>;
}

const digest = (threads: number, flags: string[] = []): Digest => {
  const r = run(['test/wasm/threads-digest.ts'], threads, flags);
  expect(r.status, r.err).toBe(0);
  return JSON.parse(r.out) as Digest;
};

/** An ES module in a fresh Node with `threads`, after the threaded build's workers run. */
const script = (body: string, threads = 2) =>
  run(
    [
      '--input-type=module',
      '-e',
      `
      import { loadWasmSync } from './src/backend/wasm/load-node.ts';
      import { startWasmThreads, switchWasmBuild, wasmBackend, wasmInfo } from './src/backend/wasm/index.ts';
      import { kernelFor } from './src/backend/registry.ts';
      const reason = loadWasmSync();
      if (reason) throw new Error(reason);
      const until = async (ok) => { for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20)); };
      await until(() => wasmInfo().threads === ${threads});
      ${body}`,
    ],
    threads,
  );

describe.skipIf(loadWasmSync() !== '' || !sharedMemorySupported())('the threaded WebAssembly build', () => {
  it('gives the one-thread build’s bytes, with its worker taking part', () => {
    const one = digest(1);
    const two = digest(2);
    expect(one.info).toEqual({ flavor: 'simd128', threaded: false, threads: 1 });
    expect(two.info).toEqual({ flavor: 'simd128', threaded: true, threads: 2 });
    expect(two.workerTasks).toBeGreaterThan(0);
    expect(Object.keys(one.digests).length).toBeGreaterThan(20);
    expect(two.digests).toEqual(one.digests);
  });

  it('with relaxed SIMD too (Node 20 behind its flag)', () => {
    const flags = ['--experimental-wasm-relaxed-simd'];
    const one = digest(1, flags);
    const two = digest(2, flags);
    expect([one.info.flavor, one.info.threaded, two.info.flavor, two.info.threads]).toEqual([
      'relaxed',
      false,
      'relaxed',
      2,
    ]);
    expect(two.workerTasks).toBeGreaterThan(0);
    expect(two.digests).toEqual(one.digests);
  });

  it('lets the process end while its workers wait, and KIOKU_NUM_THREADS=1 keeps one thread', () => {
    const gemm = `
      const n = 256, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
      kernelFor('gemm', 'wasm')(false, false, n, n, n, a, 0, n, a, 0, n, c, 0, n, false);
      console.log(JSON.stringify(wasmInfo()), c[n * n - 1]);`;
    const started = Date.now();
    expect(script(gemm)).toEqual({
      status: 0,
      out: '{"flavor":"simd128","threaded":true,"threads":2} 256\n',
      err: '',
    });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(script(gemm, 1)).toEqual({
      status: 0,
      out: '{"flavor":"simd128","threaded":false,"threads":1} 256\n',
      err: '',
    });
  });

  it('stops the workers when another build is loaded, and gives the new one its own', () => {
    const r = script(`
      import { readFileSync } from 'node:fs';
      import { spawnNodeWorker } from './src/backend/wasm/load-node.ts';
      const module = new WebAssembly.Module(readFileSync('native/wasm/kioku-simd128-threads.wasm'));
      switchWasmBuild(module, 'simd128');
      const after = wasmInfo().threads;
      startWasmThreads(1, spawnNodeWorker, console.log);
      await until(() => wasmInfo().threads === 2);
      console.log(after, wasmInfo().threads);`);
    expect(r).toEqual({ status: 0, out: '1 2\n', err: '' });
  });

  it('a worker that fails prints one line, and the work goes on without it', () => {
    const r = script(`
      import { spawnNodeWorker } from './src/backend/wasm/load-node.ts';
      const broken = (source, onError, onExit) =>
        spawnNodeWorker('throw new Error("no room for a worker")', onError, onExit);
      startWasmThreads(1, broken, (line) => console.log(line));
      await new Promise((r) => setTimeout(r, 1000));
      const n = 200, a = new Float32Array(n * n).fill(0.5), c = new Float32Array(n * n);
      kernelFor('gemm', 'wasm')(false, false, n, n, n, a, 0, n, a, 0, n, c, 0, n, false);
      console.log(wasmInfo().threads, c[0]);`);
    expect(r).toEqual({
      status: 0,
      out: 'kioku: a WebAssembly worker thread failed (no room for a worker); its share of the work runs on the other threads\n2 50\n',
      err: '',
    });
  });

  // A worker given block 0 and no stack bytes runs with its stack pointer at 0: its loop needs no
  // stack, a task's first frame wraps below 0 and traps (out of bounds), in the middle of the task.
  const LOSSES = `
    import { spawnNodeWorker } from './src/backend/wasm/load-node.ts';
    const lines = [];
    const trapping = (rewrite) => (source, onError, onExit) => {
      const worker = spawnNodeWorker(rewrite(source), onError, onExit);
      return { postMessage: (m) => worker.postMessage({ ...m, block: 0, stackBytes: 0 }) };
    };
    const [m, n, k] = [6400, 256, 128];
    const a = new Float32Array(m * k).fill(0.5), b = new Float32Array(k * n).fill(0.5);
    const gemm = (c) => kernelFor('gemm', 'wasm')(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
    // The faulty worker takes a task within a few products (the caller and the healthy worker take the rest).
    const untilItFails = () => {
      for (let i = 0; i < 50; i++) {
        const c = new Float32Array(m * n).fill(7);
        try {
          gemm(c);
        } catch (err) {
          return [err.constructor.name, err.message, c.every((v) => v === 7)];
        }
      }
      return 'no failure';
    };
    const after = () => {
      const c = new Float32Array(m * n);
      gemm(c);
      return [wasmInfo().threads, c[0], c[m * n - 1]];
    };`;

  it('a worker that traps in a task: the call fails, outputs unchanged, one notice, one thread from then on', () => {
    const r = script(`${LOSSES}
      startWasmThreads(1, trapping((s) => s), (line) => lines.push(line));
      await until(() => wasmInfo().threads === 3);
      const failed = untilItFails();
      await new Promise((r) => setTimeout(r, 300));
      console.log(JSON.stringify({ failed, lines, after: after() }));`);
    expect(r.status, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      failed: [
        'KiokuError',
        'gemm: a WebAssembly worker thread stopped in the middle of its part of the work; its outputs are unchanged, and the WebAssembly backend runs on one thread from now on',
        true,
      ],
      lines: [
        'kioku: a WebAssembly worker thread stopped in the middle of a call; the WebAssembly backend runs on one thread from now on',
      ],
      after: [1, 32, 32],
    });
  });

  it('a worker that ends without a word: at once when idle, after the stall limit when mid-task', () => {
    const r = script(`${LOSSES}
      let ended;
      startWasmThreads(1, (s, e, x) => (ended = spawnNodeWorker(s, e, x)), (line) => lines.push(line));
      await until(() => wasmInfo().threads === 3);
      await ended.terminate();
      await until(() => wasmInfo().threads === 1);
      const idle = { lines: lines.splice(0), after: after() };
      // A second process state: a fresh build whose faulty worker swallows its trap and ends, as a
      // terminated one would, telling nobody.
      const { readFileSync } = await import('node:fs');
      switchWasmBuild(new WebAssembly.Module(readFileSync('native/wasm/kioku-simd128-threads.wasm')), 'simd128');
      wasmBackend().instance.exports.thread_stall_ms(300);
      const silent = (source) => {
        const quiet = source.replace(/catch [(]err[)] [{][^}]*[}]/, 'catch {}');
        if (quiet === source) throw new Error("the worker's catch block was not found");
        return quiet;
      };
      startWasmThreads(1, spawnNodeWorker, (line) => lines.push(line));
      startWasmThreads(1, trapping(silent), (line) => lines.push(line));
      await until(() => wasmInfo().threads === 3);
      const failed = untilItFails();
      await new Promise((r) => setTimeout(r, 300));
      console.log(JSON.stringify({ idle, failed, lines, after: after() }));`);
    expect(r.status, r.err).toBe(0);
    const oneThread = 'the WebAssembly backend runs on one thread from now on';
    expect(JSON.parse(r.out)).toEqual({
      idle: { lines: [`kioku: a WebAssembly worker thread ended; ${oneThread}`], after: [1, 32, 32] },
      failed: [
        'KiokuError',
        `gemm: a WebAssembly worker thread stopped in the middle of its part of the work; its outputs are unchanged, and ${oneThread}`,
        true,
      ],
      lines: [`kioku: a WebAssembly worker thread stopped in the middle of a call; ${oneThread}`],
      after: [1, 32, 32],
    });
  });
});
