import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';

// Choosing and loading the WebAssembly backend, each in a fresh process (the choice is made once per
// process): KIOKU_BACKEND=wasm, the fallback order with its one-line notice, and initWasm from the
// platform-neutral entry with the module given by URL, by a function of the build, over HTTP, and
// broken.

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs an ES module script in a fresh Node (with tsx); its stdout and stderr. */
function runIn(script: string, env: Record<string, string> = {}): { out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { out: r.stdout, err: r.stderr };
}

/** chooseBackend with a native backend that fails for `reason` and the real WebAssembly loader. */
const fallback = (wasmReason: string) => `
  import { chooseBackend } from './src/backend/select.ts';
  import { setBackend } from './src/backend/registry.ts';
  import { loadWasmSync } from './src/backend/wasm/load-node.ts';
  const name = chooseBackend({
    want: '', source: 'KIOKU_BACKEND', notice: (line) => process.stderr.write(line),
    activateNative: () => 'no addon here',
    activateWasm: () => { const r = ${wasmReason ? JSON.stringify(wasmReason) : 'loadWasmSync()'}; if (!r) setBackend('wasm'); return r; },
  });
  console.log(name);`;

describe.skipIf(loadWasmSync() !== '')('selecting the WebAssembly backend', () => {
  it('KIOKU_BACKEND=wasm forces it, and backend() reports it', () => {
    const r = runIn("const k = await import('./src/node.ts'); console.log(k.backend());", {
      KIOKU_BACKEND: 'wasm',
    });
    expect(r).toEqual({ out: 'wasm\n', err: '' });
  });

  it('without the native addon, Node falls back to it with a one-line notice', () => {
    expect(runIn(fallback(''))).toEqual({
      out: 'wasm\n',
      err: 'kioku: native backend unavailable (no addon here); using the WebAssembly backend\n',
    });
  });

  it('without either, JS is used and one line says why', () => {
    expect(runIn(fallback('no module'))).toEqual({
      out: 'js\n',
      err: 'kioku: native backend unavailable (no addon here); WebAssembly backend unavailable (no module); using the JS backend\n',
    });
  });

  it('initWasm resolves to wasm with the module from a file URL or a function of the build', () => {
    const r = runIn(`
      import './src/backend/wasm/load-node.ts';
      import { initWasm, backend } from './src/index.ts';
      const url = (flavor) => new URL('./native/wasm/kioku-' + flavor + '.wasm', 'file://${root}/');
      console.log(await initWasm(url), backend());`);
    expect(r).toEqual({ out: 'wasm wasm\n', err: '' });
  });

  // application/wasm compiles while the body arrives (compileStreaming); any other type from the bytes.
  for (const type of ['application/wasm', 'application/octet-stream'])
    it(`from the platform-neutral entry alone, initWasm fetches the module over HTTP (${type})`, () => {
      const r = runIn(`
        import { createServer } from 'node:http';
        import { readFileSync } from 'node:fs';
        import { initWasm, backend, tensor, matmul } from './src/index.ts';
        const bytes = readFileSync('native/wasm/kioku-simd128.wasm');
        const server = createServer((_, res) => { res.setHeader('content-type', '${type}'); res.end(bytes); });
        await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
        const { port } = server.address();
        console.log(await initWasm('http://127.0.0.1:' + port + '/kioku-simd128.wasm'), backend());
        console.log(JSON.stringify(matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])).tolist()));
        server.close();`);
      expect(r).toEqual({ out: 'wasm wasm\n[[19,22],[43,50]]\n', err: '' });
    });

  it('a module that fails to load leaves the backend as it was, with a one-line notice', () => {
    const r = runIn(`
      import { initWasm } from './src/index.ts';
      console.log(await initWasm(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9])));`);
    expect(r.out).toBe('js\n');
    expect(r.err).toMatch(/^kioku: WebAssembly backend unavailable \([^\n]+\); using the JS backend\n$/);
  });
});
