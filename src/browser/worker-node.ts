// kioku/worker in Node: run it as a worker thread (new Worker(import.meta.resolve('kioku/worker')))
// and it trains what `trainInWorker` sends it, on the native backend when it loads.
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend/native/init.js';
import { ValueError } from '../tensor/errors.js';
import { serveTraining } from './serve-training.js';
import type { MessageEndpoint } from './worker-protocol.js';

if (!parentPort)
  throw new ValueError('kioku/worker must run in a worker thread (new Worker(…)), not as a main script');
serveTraining(parentPort as unknown as MessageEndpoint, { initBackend });
