/*
 * The seed model's training step in a loop on the native backend, for a profiler:
 * `perf record -F 999 -g -D 4000 -- node --import tsx bench/profile-seed.ts [threads] [steps]`
 * (-D skips start-up and the warm-up steps). Prints nothing.
 */
import { nativeBackend } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/registry.js';
import { seedWorkload } from './seed.js';

const { addon, reason } = nativeBackend();
if (!addon) {
  process.stderr.write(`bench/profile-seed: the native addon is unavailable (${reason})\n`);
  process.exit(1);
}
setBackend('native');
addon.init(Number(process.argv[2] ?? 1));
const workload = seedWorkload(32, 200);
for (let i = 0; i < 5; i++) workload.trainStep();
const steps = Number(process.argv[3] ?? 120);
for (let i = 0; i < steps; i++) workload.trainStep();
