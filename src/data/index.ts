export { buildVocab, checkClasses, classNames, encodeCorpus, type TextCorpus } from './corpus.js';
export {
  collateText,
  DataLoader,
  type DataLoaderOptions,
  type DataLoaderState,
  defaultCollate,
  type TextBatch,
  type TextExample,
} from './dataloader.js';
export {
  ArrayDataset,
  type AsyncIterableDataset,
  type Dataset,
  isAsyncIterableDataset,
  isDataset,
  MappedDataset,
  StreamDataset,
  Subset,
} from './dataset.js';
export { DataError, type DataLocation, MissingPackageError } from './errors.js';
export { type LabelChanges, normaliseLabels, type RenamedLabel } from './labels.js';
export {
  applyMissingPolicy,
  type MissingAdvice,
  type MissingPolicy,
  type MissingPolicyOptions,
  type MissingRemedy,
  MissingValueError,
} from './missing.js';
export { type PadOptions, padSequence } from './pad.js';
export { MinMaxScaler, type ScalerJSON, StandardScaler } from './scalers.js';
export { column, columnIndices, makeSeries, sliceRows, type TimeSeries } from './series.js';
export {
  type ChronologicalSplit,
  chronologicalSplit,
  type RowRange,
  type SplitOptions,
  type Splits,
  trainValTestSplit,
} from './split.js';
export {
  CharTokenizer,
  type CharTokenizerOptions,
  type Tokenizer,
  type TokenizerJSON,
  tokenizerFromJSON,
  WordTokenizer,
  type WordTokenizerOptions,
} from './tokenizers.js';
export {
  BOS,
  type EncodeOptions,
  EOS,
  PAD,
  TokenCounter,
  type Truncation,
  UNK,
  Vocab,
  type VocabBuildOptions,
  type VocabJSON,
} from './vocab.js';
export { WindowDataset, type WindowOptions, type WindowSample } from './windows.js';
