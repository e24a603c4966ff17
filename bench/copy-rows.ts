/*
 * The strided row copy behind concat, split, slice and stack: `tsx bench/copy-rows.ts [rounds]`
 * times the copyRows kernel of the JS backend against the native one, copying and adding, on the
 * shapes a bidirectional layer's concat takes (its two directions' T·B rows of H side by side): a
 * served batch of 15 e-mails (T 256, H 64), one e-mail, a training batch (T 200, B 32) and a wide
 * layer (H 512). CPU time per call, the median of each over rounds.
 */
import { initBackend } from '../src/backend/native/init.js';
import { kernelFor } from '../src/backend/registry.js';
import { medianCpuMs } from './wasm-time.js';

const ROUNDS = Number(process.argv[2] ?? 9);
if (!(await initBackend()))
  throw new Error('bench/copy-rows.ts needs the native addon (npm run build:native)');
const backends = { js: kernelFor('copyRows', 'js')!, native: kernelFor('copyRows', 'native')! };

const shapes: Array<[string, number, number]> = [
  ['served batch: 15 e-mails, T 256, H 64', 256 * 15, 64],
  ['one e-mail: T 256, H 64', 256, 64],
  ['training batch: T 200, B 32, H 64', 200 * 32, 64],
  ['wide: T 50, B 32, H 512', 50 * 32, 512],
];
console.log(`copyRows, one direction's rows into the concat (CPU µs per call, median of ${ROUNDS})`);
for (const [what, rows, cols] of shapes) {
  const src = Float32Array.from({ length: rows * cols }, (_, i) => i % 7);
  const dst = new Float32Array(rows * 2 * cols);
  const µs: string[] = [];
  for (const accumulate of [false, true]) {
    const [js, native] = (['js', 'native'] as const).map((b) => {
      const fn = backends[b];
      const reps = Math.max(5, Math.floor(2e6 / (rows * cols)));
      const call = () => {
        for (let i = 0; i < reps; i++) fn(src, 0, cols, dst, cols, 2 * cols, rows, cols, accumulate);
      };
      return (1000 * medianCpuMs(call, ROUNDS, 2)) / reps;
    }) as [number, number];
    µs.push(
      `${accumulate ? 'add' : 'copy'} JS ${js.toFixed(1)}, native ${native.toFixed(1)} (${(js / native).toFixed(1)}×)`,
    );
  }
  console.log(`  ${what}: ${µs.join('; ')}`);
}
