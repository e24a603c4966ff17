// kioku's text tools, re-exported by the entry: language models (stream data, model, truncated-BPTT
// training, evaluation, generation), n-gram and linear text baselines, multi-class reports and
// attention pooling.
export { type LmCorpus, type LmCorpusOptions, prepareLmCorpus, tokenizeLong } from './data/lm-corpus.js';
export {
  type BatchedStream,
  batchify,
  chunkCount,
  type LmChunk,
  lmChunk,
  lmChunks,
  type StreamSplit,
  splitStream,
} from './data/lm-stream.js';
export { AttentionPooling, type AttentionPoolingOptions } from './nn/attention-pooling.js';
export {
  detachState,
  LanguageModel,
  type LanguageModelConfig,
  LanguageModelStreamer,
  type LmState,
} from './nn/language-model.js';
export {
  type LbfgsOptions,
  type LbfgsResult,
  minimizeLbfgs,
  type Objective,
} from './train/baselines/lbfgs.js';
export { LogisticRegression, type LogisticRegressionOptions } from './train/baselines/logistic.js';
export {
  type Discounting,
  kneserNeyDiscounts,
  NGramModel,
  type NGramOptions,
} from './train/baselines/ngram.js';
export {
  fitTextBaseline,
  TEXT_BASELINE_FEATURES,
  type TextBaseline,
  type TextBaselineKind,
  type TextBaselineOptions,
} from './train/baselines/text-baselines.js';
export {
  type CsrMatrix,
  TextVectorizer,
  type VectorizerJSON,
  type VectorizerOptions,
} from './train/baselines/vectorizer.js';
export {
  type Averages,
  type ClassCoverage,
  type ClassScores,
  type Confusion,
  describeCoverage,
  type MultiClassReport,
  multiClassReport,
  type ReportOptions,
  splitCoverage,
  topConfusions,
} from './train/class-report.js';
export { evaluateLanguageModel, type LmEvaluateOptions } from './train/lm/evaluate.js';
export {
  type GenerateOptions,
  type GenerateTextOptions,
  generateText,
  generateTokens,
} from './train/lm/generate.js';
export { checkSampling, type SamplingOptions, sampleLogits } from './train/lm/sampling.js';
export { type LmScore, lmScore } from './train/lm/score.js';
export {
  type LmHistory,
  type LmTrainEvent,
  type LmTrainOptions,
  type LmTrainResult,
  trainLanguageModel,
} from './train/lm/train.js';
