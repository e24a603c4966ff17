import { cpuUsage } from 'node:process';
import { initBackend } from '../src/backend/native/init.js';
import { loadHead } from '../src/cli/models.js';
import type { TextClassifier } from '../src/nn/heads.js';
import { noGrad } from '../src/tensor/autograd.js';
import { trainingStep } from '../src/tensor/step.js';
import { Tensor } from '../src/tensor/tensor.js';
import { advance } from '../src/train/recipes/serving-state.js';
import { trainModels } from './serve-setup.js';

await initBackend();
const m = await trainModels();
const model = (await loadHead(m[(process.argv[2] ?? 'seed') as 'seed'])).model as TextClassifier;
const B = Number(process.argv[3] ?? 24),
  T = 12;
const ids = Int32Array.from({ length: B * T }, (_, i) => 2 + ((i * 7919) % 3000));
const lengths = new Int32Array(B).fill(T);
const modes: Record<string, () => void> = {
  forward: () => trainingStep(() => noGrad(() => model.forward(new Tensor(ids, [B, T]), lengths))),
  advance: () =>
    trainingStep(() => {
      const x = noGrad(() => model.embedding.forward(new Tensor(ids, [B, T])));
      advance(model.rnn, x, lengths, new Array(B).fill(null));
    }),
  rnnNoState: () =>
    trainingStep(() => {
      const x = noGrad(() => model.embedding.forward(new Tensor(ids, [B, T])));
      noGrad(() => model.rnn.forward(x, undefined, { lengths }));
    }),
};
for (let r = 0; r < 4; r++)
  for (const [k, f] of Object.entries(modes).filter(([k]) => !process.argv[4] || k === process.argv[4])) {
    const c = cpuUsage();
    for (let i = 0; i < Number(process.argv[5] ?? 300); i++) f();
    const d = cpuUsage(c);
    console.log(k, ((d.user + d.system) / Number(process.argv[5] ?? 300)).toFixed(1), 'µs per call');
  }
