import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { replaceDirAtomic } from '../../io/atomic-node.js';
import { CONFIG_FILE } from '../../io/model-config.js';
import { type ExportableModel, type ExportFormat, exportFiles } from '../../io/onnx/export-model.js';
import { writePytorchProject } from '../../io/pytorch-project/project-node.js';
import { readRegularFile } from '../../io/read-file-node.js';
import { BagOfWordsClassifier } from '../../nn/heads.js';
import { LanguageModel } from '../../nn/language-model.js';
import { ValueError } from '../../tensor/errors.js';
import { CliError, loadAnyModel } from '../models.js';
import { examples, int } from '../options.js';
import type { Reporter } from '../reporter.js';
import { refuseOutIsModel } from '../same-dir.js';

/** The largest config.json copied beside an export (as loadModelDir reads it). */
const MAX_CONFIG_BYTES = 256 * 1024 * 1024;

interface ExportFlags {
  model: string;
  format: ExportFormat | 'pytorch-project';
  out: string;
  opset?: number;
  data?: string;
  limit?: number;
}

/**
 * `kioku export`: writes a saved model as ONNX, PyTorch (safetensors + model.py) or a TF.js
 * layers model, with the model's config.json beside it so the vocabulary or scaler travels too;
 * or as a PyTorch project that trains it on a torchrun cluster.
 */
async function exportTo(o: ExportFlags, reporter: Reporter): Promise<void> {
  // Exporting into the model directory would replace its model.safetensors and copy config.json onto itself.
  await refuseOutIsModel(o.out, o.model, 'exporting');
  const { model, config } = await loadAnyModel(o.model);
  if (model instanceof BagOfWordsClassifier) {
    throw new CliError(`"${o.model}" holds a bag-of-words baseline; export supports recurrent models only`);
  }
  for (const flag of ['data', 'limit'] as const) {
    if (o[flag] !== undefined && o.format !== 'pytorch-project')
      throw new CliError(
        `--${flag} sets the data of a pytorch-project export; --format ${o.format} takes none`,
      );
  }
  if (o.format === 'pytorch-project' && model instanceof LanguageModel) {
    throw new CliError(
      '--format pytorch-project: the project reproduces the training of text classifiers and forecasters only; for a language model, `kioku export --format pytorch` writes a model.py with generate()',
    );
  }
  if (o.format === 'pytorch-project' && o.limit !== undefined && config.task === 'forecasting') {
    throw new CliError(
      `--limit applies to a text classifier's pytorch-project; "${o.model}" holds a forecaster, whose project reads the rows its config.json records: leave --limit out`,
    );
  }
  if (o.opset !== undefined && o.format !== 'onnx') {
    throw new CliError(`--opset sets the opset of an onnx export; --format ${o.format} takes none`);
  }
  const project = {
    ...(o.data !== undefined ? { data: o.data } : {}),
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
  };
  const names = await inTermsOfFlags(o.format, () =>
    o.format === 'pytorch-project'
      ? writePytorchProject(o.model, o.out, project)
      : writeExport(o.format, model, config, o),
  );
  if (reporter.json) {
    reporter.io.stdout.write(`${JSON.stringify({ format: o.format, out: o.out, files: names })}\n`);
    return;
  }
  reporter.print(`${o.model} → ${o.format}: ${names.map((f) => join(o.out, f)).join(', ')}`);
}

/** The exporters' refusals name the library function; on the command line they name --format. */
async function inTermsOfFlags<T>(format: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!(e instanceof ValueError) || !/^export\w+: /.test(e.message)) throw e;
    // The options this command sets from flags are named as the flags.
    const message = e.message.replace(/^export\w+: /, '').replace(/\boptions\.(data|limit)\b/g, '--$1');
    throw new CliError(`--format ${format}: ${message}`);
  }
}

async function writeExport(
  format: ExportFormat,
  model: ExportableModel,
  config: { task?: unknown; series?: unknown },
  o: ExportFlags,
): Promise<string[]> {
  // A forecaster's model.py also gets its encoding (transform, scaling, calendar, intervals).
  const series = format === 'pytorch' && config.task === 'forecasting' ? { series: config.series } : {};
  const files = exportFiles(format, model, o.opset === undefined ? series : { opset: o.opset });
  files[CONFIG_FILE] = await readRegularFile(join(o.model, CONFIG_FILE), {
    maxBytes: MAX_CONFIG_BYTES,
    noFollow: true,
  });
  // One set: a reader (or a run killed midway) sees the old export or the new one, never a mix.
  await replaceDirAtomic(o.out, files);
  return Object.keys(files);
}

/** Which flags each format takes, per kind of model: all formats, or only the one given with --format. */
const FLAGS_BY_FORMAT: Record<ExportFlags['format'], string[]> = {
  onnx: ['onnx: --opset (text classifiers, forecasters and language models)'],
  pytorch: ['pytorch: no other flags (text classifiers, forecasters and language models)'],
  tfjs: ['tfjs: no other flags (text classifiers and forecasters)'],
  'pytorch-project': [
    'pytorch-project of a text classifier: --data, --limit',
    'pytorch-project of a forecaster: --data (a file with the columns it was trained on)',
    'pytorch-project of a language model: none (use --format pytorch, whose model.py has generate())',
  ],
};

function flagsHelp(format: string | undefined): string {
  const formats =
    format && format in FLAGS_BY_FORMAT ? [format as ExportFlags['format']] : Object.keys(FLAGS_BY_FORMAT);
  const lines = formats.flatMap((f) => FLAGS_BY_FORMAT[f as ExportFlags['format']]);
  return `\nFlags by format and model, besides --model, --format and --out:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

export function exportCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('export')
    .description(
      'write a saved model as ONNX, PyTorch (safetensors + model.py) or a TensorFlow.js layers model (language models: ONNX and PyTorch), or a PyTorch project that trains it with torchrun',
    )
    .requiredOption('--model <dir>', 'model directory written by `kioku train`')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['onnx', 'pytorch', 'tfjs', 'pytorch-project'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <dir>', 'directory to write the exported files into')
    .option('--opset <n>', 'ONNX operator set (onnx only)', int('--opset'))
    .option(
      '--data <path>',
      "the data train.py reads by default (pytorch-project only; default: the model's)",
    )
    .option(
      '--limit <n>',
      "examples train.py uses, chosen as kioku's --limit (pytorch-project of a text classifier only)",
      int('--limit'),
    )
    .addHelpText('after', ({ command }) => flagsHelp(command.opts<Partial<ExportFlags>>().format))
    .addHelpText(
      'after',
      examples([
        'kioku export --model runs/spam/model --format onnx --out runs/spam/onnx',
        'kioku export --model runs/spam/model --format pytorch --out runs/spam/pytorch',
        'kioku export --model runs/seattle/model --format tfjs --out runs/seattle/tfjs',
        'kioku export --model runs/spam/model --format pytorch-project --out runs/spam/project',
        'kioku export --model runs/reviews/model --format pytorch-project --out runs/reviews/project --data reviews.csv --limit 20000',
        'kioku export --model runs/seattle/model --format pytorch-project --out runs/seattle/project',
      ]),
    )
    .action(async (opts: ExportFlags, cmd: Command) => {
      await exportTo(opts, reporter(cmd));
    });
}
