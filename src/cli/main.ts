#!/usr/bin/env node
import { initBackend } from '../backend/native/init.js';
import { run } from './program.js';

try {
  initBackend();
} catch (e) {
  process.stderr.write(`kioku: ${(e as Error).message}\n`);
  process.exit(1);
}
// A reader that stops reading (`kioku predict … | head`) closes the pipe: end quietly, as a
// command whose output is no longer wanted, instead of with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
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
