import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { seedWorkload } from '../../bench/seed.js';
import { type TfjsTiming, tfjsLstm } from '../../bench/tfjs.js';
import { BROWSER_BACKENDS, setBackend } from '../../src/index.js';
import { $, fillTable, messageOf, say } from './dom.js';

/**
 * The seed model's training step on each kioku backend this browser runs and on TensorFlow.js's
 * WebAssembly backend, in one page, with a table. TF.js's .wasm files are served with the page.
 */

interface Plan {
  T: number;
  reps: number;
  warmup: number;
}

interface Row {
  name: string;
  workload: string;
  train: TfjsTiming | null;
  infer: TfjsTiming | null;
}

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Median ms of `reps` runs after `warmup`, yielding to the page between runs so it can repaint. */
async function time(plan: Plan, fn: () => void): Promise<TfjsTiming> {
  try {
    for (let i = 0; i < plan.warmup; i++) fn();
    const times: number[] = [];
    for (let i = 0; i < plan.reps; i++) {
      await nextFrame();
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { ms: times[times.length >> 1]!, T: plan.T, timed: plan.reps, warmup: plan.warmup };
  } catch (e) {
    return { error: messageOf(e) };
  }
}

async function kiokuRows(plan: Plan): Promise<Row[]> {
  const rows: Row[] = [];
  for (const backend of BROWSER_BACKENDS) {
    if (!(await backend.load().catch(() => false))) continue;
    setBackend(backend.name);
    for (const embedding of [true, false]) {
      const w = seedWorkload(32, plan.T, embedding);
      rows.push({
        name: `kioku ${backend.name}`,
        workload: embedding ? 'seed model' : 'LSTM alone',
        train: await time(plan, () => w.trainStep()),
        infer: await time(plan, () => w.infer()),
      });
    }
  }
  return rows;
}

async function tfjsRows(plan: Plan): Promise<Row[]> {
  setWasmPaths(new URL('../tfjs/', import.meta.url).href);
  const rows: Row[] = [];
  for (const vocab of [5000, 0]) {
    const run = await tfjsLstm(
      'wasm',
      { B: 32, vocab, train: plan, infer: plan },
      navigator.hardwareConcurrency,
    );
    const workload = vocab ? 'seed model' : 'LSTM alone';
    if (!run || run.unavailable)
      rows.push({
        name: 'TF.js wasm',
        workload,
        train: { error: run?.unavailable ?? 'not bundled' },
        infer: null,
      });
    else
      rows.push({
        name: `TF.js ${run.version} wasm (${run.setup})`,
        workload,
        train: run.train,
        infer: run.infer,
      });
  }
  return rows;
}

const cell = (t: TfjsTiming | null) => (!t ? '—' : 'error' in t ? `cannot run: ${t.error}` : t.ms.toFixed(1));
const perSecond = (t: TfjsTiming | null) =>
  !t || 'error' in t ? '—' : Math.round((32 * t.T * 1000) / t.ms).toLocaleString('en');

function render(rows: Row[]): void {
  fillTable(
    $<HTMLTableElement>('bench-table'),
    ['library and backend', 'workload', 'train step (ms)', 'tokens/s (train)', 'inference (ms)'],
    rows.map((r) => [r.name, r.workload, cell(r.train), perSecond(r.train), cell(r.infer)]),
  );
}

async function run(): Promise<void> {
  const plan = {
    T: Number(($('tokens') as HTMLInputElement).value),
    reps: Number(($('reps') as HTMLInputElement).value),
    warmup: Number(($('warmup') as HTMLInputElement).value),
  };
  const button = $('run') as HTMLButtonElement;
  button.disabled = true;
  try {
    say($('bench-status'), 'Running kioku…');
    const rows = await kiokuRows(plan);
    render(rows);
    say($('bench-status'), 'Running TensorFlow.js…');
    rows.push(...(await tfjsRows(plan)));
    render(rows);
    say(
      $('bench-status'),
      `Done (batch 32, T ${plan.T}, median of ${plan.reps} after ${plan.warmup} warm-up).`,
    );
    $('bench-table').dataset.done = 'true';
  } catch (e) {
    say($('bench-status'), messageOf(e), true);
  } finally {
    button.disabled = false;
  }
}

$('env').textContent =
  `${navigator.hardwareConcurrency} threads · WebAssembly SIMD ${WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11])) ? 'yes' : 'no'}`;
$('run').onclick = () => void run();
