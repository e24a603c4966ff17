import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedMemorySupported } from '../../src/backend/wasm/features.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';

// The threaded WebAssembly build, each case in a fresh Node (the build is chosen once per process
// from KIOKU_NUM_THREADS): the same bytes as the one-thread build on large GEMMs, every recurrent
// kernel fixture and Adam steps of two models (threads-digest.ts), in SIMD128 and relaxed SIMD
// (the full every-backend suite also runs on it: npm test's default is one thread per core), a process that ends while its
// workers wait, workers stopped when the build is switched, and a failed worker's one-line notice.

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
      const broken = (source, onError) => spawnNodeWorker('throw new Error("no room for a worker")', onError);
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
});
