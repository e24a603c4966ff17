/*
 * kioku's import rules, checked by test/architecture.test.ts in `npm test` (and by
 * `npx depcruise src --config .dependency-cruiser.cjs`).
 *
 * Layers, lowest first. A module imports its own layer and the layers below it, never one above;
 * layers on one line know nothing of each other:
 *
 *   tensor     Tensor, autograd, RNG, errors
 *   backend    kernel registry and kernels (js/, native/), the recurrent-kinds table
 *   ops        forward + backward of each op; the only callers of the kernels (with optim)
 *   nn         modules and layers: call ops, never kernels
 *   optim      optimizers (their fused step calls its kernel directly: no autograd there)
 *   data       datasets, loaders, tokenizers, scalers
 *   plot       chart specs and rendering (the recipes draw their charts with it)
 *   io         bytes in and out: safetensors, model directories, ONNX/PyTorch/Keras, datasets
 *   train      fit, metrics, checkpoints, tasks, baselines; recipes/: what a CLI command does
 *   serve      the HTTP server over the recipes (Node only; `kioku serve` starts it)
 *   cli        the kioku command
 *   browser    (beside cli) model directories from files, drops, URLs and IndexedDB; training in a worker
 *   src/index.ts, src/node.ts   the entries, which re-export everything
 *
 * Type-only imports count here too: a type cycle or an upward type import is still a design
 * error. What must not reach a `node:` module (the platform-neutral entry) is checked over
 * runtime imports only, in the test.
 */
const LAYERS = [
  [['tensor', '^src/tensor/']],
  [['backend', '^src/backend/']],
  [['ops', '^src/ops/']],
  [['nn', '^src/nn/']],
  [
    ['optim', '^src/optim/'],
    ['data', '^src/data/'],
    ['plot', '^src/plot/'],
  ],
  [['io', '^src/io/']],
  [['train', '^src/train/']],
  [['serve', '^src/serve/']],
  [
    ['cli', '^src/cli/'],
    ['browser', '^src/browser/'],
  ],
  [['entries', '^src/(index|node)\\.ts$']],
];

/** One rule per layer: nothing in it imports a layer above it, or a sibling on its line. */
const layerRules = LAYERS.flatMap((rank, r) =>
  rank.flatMap(([name, path]) => {
    const above = [...LAYERS.slice(r + 1).flat(), ...rank.filter(([other]) => other !== name)];
    if (above.length === 0) return [];
    return {
      name: `layer-${name}`,
      comment: `${name} may import only ${
        LAYERS.slice(0, r)
          .flat()
          .map(([n]) => n)
          .join(', ') || 'itself'
      } (and itself)`,
      severity: 'error',
      from: { path },
      to: { path: above.map(([, p]) => p) },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles in src/, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'nn-calls-ops',
      comment:
        'Layers run ops; only ops (and optimizer steps) call backend kernels. The table of recurrent kinds is data.',
      severity: 'error',
      from: { path: '^src/nn/' },
      to: { path: '^src/backend/', pathNot: '^src/backend/recurrent-kinds\\.ts$' },
    },
    ...layerRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|bench|scripts|examples|native|dist)/' },
  },
};
