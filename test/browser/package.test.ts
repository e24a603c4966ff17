import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/registry.js';
import { LSTM } from '../../src/nn/rnn.js';
import { manualSeed } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';

/*
 * kioku as a package, built by tsc as `npm run build` builds it and installed where a consumer's
 * `kioku` resolves: require() and import in Node, the types, and the browser bundles that
 * bundlers make from the exports map and `sideEffects` (a training-only page stays small).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'node_modules', '.cache', 'kioku-package');
const PKG = join(OUT, 'node_modules', 'kioku');

beforeAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(PKG, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [
    tsc,
    '-p',
    join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    join(PKG, 'dist'),
    '--sourceMap',
    'false',
  ]);
  copyFileSync(join(ROOT, 'package.json'), join(PKG, 'package.json'));
  // The consumer is a package of its own: inside the repository, 'kioku' would otherwise resolve to
  // the repository itself (a package may import itself by name).
  writeFileSync(join(OUT, 'package.json'), '{ "name": "kioku-consumer", "private": true }\n');
  symlinkSync(join(ROOT, 'native'), join(PKG, 'native'));
}, 300_000);

/** An LSTM's output for seeded weights and input, as the consumer scripts compute it. */
const PROGRAM = `
  k.manualSeed(0);
  const lstm = new k.LSTM({ inputSize: 2, hiddenSize: 3, batchFirst: true });
  const [y] = lstm.forward(k.randn([1, 4, 2]));
  const svg = await k.trainingCurvesSvg({ loss: [1, 0.5], valLoss: [1.2, 0.7] }, { title: 'curves from the package' });
  console.log(JSON.stringify({ backend: k.backend(), y: Array.from(y.f32), chart: svg.includes('curves from the package') }));
`;

function runConsumer(file: string, source: string): { backend: string; y: number[]; chart: boolean } {
  writeFileSync(join(OUT, file), source);
  const out = execFileSync(process.execPath, [join(OUT, file)], {
    env: { ...process.env, KIOKU_BACKEND: 'js' },
    cwd: OUT,
  });
  return JSON.parse(out.toString());
}

function expected(): number[] {
  setBackend('js');
  manualSeed(0);
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, batchFirst: true });
  return Array.from(lstm.forward(randn([1, 4, 2]))[0].f32);
}

describe('the built package', () => {
  it("require('kioku') works from CommonJS (no top-level await on the way), charts load on first use", () => {
    const got = runConsumer('consumer.cjs', `const k = require('kioku');\n(async () => {${PROGRAM}})();`);
    expect(got).toEqual({ backend: 'js', y: expected(), chart: true });
  });

  it("import('kioku') works from an ES module, with the same numbers", () => {
    expect(runConsumer('consumer.mjs', `import * as k from 'kioku';\n${PROGRAM}`)).toEqual({
      backend: 'js',
      y: expected(),
      chart: true,
    });
  });

  it('its types resolve for Node (node16) and for bundlers, kioku/worker included', () => {
    const file = join(OUT, 'consumer.mts');
    writeFileSync(
      file,
      `import 'kioku/worker';
       import { LSTM, type ModelFileMap, openModel, trainInWorker, zipModelDir } from 'kioku';
       export const use = (files: ModelFileMap) => [openModel(files).model, zipModelDir(files), new LSTM({ inputSize: 1, hiddenSize: 1 }), trainInWorker];`,
    );
    for (const moduleResolution of [ts.ModuleResolutionKind.Node16, ts.ModuleResolutionKind.Bundler]) {
      const module =
        moduleResolution === ts.ModuleResolutionKind.Bundler ? ts.ModuleKind.ESNext : ts.ModuleKind.Node16;
      const program = ts.createProgram([file], {
        module,
        moduleResolution,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
        noUncheckedSideEffectImports: true,
      } as ts.CompilerOptions);
      const errors = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(errors).toEqual([]);
    }
  }, 60_000);
});

/** Bundles `source` (importing 'kioku') for a browser as a page's bundler does: minified, tree-shaken. */
async function pageBundle(source: string) {
  const result = await build({
    stdin: { contents: source, resolveDir: OUT, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]!.contents;
  // What made it into the bundle (metafile.inputs also lists what tree-shaking dropped).
  const output = Object.values(result.metafile.outputs)[0]!.inputs;
  const inputs = Object.keys(output).filter((i) => output[i]!.bytesInOutput > 0);
  const packages = new Set(
    inputs.flatMap(
      (i) => /node_modules\/((@[^/]+\/)?[^/]+)\//.exec(i.replace(/.*kioku-package\//, ''))?.[1] ?? [],
    ),
  );
  return { minified: bytes.length, gzipped: gzipSync(bytes).length, inputs, packages };
}

/** The seed notebook's training loop, written against the package's 12 symbols it needs. */
const SEED_PAGE = `
  import { Adam, CrossEntropyLoss, DataLoader, Embedding, Linear, LSTM, Module, noGrad, padSequence, reshape, slice, tensor } from 'kioku';
  class Classifier extends Module {
    constructor() {
      super();
      this.embedding = this.registerModule('embedding', new Embedding(5000, 128));
      this.lstm = this.registerModule('lstm', new LSTM({ inputSize: 128, hiddenSize: 64, batchFirst: true }));
      this.fc = this.registerModule('fc', new Linear(64, 2));
    }
    forward(x, lengths) {
      const [, [h]] = this.lstm.forward(this.embedding.forward(x), null, { lengths });
      return this.fc.forward(reshape(slice(h, 0, 0, 1), [h.shape[1], h.shape[2]]));
    }
  }
  const data = [[tensor([1, 2, 3], { dtype: 'int32' }), 0], [tensor([4, 5], { dtype: 'int32' }), 1]];
  const loader = new DataLoader({ length: 2, get: (i) => data[i] }, { batchSize: 2, collateFn: (b) => ({
    x: padSequence(b.map(([t]) => t), { batchFirst: true }), lengths: Int32Array.from(b, ([t]) => t.shape[0]),
    y: tensor(b.map(([, l]) => l), { dtype: 'int32' }) }) });
  const model = new Classifier();
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const loss = new CrossEntropyLoss();
  for (const { x, lengths, y } of loader) { optimizer.zeroGrad(); loss.forward(model.forward(x, lengths), y).backward(); optimizer.step(); }
  export const out = noGrad(() => model.forward(data[0][0].reshape([1, 3])));
`;

describe('browser bundles of the package', () => {
  it('a page that trains the seed model stays under 100 KB gzipped: no charts, ONNX, zip or storage code', async () => {
    const seed = await pageBundle(SEED_PAGE);
    const whole = await pageBundle(`export * from 'kioku';`);
    console.log(
      `training-only page: ${seed.minified} B minified, ${seed.gzipped} B gzipped; whole entry: ${whole.minified} B, ${whole.gzipped} B gzipped`,
    );
    expect(seed.gzipped).toBeLessThanOrEqual(100_000);
    expect([...seed.packages]).toEqual(['kioku']);
    // the lazy and optional parts are there when asked for
    for (const p of ['vega', 'vega-lite', 'protobufjs', 'fflate', 'idb-keyval'])
      expect(whole.packages).toContain(p);
    expect(seed.inputs.some((i) => i.includes('kioku/dist/backend/js/lstm.js'))).toBe(true);
  }, 120_000);

  it('kioku/worker resolves to the browser worker, which reaches no Node module', async () => {
    const worker = await pageBundle(`import 'kioku/worker';`);
    expect(worker.inputs.some((i) => i.endsWith('kioku/dist/browser/worker.js'))).toBe(true);
    expect(worker.inputs.filter((i) => /worker-node|node:|select\.js/.test(i))).toEqual([]);
  }, 60_000);
});
