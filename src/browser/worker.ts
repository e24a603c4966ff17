// kioku/worker in a browser: import it from a module Web Worker and the worker trains what
// `trainInWorker` sends it, on the best backend the browser runs.
import { initBrowserBackend } from './backend.js';
import { serveTraining } from './serve-training.js';
import type { MessageEndpoint } from './worker-protocol.js';

serveTraining(globalThis as unknown as MessageEndpoint, { initBackend: initBrowserBackend });
