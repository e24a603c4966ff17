import { StateDictError, ValueError } from '../tensor/errors.js';
import { type BaseHyper, checkNonNegative, Optimizer } from './optimizer.js';

/** A scheduler's JSON-serialisable state. */
export type SchedulerStateDict = Record<string, number | number[] | string | null>;

type Config = Record<string, number>;

function checkOptimizer(where: string, optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer)) {
    throw new ValueError(`${where}: optimizer must be an Optimizer, got ${String(optimizer)}`);
  }
}

function checkPositiveInt(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`${where}: ${name} must be a positive integer, got ${String(value)}`);
  }
}

function checkNonNegativeInt(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ValueError(`${where}: ${name} must be an integer ≥ 0, got ${String(value)}`);
  }
}

function checkLrList(where: string, name: string, value: unknown, n: number): void {
  if (!Array.isArray(value) || value.length !== n) {
    throw new StateDictError(`${where}: ${name} must be a list of ${n} learning rates, got ${String(value)}`);
  }
  value.forEach((v, i) => {
    checkNonNegative(where, `${name}[${i}]`, v);
  });
}

/**
 * Base of the epoch-driven schedulers (PyTorch's `_LRScheduler`). Construction records each
 * group's initial lr and takes the first step (epoch 0); every `step()` moves one epoch on and
 * writes the new learning rates into the optimizer with PyTorch's recursive (chainable) formulas,
 * so a scheduler composes with lr changes made by others as PyTorch's does.
 */
export abstract class LRScheduler<C extends Config = Config> {
  readonly optimizer: Optimizer<BaseHyper>;
  /** Epochs stepped so far; 0 after construction. */
  lastEpoch = -1;
  /** Each group's lr when the first scheduler was attached. */
  baseLrs: number[];
  protected readonly name: string;
  protected config: C;
  private lastLr: number[] = [];

  protected constructor(name: string, optimizer: Optimizer<BaseHyper>, config: C) {
    checkOptimizer(name, optimizer);
    this.name = name;
    this.optimizer = optimizer;
    this.check(config);
    this.config = config;
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** Throws a ValueError naming the first invalid option. */
  protected abstract check(config: C): void;

  /** The learning rates for `lastEpoch`, from the groups' current ones (PyTorch's `get_lr`). */
  protected abstract computeLr(): number[];

  /** Advances one epoch and sets the optimizer's learning rates. */
  step(): void {
    this.lastEpoch++;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
    this.lastLr = [...lrs];
  }

  /** The learning rates set by the last `step()`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  protected get lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerStateDict {
    return {
      ...this.config,
      lastEpoch: this.lastEpoch,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
    };
  }

  /**
   * Restores a state saved by {@link stateDict}. The optimizer's learning rates are set to the
   * saved last ones, so a resumed run continues exactly whether or not the optimizer state is loaded too.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object')
      throw new StateDictError(`${where}: expected an object, got ${String(sd)}`);
    const n = this.optimizer.paramGroups.length;
    if (typeof sd.lastEpoch !== 'number' || !Number.isInteger(sd.lastEpoch) || sd.lastEpoch < 0) {
      throw new StateDictError(`${where}: lastEpoch must be an integer ≥ 0, got ${String(sd.lastEpoch)}`);
    }
    checkLrList(where, 'baseLrs', sd.baseLrs, n);
    checkLrList(where, 'lastLr', sd.lastLr, n);
    const config = { ...this.config };
    for (const k of Object.keys(config) as Array<keyof C>) {
      if (k in sd) config[k] = sd[k as string] as C[keyof C];
    }
    try {
      this.check(config);
    } catch (e) {
      throw new StateDictError(`${where}: ${(e as Error).message}`);
    }
    this.config = config;
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...(sd.baseLrs as number[])];
    this.lastLr = [...(sd.lastLr as number[])];
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lastLr[i]!;
      g.initialLr = this.baseLrs[i]!;
    });
  }
}

export interface StepLROptions {
  /** Epochs between decays (positive integer). */
  stepSize: number;
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/** Multiplies the learning rate by `gamma` every `stepSize` epochs, PyTorch's `StepLR`. */
export class StepLR extends LRScheduler<{ stepSize: number; gamma: number }> {
  constructor(optimizer: Optimizer<BaseHyper>, options: StepLROptions) {
    super('StepLR', optimizer, { stepSize: options?.stepSize, gamma: options?.gamma ?? 0.1 });
    this.step();
  }

  protected check(c: { stepSize: number; gamma: number }): void {
    checkPositiveInt(this.name, 'stepSize', c.stepSize);
    checkNonNegative(this.name, 'gamma', c.gamma);
  }

  protected computeLr(): number[] {
    const { stepSize, gamma } = this.config;
    if (this.lastEpoch === 0 || this.lastEpoch % stepSize !== 0) return this.lrs;
    return this.lrs.map((lr) => lr * gamma);
  }
}

/** Multiplies the learning rate by `gamma` every epoch, PyTorch's `ExponentialLR`. */
export class ExponentialLR extends LRScheduler<{ gamma: number }> {
  constructor(optimizer: Optimizer<BaseHyper>, options: { gamma: number }) {
    super('ExponentialLR', optimizer, { gamma: options?.gamma });
    this.step();
  }

  protected check(c: { gamma: number }): void {
    checkNonNegative('ExponentialLR', 'gamma', c.gamma);
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.lrs;
    return this.lrs.map((lr) => lr * this.config.gamma);
  }
}

export interface CosineAnnealingLROptions {
  /** Epochs of a half cosine period (positive integer). */
  tMax: number;
  /** The lowest learning rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from the initial lr down to `etaMin` over `tMax` epochs, then back up,
 * PyTorch's `CosineAnnealingLR` (recursive form, so lr = etaMin + (base − etaMin)(1 + cos(πt/tMax))/2
 * when nothing else changes the lr).
 */
export class CosineAnnealingLR extends LRScheduler<{ tMax: number; etaMin: number }> {
  constructor(optimizer: Optimizer<BaseHyper>, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer, { tMax: options?.tMax, etaMin: options?.etaMin ?? 0 });
    this.step();
  }

  protected check(c: { tMax: number; etaMin: number }): void {
    checkPositiveInt('CosineAnnealingLR', 'tMax', c.tMax);
    checkNonNegative('CosineAnnealingLR', 'etaMin', c.etaMin);
  }

  protected computeLr(): number[] {
    const { tMax, etaMin } = this.config;
    const e = this.lastEpoch;
    if (e === 0) return this.lrs;
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return this.lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.lrs.map(
      (lr) =>
        ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) +
        etaMin,
    );
  }
}

export interface LinearWarmupOptions {
  /** Factor of the initial lr at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor reached after `totalIters` epochs, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the linear ramp (default 5). */
  totalIters?: number;
}

/**
 * Linear warm-up (or decay): the lr factor moves linearly from `startFactor` to `endFactor` over
 * `totalIters` epochs, then stays. PyTorch's `LinearLR`, with its recursive formula.
 */
export class LinearWarmup extends LRScheduler<{
  startFactor: number;
  endFactor: number;
  totalIters: number;
}> {
  constructor(optimizer: Optimizer<BaseHyper>, options: LinearWarmupOptions = {}) {
    super('LinearWarmup', optimizer, {
      startFactor: options.startFactor ?? 1 / 3,
      endFactor: options.endFactor ?? 1,
      totalIters: options.totalIters ?? 5,
    });
    this.step();
  }

  protected check(c: { startFactor: number; endFactor: number; totalIters: number }): void {
    if (typeof c.startFactor !== 'number' || !(c.startFactor > 0 && c.startFactor <= 1)) {
      throw new ValueError(`LinearWarmup: startFactor must be in (0, 1], got ${String(c.startFactor)}`);
    }
    if (typeof c.endFactor !== 'number' || !(c.endFactor >= 0 && c.endFactor <= 1)) {
      throw new ValueError(`LinearWarmup: endFactor must be in [0, 1], got ${String(c.endFactor)}`);
    }
    checkPositiveInt('LinearWarmup', 'totalIters', c.totalIters);
  }

  protected computeLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this.config;
    const e = this.lastEpoch;
    if (e === 0) return this.lrs.map((lr) => lr * s);
    if (e > n) return this.lrs;
    return this.lrs.map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
}

/** PyTorch's name for {@link LinearWarmup}. */
export { LinearWarmup as LinearLR };

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): the metric should fall; 'max': it should rise. */
  mode?: 'min' | 'max';
  /** new lr = lr · factor, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before a reduction (default 10). */
  patience?: number;
  /** Least change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr: one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the learning rate by `factor` when a metric has not improved for `patience` epochs,
 * PyTorch's `ReduceLROnPlateau`. Call `step(metric)` once per epoch.
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer<BaseHyper>;
  mode: 'min' | 'max' = 'min';
  factor = 0.1;
  patience = 10;
  threshold = 1e-4;
  thresholdMode: 'rel' | 'abs' = 'rel';
  cooldown = 0;
  minLrs: number[] = [];
  eps = 1e-8;
  /** Best metric so far (±Infinity before the first step). */
  best = Infinity;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer<BaseHyper>, options: ReduceLROnPlateauOptions = {}) {
    checkOptimizer('ReduceLROnPlateau', optimizer);
    this.optimizer = optimizer;
    const n = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== n) {
      throw new ValueError(
        `ReduceLROnPlateau: minLr must have one value per group (${n}), got ${minLr.length}`,
      );
    }
    this.configure('ReduceLROnPlateau', {
      mode: options.mode ?? 'min',
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      threshold: options.threshold ?? 1e-4,
      thresholdMode: options.thresholdMode ?? 'rel',
      cooldown: options.cooldown ?? 0,
      minLrs: Array.isArray(minLr) ? [...minLr] : new Array<number>(n).fill(minLr),
      eps: options.eps ?? 1e-8,
    });
    this.best = this.worst;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private configure(
    where: string,
    c: Pick<
      ReduceLROnPlateau,
      'mode' | 'factor' | 'patience' | 'threshold' | 'thresholdMode' | 'cooldown' | 'minLrs' | 'eps'
    >,
  ): void {
    if (c.mode !== 'min' && c.mode !== 'max') {
      throw new ValueError(`${where}: mode must be 'min' or 'max', got ${JSON.stringify(c.mode)}`);
    }
    if (typeof c.factor !== 'number' || !(c.factor >= 0 && c.factor < 1)) {
      throw new ValueError(`${where}: factor must be in [0, 1), got ${String(c.factor)}`);
    }
    checkNonNegativeInt(where, 'patience', c.patience);
    checkNonNegative(where, 'threshold', c.threshold);
    if (c.thresholdMode !== 'rel' && c.thresholdMode !== 'abs') {
      throw new ValueError(
        `${where}: thresholdMode must be 'rel' or 'abs', got ${JSON.stringify(c.thresholdMode)}`,
      );
    }
    checkNonNegativeInt(where, 'cooldown', c.cooldown);
    c.minLrs.forEach((v, i) => {
      checkNonNegative(where, `minLr[${i}]`, v);
    });
    checkNonNegative(where, 'eps', c.eps);
    Object.assign(this, c);
  }

  private get worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (1 + threshold) : a > best + threshold;
  }

  /** Records one epoch's metric (a NaN counts as no improvement) and reduces the lr if it is due. */
  step(metric: number): void {
    if (typeof metric !== 'number') {
      throw new ValueError(`ReduceLROnPlateau.step: metric must be a number, got ${typeof metric}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates after the last `step()`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** JSON-serialisable state; an infinite `best` (nothing seen yet) is stored as null. */
  stateDict(): SchedulerStateDict {
    return {
      mode: this.mode,
      factor: this.factor,
      patience: this.patience,
      threshold: this.threshold,
      thresholdMode: this.thresholdMode,
      cooldown: this.cooldown,
      minLrs: [...this.minLrs],
      eps: this.eps,
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
    };
  }

  /** Restores a state saved by {@link stateDict}, and the optimizer's lr to the saved last ones. */
  loadStateDict(sd: SchedulerStateDict): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    if (!sd || typeof sd !== 'object')
      throw new StateDictError(`${where}: expected an object, got ${String(sd)}`);
    const n = this.optimizer.paramGroups.length;
    checkLrList(where, 'minLrs', sd.minLrs, n);
    checkLrList(where, 'lastLr', sd.lastLr, n);
    for (const k of ['numBadEpochs', 'cooldownCounter', 'lastEpoch'] as const) {
      const v = sd[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new StateDictError(`${where}: ${k} must be an integer ≥ 0, got ${String(v)}`);
      }
    }
    if (sd.best !== null && typeof sd.best !== 'number') {
      throw new StateDictError(`${where}: best must be a number or null, got ${String(sd.best)}`);
    }
    try {
      this.configure(where, {
        mode: sd.mode as 'min' | 'max',
        factor: sd.factor as number,
        patience: sd.patience as number,
        threshold: sd.threshold as number,
        thresholdMode: sd.thresholdMode as 'rel' | 'abs',
        cooldown: sd.cooldown as number,
        minLrs: [...(sd.minLrs as number[])],
        eps: sd.eps as number,
      });
    } catch (e) {
      throw new StateDictError((e as Error).message);
    }
    this.best = sd.best ?? this.worst;
    this.numBadEpochs = sd.numBadEpochs as number;
    this.cooldownCounter = sd.cooldownCounter as number;
    this.lastEpoch = sd.lastEpoch as number;
    this.lastLr = [...(sd.lastLr as number[])];
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lastLr[i]!;
    });
  }
}
