/**
 * Sizes a language model and its run to the text when the caller leaves them open: a small
 * text gets a small network trained for enough optimizer steps, a book the defaults that beat
 * the 5-gram on Moby Dick.
 */

/** Optimizer steps a run takes at least when its epochs are left open: with fewer, a small text is barely trained. */
export const LM_TARGET_STEPS = 1000;
/** Epochs a long text gets at least (Moby Dick: about 260 steps each). */
export const LM_MIN_EPOCHS = 5;
/** The most epochs chosen for a tiny text (the run still evaluates after each). */
export const LM_MAX_EPOCHS = 400;
/** Weights a network may have per training token (Moby Dick's 1.1 million characters: hidden 512). */
export const LM_WEIGHTS_PER_TOKEN = 5;
/** A small text (read more than 5 times in its steps) trains with this dropout and rate ... */
export const LM_SMALL_TEXT = { dropout: 0.3, lr: 1e-2 } as const;
/** ... a long one without dropout at Adam's rate 3e-3 (Moby Dick's recipe). */
export const LM_LONG_TEXT = { dropout: 0, lr: 3e-3 } as const;
/** Hidden sizes the sizing picks from. */
const HIDDEN_SIZES = [32, 64, 128, 256, 512] as const;
/** Word models keep the words seen at least this often in the training part ... */
export const LM_WORD_MIN_FREQ = 2;
/** ... and at most this many (`<pad>` and `<unk>` included), so the output layer stays affordable. */
export const LM_WORD_MAX_VOCAB = 10_000;

/** Steps of one pass over `trainTokens` in `batch` streams cut into `bptt`-step chunks. */
export function lmStepsPerEpoch(trainTokens: number, batch: number, bptt: number): number {
  const length = Math.floor(trainTokens / batch);
  return Math.max(1, Math.ceil((length - 1) / bptt));
}

/**
 * Epochs for at least {@link LM_TARGET_STEPS} steps, and never fewer than {@link LM_MIN_EPOCHS}
 * nor more than {@link LM_MAX_EPOCHS}. Every step reads `batch` × `bptt` tokens whatever the
 * text's length, so the run reads about 4 million tokens on a small text (batch 32, bptt 128),
 * less than five epochs of Moby Dick (5.4 million), with a network sized down to the text.
 */
export function lmEpochsFor(trainTokens: number, batch: number, bptt: number): number {
  const perEpoch = lmStepsPerEpoch(trainTokens, batch, bptt);
  return Math.min(LM_MAX_EPOCHS, Math.max(LM_MIN_EPOCHS, Math.ceil(LM_TARGET_STEPS / perEpoch)));
}

/** Weights of a one-layer LSTM language model: embedding, gates, output layer (tied: none of its own). */
export function lmParameterCount(vocab: number, embed: number, hidden: number, tied: boolean): number {
  const recurrent = 4 * hidden * (embed + hidden + 2);
  return vocab * embed + recurrent + (tied ? 0 : vocab * hidden) + vocab;
}

export interface LmSize {
  embed: number;
  hidden: number;
  tieWeights: boolean;
}

/**
 * The largest hidden size (32 to 512) whose network has at most {@link LM_WEIGHTS_PER_TOKEN}
 * weights per training token: a character model on Moby Dick's 1.1 million characters gets 512
 * (embedding 64), one on 80,000 characters 256, on 20,000 64. Word models share the
 * embedding with the output layer (embedding = hidden, tied), which halves the vocabulary's
 * weights, and size the recurrent layer alone against the tokens: their vocabulary rows are
 * what the text can teach at all.
 */
export function lmSizeFor(trainTokens: number, vocab: number, unit: 'char' | 'word'): LmSize {
  let best: LmSize = unit === 'word' ? { embed: 32, hidden: 32, tieWeights: true } : size(32);
  for (const h of HIDDEN_SIZES) {
    const s = unit === 'word' ? { embed: h, hidden: h, tieWeights: true } : size(h);
    const weights =
      unit === 'word'
        ? lmParameterCount(0, s.embed, s.hidden, true)
        : lmParameterCount(vocab, s.embed, s.hidden, false);
    if (weights <= LM_WEIGHTS_PER_TOKEN * trainTokens) best = s;
  }
  return best;
}

function size(hidden: number): LmSize {
  return { embed: Math.min(64, hidden), hidden, tieWeights: false };
}

/** The sizes of `s`'s kind that {@link lmSizeFor} chooses from, up to `s`, smallest first. */
export function lmSizesUpTo(s: LmSize): LmSize[] {
  return HIDDEN_SIZES.filter((h) => h <= s.hidden).map((h) =>
    s.tieWeights ? { embed: h, hidden: h, tieWeights: true } : size(h),
  );
}

/**
 * The size for `seconds` of training, of `sizes` (smallest first), with one step of each timed
 * by `stepSeconds` from the smallest up, no further than needed: the largest that takes
 * {@link LM_TARGET_STEPS} steps in time; when even the smallest does not, the largest that still
 * takes half as many steps as the smallest. A larger network learns more per step, but not
 * enough to make up for a fraction of the steps: 300,000 characters of Moby Dick, 3 minutes on a
 * loaded machine, scored 2.400 nats with hidden 64 (180 steps), 2.294 with 128 (157), 2.479
 * with 256 (56) and 3.109 with 512 (13).
 */
export function lmSizeForTime(
  sizes: readonly LmSize[],
  seconds: number,
  stepSeconds: (s: LmSize) => number,
): LmSize {
  const stepsOf = (s: LmSize) => seconds / stepSeconds(s);
  const smallest = stepsOf(sizes[0]!);
  const enough = smallest >= LM_TARGET_STEPS ? LM_TARGET_STEPS : smallest / 2;
  let chosen = sizes[0]!;
  for (const s of sizes.slice(1)) {
    if (stepsOf(s) < enough) break;
    chosen = s;
  }
  return chosen;
}

/**
 * A time budget for the sizes: the seconds training may take and the measured seconds of one
 * training step of a network of a given size.
 */
export interface LmTimeBudget {
  seconds: number;
  stepSeconds: (s: LmSize) => number;
}

/** The settings a caller may leave to the sizing, as given (undefined: open). */
export interface LmSizeSettings {
  embed?: number | undefined;
  hidden?: number | undefined;
  tieWeights?: boolean | undefined;
  epochs?: number | undefined;
  dropout?: number | undefined;
  lr?: number | undefined;
}

/** Sizes used when only one of embed and hidden is given (the defaults before sizing). */
const FIXED = { embed: 64, hidden: 512 } as const;

/**
 * Fills the open settings: both sizes open → {@link lmSizeFor} (tying as given, else words
 * tied), made smaller by {@link lmSizeForTime} for a `time` budget; one open → tied to the
 * other, or the fixed default (embed 64, hidden 512); epochs open → {@link lmEpochsFor}; dropout and rate open → {@link LM_SMALL_TEXT}'s for a text that
 * {@link lmEpochsFor} reads more than 5 times, else {@link LM_LONG_TEXT}'s (a small text's
 * bigger network overfits without dropout, and trains too slowly at the lower rate). `sized`
 * names what was filled.
 */
export function sizeLanguageModel(
  given: LmSizeSettings,
  text: { trainTokens: number; vocab: number; unit: 'char' | 'word'; batch: number; bptt: number },
  time?: LmTimeBudget,
): Required<{ [K in keyof LmSizeSettings]: NonNullable<LmSizeSettings[K]> }> & {
  sized: (keyof LmSizeSettings)[];
} {
  const keys: (keyof LmSizeSettings)[] = ['embed', 'hidden', 'tieWeights', 'epochs', 'dropout', 'lr'];
  const sized = keys.filter((k) => given[k] === undefined);
  let { embed, hidden, tieWeights } = given;
  if (embed === undefined && hidden === undefined) {
    const byText = lmSizeFor(text.trainTokens, text.vocab, text.unit);
    const tied = { ...byText, tieWeights: tieWeights ?? byText.tieWeights };
    const s = time ? lmSizeForTime(lmSizesUpTo(tied), time.seconds, time.stepSeconds) : tied;
    tieWeights ??= s.tieWeights;
    hidden = s.hidden;
    embed = tieWeights ? s.hidden : s.embed;
  } else {
    tieWeights ??= false;
    hidden ??= tieWeights ? embed! : FIXED.hidden;
    embed ??= tieWeights ? hidden : FIXED.embed;
  }
  const passes = lmEpochsFor(text.trainTokens, text.batch, text.bptt);
  const regime = passes > LM_MIN_EPOCHS ? LM_SMALL_TEXT : LM_LONG_TEXT;
  const epochs = given.epochs ?? passes;
  const dropout = given.dropout ?? regime.dropout;
  const lr = given.lr ?? regime.lr;
  return { embed, hidden, tieWeights, epochs, dropout, lr, sized };
}
