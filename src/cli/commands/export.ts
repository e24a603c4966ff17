import { copyFile, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type ExportFormat, exportModel } from '../../io/onnx/export-model.js';
import { BagOfWordsClassifier } from '../../nn/heads.js';
import { CliError, loadHead } from '../models.js';
import { examples, int } from '../options.js';
import type { Reporter } from '../reporter.js';

interface ExportFlags {
  model: string;
  format: ExportFormat;
  out: string;
  opset?: number;
}

/** `path` with symbolic links resolved, for the part of it that exists. */
async function canonical(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(await canonical(parent), basename(abs));
  }
}

/**
 * `kioku export`: writes a saved model as ONNX, PyTorch (safetensors + model.py) or a TF.js
 * layers model, with the model's config.json beside it so the vocabulary or scaler travels too.
 */
async function exportTo(o: ExportFlags, reporter: Reporter): Promise<void> {
  // Exporting into the model directory would replace its model.safetensors and copy config.json onto itself.
  if ((await canonical(o.out)) === (await canonical(o.model))) {
    throw new CliError(
      `--out "${o.out}" is the model directory "${o.model}"; exporting there would overwrite the saved model, choose another --out`,
    );
  }
  const { model, config } = await loadHead(o.model);
  if (model instanceof BagOfWordsClassifier) {
    throw new CliError(`"${o.model}" holds a bag-of-words baseline; export supports recurrent models only`);
  }
  // A forecaster's model.py also gets its encoding (transform, scaling, calendar, intervals).
  const series = o.format === 'pytorch' && config.task === 'forecasting' ? { series: config.series } : {};
  const files = await exportModel(
    o.format,
    model,
    o.out,
    o.opset === undefined ? series : { opset: o.opset },
  );
  await mkdir(o.out, { recursive: true });
  await copyFile(join(o.model, 'config.json'), join(o.out, 'config.json'));
  if (reporter.json) {
    reporter.io.stdout.write(
      `${JSON.stringify({ format: o.format, out: o.out, files: [...files, 'config.json'] })}\n`,
    );
    return;
  }
  reporter.print(
    `${o.model} → ${o.format}: ${[...files, 'config.json'].map((f) => join(o.out, f)).join(', ')}`,
  );
}

export function exportCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('export')
    .description(
      'write a saved model as ONNX, PyTorch (safetensors + model.py) or a TensorFlow.js layers model',
    )
    .requiredOption('--model <dir>', 'model directory written by `kioku train`')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['onnx', 'pytorch', 'tfjs'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <dir>', 'directory to write the exported files into')
    .option('--opset <n>', 'ONNX operator set (onnx only)', int('--opset'))
    .addHelpText(
      'after',
      examples([
        'kioku export --model runs/spam/model --format onnx --out runs/spam/onnx',
        'kioku export --model runs/spam/model --format pytorch --out runs/spam/pytorch',
        'kioku export --model runs/seattle/model --format tfjs --out runs/seattle/tfjs',
      ]),
    )
    .action(async (opts: ExportFlags, cmd: Command) => {
      await exportTo(opts, reporter(cmd));
    });
}
