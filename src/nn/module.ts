import { StateDictError, ValueError } from '../tensor/errors.js';
import { formatShape, type Shape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A tensor a module learns. Always float32 and `requiresGrad`. */
export class Parameter extends Tensor {
  constructor(data: Float32Array, shape: Shape) {
    super(data, shape, { requiresGrad: true });
  }
}

export interface LoadStateDictOptions {
  /** When true (the default) missing and unexpected keys are errors, as in PyTorch. */
  strict?: boolean;
}

/**
 * Base class of layers and models. Sub-modules and parameters are registered by name, in
 * order, so `namedParameters()` yields PyTorch's dotted names (`lstm.weight_ih_l0`).
 */
export class Module {
  training = true;
  private readonly params = new Map<string, Parameter | null>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under `name` (null keeps the slot, as PyTorch's `bias=None`). */
  protected registerParameter<P extends Parameter | null>(name: string, p: P): P {
    checkName(name, this.params, this.children);
    this.params.set(name, p);
    return p;
  }

  /** Registers a sub-module under `name`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    checkName(name, this.params, this.children);
    this.children.set(name, m);
    return m;
  }

  /** Replaces a registered parameter's tensor (used by loaders that rebuild weights). */
  protected setParameter(name: string, p: Parameter): void {
    if (!this.params.has(name)) throw new ValueError(`setParameter: no parameter named "${name}"`);
    this.params.set(name, p);
    this.weightsWritten();
  }

  /**
   * Called after this module's parameters were written in place or replaced (loadStateDict,
   * setParameter): a module that keeps something derived from its weights drops it here.
   */
  protected weightsWritten(): void {}

  /** Direct sub-modules with their names. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children];
  }

  /** Every parameter with its dotted name, depth-first in registration order. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [name, p] of this.params) if (p) out.push([prefix + name, p]);
    for (const [name, m] of this.children) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of learned values. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Parameters by dotted name, in order. Tensors are the live parameters; clone to snapshot. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values from `stateDict` into this module's parameters. Every problem is collected
   * and reported at once: missing keys, unexpected keys and mis-shaped tensors.
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !Object.hasOwn(stateDict, k));
    const unexpected = Object.keys(stateDict).filter((k) => !own.has(k));
    const misShaped: string[] = [];
    for (const [k, p] of own) {
      const t = Object.hasOwn(stateDict, k) ? stateDict[k] : undefined;
      if (!t) continue;
      if (!sameShape(t.shape, p.shape)) {
        misShaped.push(`${k}: expected ${formatShape(p.shape)}, got ${formatShape(t.shape)}`);
      } else if (t.dtype !== 'float32') {
        misShaped.push(`${k}: expected float32, got ${t.dtype}`);
      }
    }
    const problems: string[] = [];
    if (strict && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (misShaped.length) problems.push(`shape mismatch: ${misShaped.join('; ')}`);
    if (problems.length) {
      throw new StateDictError(`loadStateDict: ${problems.join('. ')}`);
    }
    for (const [k, p] of own) {
      if (Object.hasOwn(stateDict, k)) p.f32.set(stateDict[k]!.data);
    }
    this.eachModule((m) => m.weightsWritten());
  }

  /** This module and every sub-module, depth-first. */
  private eachModule(visit: (m: Module) => void): void {
    visit(this);
    for (const m of this.children.values()) m.eachModule(visit);
  }

  /** Sets training mode (dropout active) on this module and every sub-module. */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}

function checkName(name: string, params: Map<string, unknown>, children: Map<string, unknown>): void {
  if (!name || name.includes('.'))
    throw new ValueError(`Module: invalid name "${name}" (non-empty, no dots)`);
  if (params.has(name) || children.has(name)) throw new ValueError(`Module: "${name}" is already registered`);
}
