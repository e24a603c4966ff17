import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { backend } from '../../src/backend/registry.js';
import { LSTM } from '../../src/nn/rnn.js';
import { matmul } from '../../src/ops/matmul.js';
import { Generator } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { availableBackends, describeEachBackend } from '../helpers/backends.js';

describeEachBackend('ops on each backend', (name) => {
  it('runs on the backend it names', () => {
    expect(backend()).toBe(name);
  });

  it('matmul gives the hand-computed product and gradients', () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const b = tensor(
      [
        [1, 0],
        [0, 1],
        [2, -1],
      ],
      { requiresGrad: true },
    );
    const y = matmul(a, b);
    expect(y.tolist()).toEqual([
      [7, -1],
      [16, -1],
    ]);
    y.backward(
      tensor([
        [1, 1],
        [1, 1],
      ]),
    );
    // dA = G·Bᵀ, dB = Aᵀ·G
    expect(a.grad!.tolist()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(b.grad!.tolist()).toEqual([
      [5, 5],
      [7, 7],
      [9, 9],
    ]);
  });

  it('a one-unit LSTM step matches the equations evaluated by hand', () => {
    const lstm = new LSTM({ inputSize: 1, hiddenSize: 1, generator: new Generator(1) });
    const [wIh, wHh, bIh, bHh] = lstm.parameters().map((p) => p.f32);
    const [out] = lstm.forward(tensor([[[0.5]]]));
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const pre = (k: number) => wIh![k]! * 0.5 + bIh![k]! + bHh![k]!; // h0 = 0, so W_hh plays no part
    expect(wHh!.length).toBe(4);
    const c = sig(pre(0)) * Math.tanh(pre(2));
    expect(out.item()).toBeCloseTo(sig(pre(3)) * Math.tanh(c), 6);
  });
});

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `script` in a fresh process with `env` added; returns stdout, stderr, status. */
function runIn(script: string, env: Record<string, string>): { out: string; err: string; ok: boolean } {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { out, err: '', ok: true };
  } catch (e) {
    const err = e as { stdout: string; stderr: string };
    return { out: err.stdout, err: err.stderr, ok: false };
  }
}

/** Runs initBackend() twice in a fresh process with KIOKU_BACKEND set. */
const initIn = (backend: string | undefined) =>
  runIn(
    "import('./src/backend/native/init.ts').then(m => { console.log(m.initBackend()); console.log(m.initBackend()); })",
    { KIOKU_BACKEND: backend ?? '' },
  );

/** The instruction set the addon reports in a fresh process with KIOKU_ISA set. */
const isaIn = (isa: string) =>
  runIn(
    "import('./src/backend/native/index.ts').then(m => console.log(m.nativeBackend().addon.info().isa))",
    {
      KIOKU_ISA: isa,
    },
  );

describe.skipIf(nativeBackend().addon === null)('KIOKU_ISA', () => {
  it('selects each instruction set this machine runs', () => {
    for (const isa of nativeBackend().addon!.info().isas) expect(isaIn(isa).out).toBe(`${isa}\n`);
  });

  it('rejects one this machine cannot run with a sentence', () => {
    const r = isaIn('sse9');
    expect(r.ok).toBe(false);
    expect(r.err).toContain(
      `KIOKU_ISA must be one of ${nativeBackend().addon!.info().isas.join(', ')} on this machine, got 'sse9'`,
    );
  });
});

describe('initBackend', () => {
  it('KIOKU_BACKEND=js forces the JS backend', () => {
    expect(initIn('js').out).toBe('js\njs\n');
  });

  it('picks native when the addon loads, and is idempotent', () => {
    const expected = availableBackends().includes('native') ? 'native' : 'wasm';
    expect(initIn(undefined).out).toBe(`${expected}\n${expected}\n`);
  });

  it('rejects an unknown KIOKU_BACKEND with a sentence', () => {
    const r = initIn('gpu');
    expect(r.ok).toBe(false);
    expect(r.err).toContain("KIOKU_BACKEND must be 'js', 'native' or 'wasm', got 'gpu'");
  });

  it.skipIf(nativeBackend().addon === null)('KIOKU_BACKEND=native uses the addon', () => {
    expect(initIn('native').out).toBe('native\nnative\n');
  });
});
