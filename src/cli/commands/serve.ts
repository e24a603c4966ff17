import { basename, dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { SERVE_DEFAULTS } from '../../serve/defaults.js';
import { CliError, loadAnyModel } from '../models.js';
import { examples, int, num } from '../options.js';
import type { Reporter } from '../reporter.js';

/** `kioku serve`: the models over HTTP until SIGTERM or Ctrl-C, then a graceful stop. */

interface ServeFlags {
  model: string[];
  port: number;
  host: string;
  maxBatchSize: number;
  maxBatchWait: number;
  maxBatchTokens: number;
  batching: boolean;
  maxSessions: number;
  sessionTimeout: number;
  maxBodyBytes: number;
  maxSequenceLength: number;
  logLevel?: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A --model value: `NAME=DIR`, or DIR named after its folder (the folder above for the `model`
 * folder `kioku train` writes, so runs/spam/model is "spam").
 */
export function modelSpec(value: string): { name: string; dir: string } {
  const named = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(value);
  if (named) return { name: named[1]!, dir: named[2]! };
  const dir = resolve(value);
  const name = basename(dir) === 'model' ? basename(dirname(dir)) : basename(dir);
  return { name, dir: value };
}

/** Resolves at SIGTERM, or when `signal` aborts (the CLI's Ctrl-C). */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

async function serve(o: ServeFlags, reporter: Reporter): Promise<void> {
  const models = [];
  for (const value of o.model) {
    const { name, dir } = modelSpec(value);
    models.push({ name, opened: { ...(await loadAnyModel(dir)), where: dir } });
  }
  const level = o.logLevel ?? (reporter.quiet ? 'warn' : 'info');
  // Loaded here, not with the CLI: the other commands start without Fastify.
  const { createServer } = await import('../../serve/server.js');
  const server = createServer({
    models,
    maxBatchSize: o.maxBatchSize,
    maxWaitMs: o.maxBatchWait,
    maxBatchTokens: o.maxBatchTokens,
    batching: o.batching,
    maxSessions: o.maxSessions,
    sessionIdleMs: o.sessionTimeout * 1000,
    bodyLimit: o.maxBodyBytes,
    maxSequenceLength: o.maxSequenceLength,
    log: level === 'silent' ? false : { level, stream: reporter.io.stdout },
  });
  let address: string;
  try {
    address = await server.listen(o.port, o.host);
  } catch (e) {
    await server.close();
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CliError(`cannot listen on ${o.host}:${o.port} (${why}); pick another --port or --host`);
  }
  reporter.note(`serving ${models.map((m) => m.name).join(', ')} at ${address} (SIGTERM or Ctrl-C stops)`);
  await stopRequested(reporter.io.signal);
  reporter.note('stopping: answering the requests in flight');
  await server.close();
}

export function serveCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  const d = SERVE_DEFAULTS;
  program
    .command('serve')
    .description('serve models over HTTP: Open Inference Protocol v2, v1 predict, sessions, micro-batching')
    .requiredOption(
      '--model <[name=]dir>',
      'a model directory to serve (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--port <n>', 'TCP port (0: any free one)', int('--port', 0), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--max-batch-size <n>',
      'most items in one request and rows in one batched forward',
      int('--max-batch-size'),
      d.maxBatchSize,
    )
    .option(
      '--max-batch-wait <ms>',
      'how long a request waits for others to batch with',
      num('--max-batch-wait', 0, 10_000),
      d.maxWaitMs,
    )
    .option(
      '--max-batch-tokens <n>',
      "most tokens of a text classifier's batch (a longer text runs alone)",
      int('--max-batch-tokens'),
      d.maxBatchTokens,
    )
    .option('--no-batching', 'run each request alone as it comes')
    .option(
      '--max-sessions <n>',
      'open sessions per model; a new one evicts the least recently used',
      int('--max-sessions'),
      d.maxSessions,
    )
    .option(
      '--session-timeout <seconds>',
      'a session closes after this long without a request',
      num('--session-timeout', 0.001),
      d.sessionIdleMs / 1000,
    )
    .option('--max-body-bytes <n>', 'largest request body', int('--max-body-bytes'), d.bodyLimit)
    .option(
      '--max-sequence-length <n>',
      'most tokens of a session chunk or a prompt, rows of a history, forecast steps, or generated tokens per request',
      int('--max-sequence-length'),
      d.maxSequenceLength,
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'access and server logs on stdout (JSON lines); default info, warn with --quiet',
      ).choices(LEVELS),
    )
    .addHelpText(
      'after',
      examples([
        'kioku serve --model runs/spam/model --model runs/seattle/model --port 8080',
        'kioku serve --model spam=runs/spam/model --max-batch-size 64 --max-batch-wait 5',
        `curl -s localhost:8080/v1/models/spam:predict -d '{"instances": ["WIN a FREE cruise"]}' -H 'content-type: application/json'`,
      ]),
    )
    .action(async (opts: ServeFlags, cmd: Command) => {
      await serve(opts, reporter(cmd));
    });
}
