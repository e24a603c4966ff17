import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type TokenizerJSON, tokenizerFromJSON } from '../../data/tokenizers.js';
import { Vocab, type VocabJSON } from '../../data/vocab.js';
import { decodeUtf8 } from '../../io/datasets/files.js';
import { ValueError } from '../../tensor/errors.js';
import { predictText } from '../../train/recipes/text-model.js';
import { type LoadedHead, loadTextModel } from '../models.js';
import { examples } from '../options.js';
import { type Reporter, round } from '../reporter.js';

/** `kioku predict`: one label and probability per input text. */

interface PredictFlags {
  model: string;
  text?: string[];
  file?: string;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ValueError('predict: give --text, --file, or pipe texts on stdin (one per line)');
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return decodeUtf8(Buffer.concat(chunks), 'stdin');
}

/** The texts to classify, and where each came from: `text N` or `line N` (of --file or stdin). */
interface InputTexts {
  texts: string[];
  names: string[];
}

/** The texts of --text, else the non-blank lines of --file or stdin. */
async function inputTexts(o: PredictFlags, reporter: Reporter): Promise<InputTexts> {
  if (o.text?.length && o.file !== undefined) {
    throw new ValueError(`predict: give --text or --file, not both (--file ${o.file} would be left unread)`);
  }
  if (o.text?.length) return { texts: o.text, names: o.text.map((_, i) => `text ${i + 1}`) };
  let body: string;
  if (o.file !== undefined) {
    if (/\.(csv|tsv|tab|jsonl|ndjson|json)$/i.test(o.file)) {
      reporter.warn(
        `--file ${o.file} is read as one text per line, each whole line a text (a header row and every column included), not as a table`,
      );
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(o.file);
    } catch (e) {
      throw new ValueError(
        `--file ${o.file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    body = decodeUtf8(bytes, o.file);
  } else body = await readStdin();
  const lines = body
    .split(/\r\n?|\n/)
    .flatMap((text, i) => (text.trim() === '' ? [] : [{ text, line: i + 1 }]));
  return { texts: lines.map((l) => l.text), names: lines.map((l) => `line ${l.line}`) };
}

const oneLinePreview = (t: string): string => {
  const s = t.replace(/\s+/g, ' ').trim();
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
};

/**
 * "text 2 is empty" or "2 texts are empty (texts 2, 3)": the subject, its verb, what follows,
 * then the names' shared word in the plural and their numbers.
 */
function aboutTexts(names: string[], verbs: [one: string, many: string], rest: string): string {
  if (names.length === 1) return `${names[0]} ${verbs[0]} ${rest}`;
  const numbers = names.slice(0, 10).map((n) => n.split(' ')[1]);
  const more = names.length > 10 ? ', …' : '';
  return `${names.length} texts ${verbs[1]} ${rest} (${names[0]!.split(' ')[0]}s ${numbers.join(', ')}${more})`;
}

/**
 * Warns about texts the model reads nothing in: empty ones (spaces, punctuation only), and those
 * whose every word (or character) is outside the vocabulary. The model still labels them, but
 * from no input.
 */
function warnUnread(opened: LoadedHead<unknown>, input: InputTexts, reporter: Reporter): void {
  const config = opened.config as { tokenizer?: TokenizerJSON; vocab?: VocabJSON };
  if (config.tokenizer === undefined || config.vocab === undefined) return;
  const tokenizer = tokenizerFromJSON(config.tokenizer);
  const vocab = Vocab.fromJSON(config.vocab);
  const empty: string[] = [];
  const unknown: string[] = [];
  for (const [i, text] of input.texts.entries()) {
    const tokens = tokenizer.tokenize(text);
    if (tokens.length === 0) empty.push(input.names[i]!);
    else if (vocab.encode(tokens).every((id) => id === vocab.unkId)) unknown.push(input.names[i]!);
  }
  const guess = 'the label given is a guess from no input';
  if (empty.length > 0) {
    const verbs: [string, string] = ['is empty or holds', 'are empty or hold'];
    reporter.warn(`${aboutTexts(empty, verbs, 'no words the model reads')}; ${guess}`);
  }
  if (unknown.length > 0) {
    const units = config.tokenizer.type === 'char' ? 'characters' : 'words';
    reporter.warn(
      `${aboutTexts(unknown, ['holds', 'hold'], `only ${units} the model never saw in training`)}; ${guess}`,
    );
  }
}

async function predict(o: PredictFlags, reporter: Reporter): Promise<void> {
  const opened = await loadTextModel(o.model);
  const input = await inputTexts(o, reporter);
  const { texts } = input;
  if (texts.length === 0) throw new ValueError('predict: no texts to classify (the input is empty)');
  warnUnread(opened, input, reporter);
  for (const [i, r] of predictText(opened, texts).entries()) {
    if (reporter.json) {
      const probabilities = Object.fromEntries(
        Object.entries(r.probabilities).map(([l, p]) => [l, round(p)]),
      );
      reporter.io.stdout.write(
        `${JSON.stringify({ text: texts[i], label: r.label, probability: round(r.probability), probabilities })}\n`,
      );
    } else reporter.print(`${r.label}\t${r.probability.toFixed(4)}\t${oneLinePreview(texts[i]!)}`);
  }
}

export function predictCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('predict')
    .description('classify texts with a trained text model: label and probability per line')
    .requiredOption('--model <dir>', 'model directory written by `kioku train text`')
    .option('--text <text>', 'a text to classify (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--file <path>', 'a file with one text per line (whole lines, also in a .csv)')
    .addHelpText(
      'after',
      examples([
        'kioku predict --model runs/spam/model --text "Meeting moved to 3pm"',
        'kioku predict --model runs/spam/model --file inbox.txt --json',
        'cat inbox.txt | kioku predict --model runs/spam/model',
      ]),
    )
    .action(async (opts: PredictFlags, cmd: Command) => {
      await predict(opts, reporter(cmd));
    });
}
