import { join } from 'node:path';
import type { Command } from 'commander';
import { replaceDirAtomic } from '../../io/atomic-node.js';
import { OPTIMIZER_FILE, TRAINING_STATE_FILE, WEIGHTS_FILE } from '../../io/model-config.js';
import { loadWeightsInto, modelFromFiles, modelToFiles } from '../../io/model-format.js';
import { importPytorchStateDict } from '../../io/pytorch.js';
import { readRegularFile } from '../../io/read-file-node.js';
import { StateDictError } from '../../tensor/errors.js';
import { CliError, loadHead } from '../models.js';
import { examples } from '../options.js';
import type { Reporter } from '../reporter.js';
import { refuseOutIsModel } from '../same-dir.js';

/** The largest weights file read, as loading a model directory caps model.safetensors. */
const MAX_WEIGHTS_BYTES = 2 ** 32 - 1;

interface ImportFlags {
  model: string;
  out: string;
  key?: string;
  stripPrefix?: string;
}

/**
 * `kioku import`: a state_dict trained in PyTorch (torch.save or safetensors) loaded into a copy
 * of a saved model, whose config.json (architecture, vocabulary, labels, scaler) it keeps. The
 * weights must match the architecture name for name and shape; the .pt reader never runs pickle code.
 */
async function importWeights(file: string, o: ImportFlags, reporter: Reporter): Promise<void> {
  await refuseOutIsModel(o.out, o.model, 'importing');
  const bytes = await readRegularFile(file, { maxBytes: MAX_WEIGHTS_BYTES });
  const tensors = importPytorchStateDict(bytes, {
    source: file,
    ...(o.key === undefined ? {} : { key: o.key }),
    ...(o.stripPrefix === undefined ? {} : { stripPrefix: o.stripPrefix }),
  });
  const { model, config } = await loadHead(o.model);
  try {
    loadWeightsInto(model, tensors, file);
  } catch (e) {
    if (!(e instanceof StateDictError)) throw e;
    const what = e.message.replace(`${file}: `, '').replace(/^loadStateDict: /, '');
    throw new CliError(
      `${file} does not fit the model in --model ${o.model}: ${what}; pass the --model directory of the architecture these weights were trained as (--key and --strip-prefix pick and rename the weights)`,
      { cause: e },
    );
  }
  const files = modelToFiles({ config, stateDict: model.stateDict() });
  // Loading checks what loadWeightsInto does not (finite weights): refuse now what could not be opened later.
  modelFromFiles(files, { pathOf: (name) => (name === WEIGHTS_FILE ? file : join(o.model, name)) });
  await replaceDirAtomic(o.out, files, { remove: [TRAINING_STATE_FILE, OPTIMIZER_FILE] });
  const summary = { weights: file, model: o.model, out: o.out, tensors: Object.keys(tensors).length };
  if (reporter.json) {
    reporter.io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  reporter.print(`${file} + ${o.model} → ${o.out}: ${summary.tensors} tensors loaded`);
}

export function importCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('import')
    .description(
      'load a state_dict trained in PyTorch (torch.save .pt/.pth, or safetensors) into a copy of a saved model',
    )
    .argument('<weights>', 'the state_dict file: torch.save(model.state_dict(), …) or safetensors')
    .requiredOption('--model <dir>', 'the model directory whose architecture and config the weights fit')
    .requiredOption('--out <dir>', 'model directory to write (config.json from --model, the new weights)')
    .option('--key <name>', "a checkpoint dict's key that holds the state_dict (e.g. model)")
    .option('--strip-prefix <prefix>', "removed from every weight name that has it (e.g. 'module.')")
    .addHelpText(
      'after',
      examples([
        'kioku import finetuned.pt --model runs/spam/model --out runs/spam-finetuned',
        'kioku import checkpoint.pth --key model --strip-prefix module. --model runs/spam/model --out runs/spam-ddp',
      ]),
    )
    .action(async (weights: string, opts: ImportFlags, cmd: Command) => {
      await importWeights(weights, opts, reporter(cmd));
    });
}
