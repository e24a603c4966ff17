import type { ModelConfig } from '../model-config.js';
import type { ProjectSettings, SeriesProjectSettings } from './settings.js';

/** README.md of an exported project: what it is and the exact commands. */
export function projectReadme(s: ProjectSettings, config: ModelConfig, cell: string): string {
  const what = `a ${cell.toUpperCase()} text classifier (${(config.labels ?? []).join(' / ')})`;
  return `# PyTorch training project for ${what}, exported by kioku

It trains the exact architecture of the kioku model (\`model.py\`) on the data kioku trained it on
(\`${s.data}\`), read, split and encoded exactly as kioku does (\`data.py\`), with the same loss,
optimiser (Adam, learning rate ${s.lr}), gradient clipping and model selection (the best epoch by
the validation loss). The result is a kioku model directory that kioku opens.

Needs Python 3 with PyTorch (no other package; safetensors files are read and written by the
code here).

## Train

${TRAIN_COMMANDS}

\`--batch\` is the global batch (${s.batch} by default), shared out among the processes, so the
optimisation does not depend on how many there are (except for dropout, word dropout included: each
process draws its own masks, so runs with different process counts differ as any two dropout runs
do). Other flags: \`--data PATH\`, \`--epochs N\`
(default ${s.epochs}), \`--lr R\`, \`--seed N\`, \`--init\` (start from the exported weights in
\`model.safetensors\`), \`--device cpu|cuda\`, \`--limit N\`, \`--build-vocab\` (with \`--vocab-size N
--min-freq N\`). \`python3 train.py --help\` lists them.
\`project.json\` holds the defaults.
\`--data\` takes what kioku reads: a CSV, TSV, JSON lines or .json array of records, or an aclImdb
directory. As in kioku, labels are trimmed and numbers written one way (1.0 and 01 are the class
1), rows whose label is empty or a missing-value marker (NaN, NA, N/A, null, None) are left out
with a warning, and empty texts are kept with a warning; a .csv whose first line holds semicolons
or tabs and no comma is read with those, and a CSV or JSON-lines file that is not UTF-8 is refused
with the line of its first bad byte.

## Results

- \`runs/model/\`: \`config.json\` + \`model.safetensors\`, the best epoch: open it with kioku
  (\`kioku info --model runs/model\`, \`kioku predict --model runs/model --text "…"\`).
- \`runs/checkpoints/epoch-N/\`: the model after each epoch, in the same layout.
- \`runs/metrics.json\`: the loss and validation measures per epoch and the test accuracy.

The test split is kioku's, so the test accuracy printed at the end compares with the one
\`kioku train\` reported for the same data and seed.
`;
}

/** The train commands, the same for both kinds of project. */
const TRAIN_COMMANDS = `One process:

\`\`\`sh
python3 train.py --out runs
\`\`\`

Several processes on this machine (DistributedDataParallel: gloo on CPU, NCCL on GPUs):

\`\`\`sh
torchrun --standalone --nproc_per_node 2 train.py --out runs
\`\`\`

Several machines: copy this directory (and the data) to each, then run on every one of them

\`\`\`sh
torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:29500 --rdzv_id kioku train.py --out runs
\`\`\`

where HOST is the first machine's address. Only the process of rank 0 writes files. (PyTorch 1.13
under Python 3.11, as in Debian 12, needs \`--redirects 1 --tee 1\` after \`torchrun\`: a bug of
that release's launcher.)`;

/** README.md of a forecaster's project. */
export function seriesProjectReadme(s: SeriesProjectSettings, config: ModelConfig, cell: string): string {
  const series = config.series as { target: string; lookback: number; horizon: number };
  return `# PyTorch training project for a ${cell.toUpperCase()} forecaster of ${series.target}, exported by kioku

It trains the exact architecture of the kioku model (\`model.py\`) on the series kioku trained it
on (\`${s.data}\`), read, split and encoded exactly as kioku does (\`data.py\`: the columns,
missing-value policy and split recorded in \`config.json\`, the target transform, each series'
standardisation fitted on its training rows, the calendar features of the dates, windows of
${series.lookback} steps forecasting ${series.horizon}), with kioku's loss (squared error weighted
per step), optimiser (Adam, learning rate ${s.lr}), gradient clipping (norm 1), start (the output
layer at zero: the transform's baseline), schedule (${s.lrSchedule}) and early stopping
(patience ${s.patience}, the best epoch by the validation MAE, MASE over several series). The
result is a kioku model directory that kioku opens. Its prediction intervals are not
recalibrated: \`kioku forecast\` gives point forecasts for it.

Needs Python 3 with PyTorch (no other package).

## Train

${TRAIN_COMMANDS}

\`--batch\` is the global batch (${s.batch} by default), shared out among the processes. Other flags:
\`--data PATH\` (a CSV, TSV or .json array of records with the same columns, read as kioku
reads them: a .csv of semicolons or tabs with those, a file that is not UTF-8 refused), \`--epochs N\` (at most; default ${s.epochs}),
\`--patience N\`, \`--lr-schedule plateau|cosine|constant\`, \`--lr R\`, \`--seed N\`, \`--init\`
(start from the exported weights in \`model.safetensors\`), \`--device cpu|cuda\`.
\`python3 train.py --help\` lists them. \`project.json\` holds the defaults.

## Results

- \`runs/model/\`: \`config.json\` + \`model.safetensors\`, the best epoch: open it with kioku
  (\`kioku info --model runs/model\`, \`kioku forecast --model runs/model\`).
- \`runs/checkpoints/epoch-N/\`: the model after each epoch, in the same layout.
- \`runs/metrics.json\`: the loss and validation error per epoch and the test error.

In Python, \`model.Forecaster(model.load_model('runs/model/model.safetensors'),
json.load(open('runs/model/config.json'))['series']).forecast()\` gives the same forecast.
`;
}
