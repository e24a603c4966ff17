import type { Command } from 'commander';
import { loadAnyModel, openModelDir } from '../models.js';
import { examples } from '../options.js';
import type { Reporter } from '../reporter.js';

/** `kioku info`: what a model directory holds. */

type Json = Record<string, unknown>;

/** A forecaster's series settings without the data it keeps to continue from (each member's tail). */
function seriesSettings(s: Json): Json {
  const { members, ...rest } = s;
  if (!Array.isArray(members)) return rest;
  return { ...rest, members: members.map(({ tail: _tail, ...m }: Json) => m) };
}

/** The series settings a person reads, one per line; --json has them all. */
function seriesLines(s: Json): string[] {
  const split = s.split as { valFrom?: { date?: string }; testFrom?: { date?: string } } | undefined;
  const intervals = s.intervals as { level?: number } | undefined;
  const members = (s.members as Json[] | undefined) ?? [];
  const lines: Array<[string, unknown]> = [
    ['target', s.target],
    ['inputs', (s.columns as string[] | undefined)?.join(', ')],
    ['date column', s.dateColumn],
    ['series column', s.seriesColumn ?? undefined],
    ['series', members.length > 1 ? members.map((m) => m.id).join(', ') : undefined],
    ['lookback', s.lookback],
    ['horizon', s.steps === undefined ? undefined : `${s.steps} step(s), ${s.strategy}`],
    ['season', (s.frequency as { reason?: string } | undefined)?.reason ?? s.season],
    ['transform', s.transformReason],
    ['validation from', split?.valFrom?.date],
    ['test from', split?.testFrom?.date],
    ['intervals', intervals?.level === undefined ? undefined : `${100 * intervals.level}%`],
  ];
  return lines.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `  ${k}: ${String(v)}`);
}

async function info(o: { model: string }, reporter: Reporter): Promise<void> {
  const { model, config } = await loadAnyModel(o.model);
  const { trainingState } = await openModelDir(o.model);
  const c = config as unknown as Json;
  const params = model.numParameters();
  const weights = model.namedParameters().map(([name, p]) => ({ name, shape: [...p.shape] }));
  const summary: Json = {
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
    summary.tokenizer = c.tokenizer;
    summary.vocabularySize = (c.vocab as { tokens?: unknown[] } | undefined)?.tokens?.length;
    summary.maxLen = c.maxLen;
  } else if (config.task === 'language-model') {
    summary.tokenizer = c.tokenizer;
    summary.vocabularySize = (c.vocab as { tokens?: unknown[] } | undefined)?.tokens?.length;
    summary.scores = c.scores;
  } else if (c.series) {
    summary.series = seriesSettings(c.series as Json);
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
  for (const k of ['data', 'labels', 'tokenizer', 'vocabularySize', 'maxLen'] as const) {
    if (summary[k] !== undefined) reporter.print(`${k}: ${JSON.stringify(summary[k])}`);
  }
  if (summary.series) reporter.print(['series:', ...seriesLines(summary.series as Json)].join('\n'));
  const scores = summary.scores as { val?: { nats: number }; test?: { nats: number } } | undefined;
  if (scores?.val && scores.test) {
    const unit = (c.tokenizer as { type?: string } | undefined)?.type === 'word' ? 'word' : 'char';
    reporter.print(
      `scores: val ${scores.val.nats.toFixed(4)} nats/${unit}, test ${scores.test.nats.toFixed(4)} nats/${unit}`,
    );
  }
  for (const k of ['training', 'resumable'] as const) {
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
