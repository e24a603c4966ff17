#!/usr/bin/env node
import { initBackend } from '../backend/native/init.js';
import { run } from './program.js';

try {
  initBackend();
} catch (e) {
  process.stderr.write(`kioku: ${(e as Error).message}\n`);
  process.exit(1);
}
// The first Ctrl-C stops training after the current batch (the model is still evaluated and
// saved); a second one ends the process.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\nkioku: interrupted; stopping after the current batch (Ctrl-C again to quit)\n');
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
});
