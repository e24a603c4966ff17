import type { Command } from 'commander';
import { loadModelDir } from '../../io/model-dir-node.js';
import { loadAnyModel } from '../models.js';
import { examples } from '../options.js';
import type { Reporter } from '../reporter.js';

/** `kioku info`: what a model directory holds. */
async function info(o: { model: string }, reporter: Reporter): Promise<void> {
  const { model, config } = await loadAnyModel(o.model);
  const { trainingState } = await loadModelDir(o.model);
  const c = config as unknown as Record<string, unknown>;
  const params = model.numParameters();
  const weights = model.namedParameters().map(([name, p]) => ({ name, shape: [...p.shape] }));
  const summary: Record<string, unknown> = {
    model: o.model,
    task: config.task,
    architecture: config.architecture,
    parameters: params,
    kiokuVersion: config.kiokuVersion,
    data: c.data,
    training: c.training,
    resumable: trainingState !== undefined,
  };
  if (config.task === 'classification') {
    summary.labels = config.labels;
    summary.vocabularySize = (c.vocab as { tokens?: unknown[] } | undefined)?.tokens?.length;
    summary.maxLen = c.maxLen;
  } else if (config.task === 'language-model') {
    summary.tokenizer = c.tokenizer;
    summary.vocabularySize = (c.vocab as { tokens?: unknown[] } | undefined)?.tokens?.length;
  } else {
    const s = c.series as Record<string, unknown> | undefined;
    if (s) {
      const { tail: _tail, ...rest } = s;
      summary.series = rest;
    }
  }
  if (reporter.json) {
    reporter.io.stdout.write(`${JSON.stringify({ ...summary, weights })}\n`);
    return;
  }
  const a = config.architecture;
  reporter.print(
    `${o.model}: ${a.type} for ${config.task}, ${params.toLocaleString('en-US')} parameters (kioku ${config.kiokuVersion})`,
  );
  for (const [k, v] of Object.entries(a)) if (k !== 'type') reporter.print(`  ${k}: ${JSON.stringify(v)}`);
  for (const k of [
    'data',
    'labels',
    'tokenizer',
    'vocabularySize',
    'maxLen',
    'series',
    'training',
    'resumable',
  ] as const) {
    if (summary[k] !== undefined) reporter.print(`${k}: ${JSON.stringify(summary[k])}`);
  }
  reporter.print('weights:');
  for (const w of weights) reporter.print(`  ${w.name} (${w.shape.join(', ')})`);
}

export function infoCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('info')
    .description('describe a saved model: architecture, parameters, data settings, training summary')
    .requiredOption('--model <dir>', 'model directory')
    .addHelpText(
      'after',
      examples(['kioku info --model runs/spam/model', 'kioku info --model runs/seattle/model --json']),
    )
    .action(async (opts: { model: string }, cmd: Command) => {
      await info(opts, reporter(cmd));
    });
}
