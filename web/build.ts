import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { loadMobyDick } from '../src/io/datasets/moby-dick.js';
import { builtinData } from './build-data.js';

/**
 * Builds the playground into static files: the pages, their scripts bundled by esbuild (the
 * training worker a bundle of its own), the built-in data sets made from npm packages, and
 * TensorFlow.js's .wasm binaries for the benchmark page, and kioku's own WebAssembly modules.
 * Nothing is loaded from a CDN.
 */

const WEB = import.meta.dirname;
const PAGES = ['index.html', 'bench.html', 'style.css'];
const KIOKU_WASM = join(WEB, '..', 'native', 'wasm');
const TFJS_WASM = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/** The generate panel's text: Moby Dick from its first chapter, 40,000 characters. */
async function mobyDickOpening(): Promise<string> {
  const text = await loadMobyDick();
  const start = text.indexOf('Call me Ishmael');
  return text.slice(start, start + 40_000);
}

export async function buildPlayground(out = join(WEB, 'dist')): Promise<string> {
  rmSync(out, { recursive: true, force: true });
  for (const dir of ['assets', 'data', 'tfjs', 'native/wasm']) mkdirSync(join(out, dir), { recursive: true });
  await build({
    entryPoints: ['main', 'worker', 'lm-worker', 'bench'].map((name) => join(WEB, 'src', `${name}.ts`)),
    outdir: join(out, 'assets'),
    bundle: true,
    format: 'esm',
    // Chart rendering (vega) and other lazy imports become chunks the page never loads.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    metafile: true,
  });
  for (const page of PAGES) copyFileSync(join(WEB, page), join(out, page));
  for (const [file, data] of Object.entries(await builtinData())) {
    writeFileSync(join(out, 'data', file), JSON.stringify(data));
  }
  writeFileSync(join(out, 'data', 'moby-dick-opening.txt'), await mobyDickOpening());
  const tfjs = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  for (const file of TFJS_WASM) copyFileSync(join(tfjs, 'dist', file), join(out, 'tfjs', file));
  // esbuild keeps kioku's `new URL('../../../native/wasm/…', import.meta.url)` as written: from a
  // script in assets/ that climbs to the site's root, so the modules go to native/wasm/ there.
  for (const file of readdirSync(KIOKU_WASM).filter((f) => f.endsWith('.wasm')))
    copyFileSync(join(KIOKU_WASM, file), join(out, 'native', 'wasm', file));
  return out;
}
