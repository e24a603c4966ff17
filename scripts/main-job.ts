/**
 * The main job (`npm start`): the seed's LSTMClassifier family on the SpamAssassin emails beside its
 * baselines, a few example texts classified by the saved model, then a next-day forecaster
 * for Seattle's maximum temperature beside persistence. Everything lands in runs/.
 */
import { initBackend } from '../src/backend/native/init.js';
import { run } from '../src/cli/program.js';

const io = { stdout: process.stdout, stderr: process.stderr };
const started = performance.now();

async function step(title: string, argv: string[]): Promise<void> {
  process.stdout.write(`\n=== ${title}\n$ kioku ${argv.join(' ')}\n`);
  const code = await run(argv, io);
  if (code !== 0) {
    process.stderr.write(`main job: "kioku ${argv[0]}" failed with exit code ${code}\n`);
    process.exit(code);
  }
}

const backend = initBackend();
process.stdout.write(`kioku main job (backend: ${backend})\n`);

// The defaults of `kioku train text` are this job's settings: the From and Subject lines above
// the decoded body; 256 tokens per e-mail (its first quarter and its end); a 20,000-word
// vocabulary that keeps the sender and product names recurring in newsletters; the LSTM read
// in both directions and max pooling over the valid steps, so a spam cue counts wherever it
// stands (the last state alone forgets cues from the start of a long e-mail); word dropout 0.1
// while training, so no rare sender or product name learnt by heart decides an e-mail alone.
await step(
  'SpamAssassin: the seed LSTMClassifier family (Embedding 20000×128 → bidirectional LSTM 64 → max pooling → Linear 2) vs baselines',
  ['train', 'text', '--data', 'spam-assassin', '--out', 'runs/spam-assassin'],
);
await step('Classifying example texts with the saved model', [
  'predict',
  '--model',
  'runs/spam-assassin/model',
  '--text',
  'Hi Tom, the meeting notes from Tuesday are attached. Can you review section 3 before Friday?',
  '--text',
  'CONGRATULATIONS!!! You have been selected to receive a FREE $1000 gift card. Click here now to claim your prize',
  '--text',
  'Lowest mortgage rates guaranteed, refinance today and save thousands. Act now, limited time offer, unsubscribe here',
  '--text',
  'I tried the patch on the 2.4.19 kernel and the build fails in drivers/net; log below.',
]);
await step(
  'Seattle weather: temp_max one week ahead with an LSTM beside naive, seasonal naive, drift, ETS and Naive2 (test year 2015)',
  ['train', 'series', '--data', 'seattle-weather', '--target', 'temp_max', '--out', 'runs/seattle-weather'],
);
process.stdout.write(
  `\nmain job done in ${((performance.now() - started) / 1000).toFixed(1)} s; outputs in runs/\n`,
);
