/*
 * Peak training memory of the seed workload, run by bench/index.ts in a fresh process:
 *   tsx bench/memory.ts <native|js> <threads> <steps> [gc]
 * Prints JSON: VmRSS after setup (model, optimizer, data) and VmHWM after `steps` training steps,
 * both in KiB from /proc/self/status. With `gc`, a full collection runs before every step: the
 * figure is then the live peak, without the garbage V8 lets build up between its collections.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nativeBackend } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/registry.js';
import { ValueError } from '../src/tensor/errors.js';
import { seedWorkload } from './seed.js';

function statusKiB(key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s*(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new ValueError(`bench/memory: ${key} not found in /proc/self/status`);
  return Number(m[1]);
}

const [backend, threadsArg, stepsArg, gcArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const steps = Number(stepsArg);
if (backend !== 'native' && backend !== 'js') {
  throw new ValueError(`bench/memory: backend must be 'native' or 'js', got '${String(backend)}'`);
}
if (!Number.isInteger(threads) || threads < 1) {
  throw new ValueError(`bench/memory: threads must be a positive integer, got '${String(threadsArg)}'`);
}
if (!Number.isInteger(steps) || steps < 1) {
  throw new ValueError(`bench/memory: steps must be a positive integer, got '${String(stepsArg)}'`);
}
if (gcArg !== undefined && gcArg !== 'gc') {
  throw new ValueError(`bench/memory: the optional fourth argument must be 'gc', got '${gcArg}'`);
}
let collect = (): void => {};
if (gcArg === 'gc') {
  setFlagsFromString('--expose-gc');
  collect = runInNewContext('gc') as () => void;
}
if (backend === 'native') {
  const { addon, reason } = nativeBackend();
  if (!addon) throw new ValueError(`bench/memory: the native addon is unavailable (${reason})`);
  addon.init(threads);
}
setBackend(backend);
const w = seedWorkload(32, 200);
const baselineKiB = statusKiB('VmRSS');
for (let i = 0; i < steps; i++) {
  collect();
  w.trainStep();
}
console.log(JSON.stringify({ baseline_kib: baselineKiB, hwm_kib: statusKiB('VmHWM') }));
