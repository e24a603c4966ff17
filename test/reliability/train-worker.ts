/** Worker side of the isolation test: trains with the options it is given and posts the weights. */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../src/backend/native/init.js';
import { type RunOptions, trainRun } from './train-run.js';

const backend = initBackend();
const weights = await trainRun(workerData as RunOptions);
parentPort!.postMessage({ backend, weights });
