export {
  BUILTIN_SERIES,
  loadBuiltinSeries,
  STOCK_SYMBOLS,
  seattleWeather,
  stockPrices,
  usBirths,
} from './builtin.js';
export { MAX_LINE_CHARS } from './files.js';
export { type ImdbCorpus, type ImdbOptions, loadImdb } from './imdb.js';
export { type LabeledSeries, loadSeriesCsv, type SeriesCsvOptions } from './series.js';
export {
  loadSpamAssassin,
  type SpamAssassinOptions,
  type SpamCorpus,
  type SpamGroup,
  type SpamHeaders,
  splitEmail,
} from './spam.js';
export {
  loadTextFile,
  streamTextFile,
  type TextFileCorpus,
  type TextFileOptions,
  type TextRow,
} from './text.js';
