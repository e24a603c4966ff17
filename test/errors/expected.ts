/**
 * What each row of the README's bad-input table must produce: the API's error class and message, or
 * the CLI's exit code and stderr line. `<dir>` stands for the directory holding the bad files.
 */
export type Expected = { code: number; message: string } | { class: string; message: string };

export const EXPECTED: Record<string, Expected> = {
  'data length \u2260 shape': {
    class: 'ShapeError',
    message: 'Tensor: data has 3 elements but shape (2, 2) needs 4',
  },
  'matmul inner sizes differ': {
    class: 'ShapeError',
    message: 'matmul: inner dimensions differ: a (2, 3) has 3 columns, b (4, 5) has 4 rows',
  },
  'int32 view of a float tensor': {
    class: 'DTypeError',
    message: 'expected an int32 tensor, got float32 of shape (2,)',
  },
  'LSTM input of rank 4': {
    class: 'ShapeError',
    message: 'LSTM: input must be 3-D (T, B, E) or unbatched 2-D (T, E), got shape (1, 2, 3, 1)',
  },
  'LSTM input features \u2260 inputSize': {
    class: 'ShapeError',
    message: 'LSTM: input must have 3 features (inputSize) in its last dimension, got shape (5, 1, 4)',
  },
  'hidden size 0': { class: 'ValueError', message: 'LSTM: hiddenSize must be a positive integer, got 0' },
  'token id \u2265 vocabulary size': {
    class: 'IndexError',
    message:
      'embedding: index 5 at position [0, 1] of indices (1, 2) is out of range for a weight of V = 5 rows (expected 0 ≤ index < 5)',
  },
  'negative token id': {
    class: 'IndexError',
    message:
      'embedding: index -1 at position [0, 0] of indices (1, 1) is out of range for a weight of V = 5 rows (expected 0 ≤ index < 5)',
  },
  'float token ids': {
    class: 'DTypeError',
    message: 'embedding: indices must be an int32 tensor, got float32 of shape (1, 2)',
  },
  'lengths longer than the batch': {
    class: 'ShapeError',
    message: 'TextClassifier.forward: lengths must be an Int32Array of 2 values (one per sample), got 3',
  },
  'a length longer than T': {
    class: 'ValueError',
    message: 'TextClassifier.forward: lengths[0] must be in [1, 3], got 4',
  },
  'class id \u2265 number of classes': {
    class: 'IndexError',
    message: 'crossEntropy: target 3 at position (1,) is out of range for 3 classes [0, 3)',
  },
  'loss shapes differ': {
    class: 'ShapeError',
    message: 'mseLoss: target shape (3, 1) must equal input shape (2, 1)',
  },
  'batch size 0': { class: 'ValueError', message: 'DataLoader: batchSize must be a positive integer, got 0' },
  'CSV with an unclosed quote': {
    class: 'DataError',
    message:
      '<dir>/unclosed.csv:3: malformed CSV (Quote Not Closed: the parsing is finished with an opening quote at line 3)',
  },
  'JSONL with a broken line': {
    class: 'DataError',
    message: '<dir>/bad.jsonl:2: invalid JSON (Expected double-quoted property name in JSON at position 17)',
  },
  'label column missing': {
    class: 'DataError',
    message: '<dir>/nolabel.csv, column "label": unknown label column; available columns: text, kind',
  },
  'empty dataset (header only)': {
    class: 'DataError',
    message: '<dir>/header-only.csv: no data rows after the header',
  },
  'a CSV cell longer than 16 MiB': {
    class: 'DataError',
    message:
      "<dir>/huge-cell.csv:2: a row longer than 16 MiB (16,777,216 characters), kioku's limit for one row (a quote left open runs on to the end of the file)",
  },
  'a JSONL line longer than 16 MiB': {
    class: 'DataError',
    message:
      "<dir>/huge-line.jsonl:2: a line longer than 16 MiB (16,777,216 characters), kioku's limit for one row",
  },
  'every label empty': {
    class: 'DataError',
    message: '<dir>/empty-labels.csv, column "label": every row\'s label is empty (2 rows)',
  },
  'NaN first value under ffill': {
    class: 'DataError',
    message:
      '<dir>/series-nan-first.csv:2, column "y": missing first value (row 0): the cell reads "nan" (not a number); \'ffill\' has no earlier value to repeat, use policy \'drop\'',
  },
  'epochs 0': { class: 'ValueError', message: 'fit: epochs must be a positive integer, got 0' },
  'no training batches': { class: 'ValueError', message: 'fit: train yielded no batches in epoch 1' },
  'NaN in the data (loss becomes NaN)': {
    class: 'NonFiniteError',
    message:
      "fit: the loss became NaN at epoch 1, batch 1; training stopped with the weights of the last good batch (lower the learning rate, clip gradients, check the data for NaN/Infinity, or skip such batches with onNonFinite: 'skip')",
  },
  'model directory does not exist': {
    class: 'ModelDirError',
    message:
      'loadModelDir: "<dir>/missing" does not exist or cannot be read (ENOENT: no such file or directory, stat \'<dir>/missing\')',
  },
  'model.safetensors missing': {
    class: 'ModelDirError',
    message:
      'loadModelDir: "<dir>/no-weights/model.safetensors" is missing; "<dir>/no-weights" is not a complete kioku model directory',
  },
  'config.json is not valid JSON': {
    class: 'ModelDirError',
    message:
      '<dir>/bad-json/config.json: not valid JSON (Expected double-quoted property name in JSON at position 25)',
  },
  'model from a newer kioku': {
    class: 'ModelDirError',
    message:
      '<dir>/future/config.json: field "formatVersion" is 99 (written by kioku "9.0.0"); this kioku (0.1.0) reads up to version 1, so upgrade kioku to load it',
  },
  'safetensors bytes are garbage': {
    class: 'SafetensorsError',
    message: 'safetensors: the file is 3 bytes long, too short for the 8-byte header length',
  },
  'config and weights disagree': {
    class: 'StateDictError',
    message:
      'weights: loadStateDict: missing keys: bias. shape mismatch: weight: expected (2, 2), got (3, 2)',
  },
  'config sizes far beyond the weights (hidden 20000)': {
    class: 'ModelDirError',
    message:
      '<dir>/huge-config/config.json: field "architecture" (TextClassifier) does not match the weights in "<dir>/huge-config/model.safetensors": lstm.weight_ih_l0 is (12, 4) there, the config needs (80000, 4); lstm.weight_hh_l0 is (12, 3) there, the config needs (80000, 20000); lstm.bias_ih_l0 is (12,) there, the config needs (80000,); lstm.bias_hh_l0 is (12,) there, the config needs (80000,); and 1 more',
  },
  'a million layers in config.json': {
    class: 'ModelDirError',
    message:
      '<dir>/million-layers/config.json: field "architecture.numLayers" is 1000000, more than kioku\'s limit of 1024',
  },
  'more labels than numClasses': {
    class: 'ModelDirError',
    message:
      '<dir>/label-count/config.json: field "labels" lists 3 labels but field "architecture.numClasses" is 2; they must agree (one output per label)',
  },
  'vocabulary larger than vocabSize': {
    class: 'ModelDirError',
    message:
      '<dir>/big-vocab/config.json: field "vocab.tokens" holds 12 tokens but field "architecture.vocabSize" is 10; every token id must be below vocabSize',
  },
  'NaN in the weights': {
    class: 'ModelDirError',
    message:
      '<dir>/nan-weights/model.safetensors: tensor "fc.weight" (2, 3) holds NaN at flat index 3 (1 non-finite value in all); a model with non-finite weights computes NaN: retrain it, or load an earlier checkpoint',
  },
  'training-state.json cut short': {
    class: 'ModelDirError',
    message:
      "<dir>/bad-state/training-state.json: not valid JSON (Expected ',' or ']' after array element in JSON at position 31); this training state cannot be resumed: resume from an earlier checkpoint, or start the training over",
  },
  'training-state.json with a field of the wrong kind': {
    class: 'ModelDirError',
    message:
      '<dir>/bad-fields/training-state.json: field "history" is {"loss":"x"}, expected an object of metric name → list of numbers; this training state cannot be resumed: resume from an earlier checkpoint, or start the training over',
  },
  'model.safetensors links to /dev/zero': {
    class: 'ModelDirError',
    message:
      'loadModelDir: "<dir>/dev-zero/model.safetensors" is a symbolic link; kioku reads only regular files here, never a link',
  },
  'model.safetensors is a FIFO': {
    class: 'ModelDirError',
    message:
      'loadModelDir: "<dir>/fifo/model.safetensors" is a FIFO (named pipe), not a regular file; kioku reads only regular files',
  },
  'a torch.save file given as safetensors': {
    class: 'SafetensorsError',
    message:
      'safetensors file "<dir>/model.pt": this is a PyTorch file written by torch.save (a zip archive), not safetensors; import it with `kioku import FILE --model DIR --out DIR` (a reader that never runs pickle code), or convert it in Python: safetensors.torch.save_file(model.state_dict(), \'model.safetensors\')',
  },
  'no arguments': { code: 2, message: '' },
  'unknown command': { code: 2, message: "kioku: unknown command 'trian' (Did you mean train?)" },
  'unknown flag': { code: 2, message: "kioku: unknown option '--colour'" },
  'required option missing': { code: 2, message: "kioku: required option '--out <dir>' not specified" },
  'not a number': {
    code: 2,
    message:
      "kioku: option '--epochs <n>' argument 'three' is invalid. --epochs must be an integer ≥ 1, got \"three\"",
  },
  'invalid choice': {
    code: 2,
    message:
      "kioku: option '--cell <cell>' argument 'transformer' is invalid. Allowed choices are lstm, gru, rnn.",
  },
  'unknown data source': {
    code: 1,
    message:
      'kioku: --data must be spam-assassin, an aclImdb directory, or a .csv/.tsv/.jsonl/.json file, got "<dir>/data.txt"',
  },
  'data file missing': { code: 1, message: 'kioku: <dir>/missing.csv: file not found' },
  'one class only': {
    code: 1,
    message:
      'kioku: <dir>/one-class.csv, column "label": the label column has a single class (ham); a classifier needs at least 2',
  },
  'too few examples to split': {
    code: 1,
    message: 'kioku: --data <dir>/nolabel.csv: 2 examples are too few for an 80/10/10 split',
  },
  'empty cell in a series': {
    code: 1,
    message:
      'kioku: <dir>/series-gap.csv:19, column "y": missing value (row 17): the cell is empty; pass --missing ffill or --missing drop to accept gaps',
  },
  'NaN in a series': {
    code: 1,
    message:
      'kioku: <dir>/series-nan.csv:19, column "y": missing value (row 17): the cell reads "NaN" (not a number); pass --missing ffill or --missing drop to accept gaps',
  },
  'NA marker in a series': {
    code: 1,
    message:
      'kioku: <dir>/series-na.csv:19, column "y": missing value (row 17): the cell reads "NA", a missing-value marker; pass --missing ffill or --missing drop to accept gaps',
  },
  'Infinity in a series': {
    code: 1,
    message: 'kioku: <dir>/series-inf.csv:19, column "y": expected a number, got "Infinity"',
  },
  'text in a numeric column': {
    code: 1,
    message: 'kioku: <dir>/series-text.csv:19, column "y": expected a number, got "high"',
  },
  'unknown target column': {
    code: 1,
    message: 'kioku: <dir>/series-ok.csv, column "rain": --target: unknown column; available columns: y',
  },
  'series shorter than lookback + horizon': {
    code: 1,
    message:
      'kioku: --lookback 30 with --horizon 1 needs 32 training rows (1 more for the difference), but the series has 12 rows and its training split 8; --lookback 6 is the largest that fits',
  },
  'not a model directory': {
    code: 1,
    message:
      'kioku: --model: "<dir>/empty-dir/config.json" is missing; "<dir>/empty-dir" is not a complete kioku model directory; pass the model directory kioku train wrote (the model/ folder of its --out, holding config.json and model.safetensors)',
  },
  'config/weights mismatch': {
    code: 1,
    message:
      'kioku: <dir>/mismatch/config.json: field "architecture" (TextClassifier) does not match the weights in "<dir>/mismatch/model.safetensors": lstm.weight_ih_l0 is (20, 4) there, the config needs (12, 4); lstm.weight_hh_l0 is (20, 5) there, the config needs (12, 3); lstm.bias_ih_l0 is (20,) there, the config needs (12,); lstm.bias_hh_l0 is (20,) there, the config needs (12,); and 1 more',
  },
  'a torch.save file as the weights': {
    code: 1,
    message:
      'kioku: safetensors file "<dir>/torch-save/model.safetensors": this is a PyTorch file written by torch.save (a zip archive), not safetensors; import it with `kioku import FILE --model DIR --out DIR` (a reader that never runs pickle code), or convert it in Python: safetensors.torch.save_file(model.state_dict(), \'model.safetensors\')',
  },
  'text model given to forecast': {
    code: 1,
    message:
      'kioku: "<dir>/text-model" holds a classification model; this command needs a forecaster (kioku train series)',
  },
  '--resume with no checkpoint': {
    code: 1,
    message:
      'kioku: --resume <dir>/empty-dir: no checkpoint to resume (looked for checkpoint-<n> in "<dir>/empty-dir/checkpoints" and "<dir>/empty-dir")',
  },
  'unknown missing-value policy': {
    code: 2,
    message:
      "kioku: option '--missing <policy>' argument 'zero' is invalid. Allowed choices are error, ffill, drop.",
  },
  'export into the model directory': {
    code: 1,
    message:
      'kioku: --out "<dir>/text-model" is the model directory "<dir>/text-model"; exporting there would overwrite the saved model, choose another --out',
  },
  'a misspelt required flag': {
    code: 2,
    message: "kioku: unknown option '--modle' (Did you mean --model?)",
  },
  'learning rate 0': {
    code: 2,
    message: "kioku: option '--lr <rate>' argument '0' is invalid. --lr must be a number > 0, got \"0\"",
  },
  'negative learning rate': {
    code: 2,
    message: "kioku: option '--lr <rate>' argument '-1' is invalid. --lr must be a number > 0, got \"-1\"",
  },
  'zero epochs': {
    code: 2,
    message:
      "kioku: option '--epochs <n>' argument '0' is invalid. --epochs must be an integer ≥ 1, got \"0\"",
  },
  'a hidden size beyond memory': {
    code: 2,
    message:
      "kioku: option '--hidden <n>' argument '1e9' is invalid. --hidden must be an integer in [1, 4096], got \"1e9\"",
  },
  'a billion forecast steps': {
    code: 2,
    message:
      "kioku: option '--steps <n>' argument '1e9' is invalid. --steps must be an integer in [1, 100000], got \"1e9\"",
  },
  'a 5,000-character cell in an error': {
    code: 1,
    message:
      'kioku: <dir>/long-cell.csv:19, column "y": expected a number, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (5,000 characters)',
  },
  'training-state.json cut short, resumed': {
    code: 1,
    message:
      "kioku: <dir>/bad-state/training-state.json: not valid JSON (Expected ',' or ']' after array element in JSON at position 31); this training state cannot be resumed: resume from an earlier checkpoint, or start the training over",
  },
  'training-state.json with a wrong field, resumed': {
    code: 1,
    message:
      'kioku: <dir>/bad-fields/training-state.json: field "history" is {"loss":"x"}, expected an object of metric name → list of numbers; this training state cannot be resumed: resume from an earlier checkpoint, or start the training over',
  },
  '--out in use by another run': {
    code: 1,
    message:
      'kioku: --out <dir>/busy is in use by another kioku run (pid 4242 on host build-server, started 2026-01-02T03:04:05.000Z); wait for it to finish or choose another --out (if that run is gone, delete "<dir>/busy/.kioku-lock")',
  },
  '--out where kioku may not write': {
    code: 1,
    message:
      'kioku: cannot create "<dir>/read-only/out": permission denied (EACCES); choose an --out that kioku may write to, or grant write permission there',
  },
  'unparseable date in a series': {
    code: 1,
    message:
      'kioku: <dir>/series-bad-date.csv:19, column "date": unparseable date "2020-01-32"; expected ISO 8601 (2015-03-01, 2015-03-01T14:00, 2015-03), a quarter (2015-Q1), a year, or "Mar 1 2015"',
  },
  'a pickle that would call os.system, imported': {
    code: 1,
    message:
      'kioku: refusing to call os.system while reading "<dir>/evil.pt": only state_dict tensors can be read; save with safetensors instead',
  },
  "another model's state_dict, imported": {
    code: 1,
    message:
      'kioku: <dir>/model.pt does not fit the model in --model <dir>/text-model: missing keys: embedding.weight, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0, fc.weight, fc.bias. unexpected keys: weight, bias; pass the --model directory of the architecture these weights were trained as (--key and --strip-prefix pick and rename the weights)',
  },
  'a directory as series data': {
    code: 1,
    message:
      'kioku: --data "<dir>/empty-dir" is a directory; a series comes from one .csv/.tsv/.json file, or one of seattle-weather, births, sp500, stocks, stocks:AAPL, stocks:AMZN, stocks:GOOG, stocks:IBM, stocks:MSFT',
  },
  "a training run's --out as --model": {
    code: 1,
    message:
      'kioku: --model: "<dir>/run-out/config.json" is missing; "<dir>/run-out" is not a complete kioku model directory; it looks like a training run\'s --out; pass --model <dir>/run-out/model',
  },
  "--limit for a forecaster's project": {
    code: 1,
    message:
      'kioku: --limit applies to a text classifier\'s pytorch-project; "<dir>/forecaster" holds a forecaster, whose project reads the rows its config.json records: leave --limit out',
  },
  '--date-col with a built-in series': {
    code: 1,
    message:
      'kioku: --date-col names a column of a CSV file; the built-in "births" has its own dates and series: leave --date-col out',
  },
  "a training run's --out as generate's --model": {
    code: 1,
    message:
      'kioku: --model: "<dir>/run-out/config.json" is missing; "<dir>/run-out" is not a complete kioku model directory; it looks like a training run\'s --out; pass --model <dir>/run-out/model',
  },
  'unknown --features column of a built-in series': {
    code: 1,
    message: 'kioku: built-in "sp500", column "rain": --features: unknown column; available columns: price',
  },
  'a series file without a date column': {
    code: 1,
    message:
      'kioku: <dir>/series-no-date.csv: no date column: none is named date, datetime, timestamp, time, ds or period, and none holds dates (2015-03-01, 2015-03-01 14:00, 2015-03, 2015-Q1) in its first rows; name it with --date-col; available columns: step, y',
  },
};

/** One markdown row of the README's table for case number `n`. */
export function tableRow(n: number, input: string, call: string, want: Expected): string {
  const kind = 'class' in want ? `\`${want.class}\`` : `exit ${want.code}`;
  const message = want.message === '' ? '(the help, on stdout)' : want.message;
  return `| ${n} | ${input} | \`${call}\` | ${kind} | ${message} |`;
}
