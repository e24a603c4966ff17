import { StateDictError, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A hyper-parameter value: JSON-serialisable as is. */
export type HyperValue = number | boolean | readonly number[];

/** The hyper-parameters every optimizer has. */
export interface BaseHyper {
  lr: number;
}

/** Parameters that share hyper-parameters. `initialLr` is set by the first LR scheduler attached. */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[]; initialLr?: number };

/** Either a list of parameters or a list of groups, each with its own overrides. */
export type ParamsArg<H extends BaseHyper> =
  | Iterable<Tensor>
  | ReadonlyArray<{ params: Iterable<Tensor> } & Partial<H>>;

/** Per-parameter state: buffers as typed arrays, counters as numbers. */
export type ParamState = Record<string, Float32Array | number>;

/** JSON-serialisable optimizer state, PyTorch's layout: state by parameter index, then the groups. */
export interface OptimizerStateDict {
  state: Record<string, Record<string, number | number[]>>;
  paramGroups: Array<Record<string, HyperValue | undefined> & { params: number[] }>;
}

/**
 * Base of the optimizers. Holds parameter groups and per-parameter state; subclasses define
 * `step()` with PyTorch's single-tensor update rule and validate their hyper-parameters.
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly paramGroups: ParamGroup<H>[];
  protected readonly state = new Map<Tensor, ParamState>();
  protected readonly name: string;

  protected constructor(name: string, params: ParamsArg<H>, defaults: H) {
    this.name = name;
    this.validate(defaults);
    const list = [...(params as Iterable<Tensor | ({ params: Iterable<Tensor> } & Partial<H>)>)];
    if (list.length === 0)
      throw new ValueError(`${name}: params is an empty list; pass at least one parameter`);
    type Group = { params: Iterable<Tensor> } & Partial<H>;
    const groups = list.every((p) => p instanceof Tensor)
      ? [{ params: list } as unknown as Group]
      : (list as Group[]);
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((g, gi) => {
      if (g instanceof Tensor || typeof g !== 'object' || g === null || !('params' in g)) {
        throw new ValueError(
          `${name}: params must be all tensors or all groups {params, …}; item ${gi} is neither`,
        );
      }
      const ps = [...g.params];
      ps.forEach((p, pi) => {
        if (!(p instanceof Tensor) || p.dtype !== 'float32') {
          throw new ValueError(
            `${name}: group ${gi} parameter ${pi} must be a float32 Tensor, got ${String(p)}`,
          );
        }
        if (seen.has(p)) throw new ValueError(`${name}: group ${gi} parameter ${pi} appears more than once`);
        seen.add(p);
      });
      const group = { ...defaults, ...g, params: ps } as ParamGroup<H>;
      this.validate(group);
      return group;
    });
  }

  /** Throws a ValueError naming the first invalid hyper-parameter. */
  protected abstract validate(h: H): void;

  /** Applies one update to every parameter that has a gradient. */
  abstract step(): void;

  /** Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  /** Sets the learning rate of every group. */
  set lr(value: number) {
    checkNonNegative(this.name, 'lr', value);
    for (const g of this.paramGroups) g.lr = value;
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** A deep, JSON-serialisable copy of the state and hyper-parameters. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      const ids: number[] = [];
      for (const p of params) {
        const s = this.state.get(p);
        if (s) {
          const entry: Record<string, number | number[]> = {};
          for (const [k, v] of Object.entries(s)) entry[k] = typeof v === 'number' ? v : Array.from(v);
          state[String(index)] = entry;
        }
        ids.push(index++);
      }
      const copy: Record<string, HyperValue | undefined> = {};
      for (const [k, v] of Object.entries(hyper)) copy[k] = Array.isArray(v) ? [...v] : (v as HyperValue);
      return { ...copy, params: ids };
    });
    return { state, paramGroups };
  }

  /**
   * Restores state and hyper-parameters saved by {@link stateDict} into an optimizer over the same
   * parameters (same groups, sizes and order), as PyTorch's `load_state_dict`.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') {
      throw new StateDictError(
        `${where}: expected an object with "state" and "paramGroups", got ${String(sd)}`,
      );
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new StateDictError(
        `${where}: saved state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`,
      );
    }
    const params: Tensor[] = [];
    const hypers: H[] = [];
    this.paramGroups.forEach((g, gi) => {
      const saved = sd.paramGroups[gi]!;
      if (!Array.isArray(saved.params) || saved.params.length !== g.params.length) {
        throw new StateDictError(
          `${where}: group ${gi} has ${g.params.length} parameters, the saved group ${Array.isArray(saved.params) ? saved.params.length : 'none'}`,
        );
      }
      const { params: _ids, ...hyper } = saved;
      const merged = { ...g, ...hyper } as ParamGroup<H>;
      try {
        this.validate(merged);
      } catch (e) {
        throw new StateDictError(`${where}: group ${gi}: ${(e as Error).message}`);
      }
      hypers.push(merged);
      params.push(...g.params);
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = params[Number(key)];
      if (!Number.isInteger(Number(key)) || p === undefined) {
        throw new StateDictError(`${where}: state for parameter ${key}, but there are only ${params.length}`);
      }
      const s: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v === 'number') s[k] = v;
        else if (Array.isArray(v) && v.length === p.size) s[k] = Float32Array.from(v);
        else {
          throw new StateDictError(
            `${where}: state "${k}" of parameter ${key} must have ${p.size} values, got ${Array.isArray(v) ? v.length : typeof v}`,
          );
        }
      }
      newState.set(p, s);
    }
    this.paramGroups.forEach((g, gi) => {
      const { params: _p, ...hyper } = hypers[gi] as ParamGroup<H>;
      Object.assign(g, hyper);
    });
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }
}

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${where}: ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
}

/** Throws unless `value` is in [0, 1). */
/** Adam's (β₁, β₂): a pair of numbers in [0, 1). */
export function checkBetas(where: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new ValueError(`${where}: betas must be a pair [beta1, beta2], got ${String(betas)}`);
  }
  checkUnitInterval(where, 'betas[0]', betas[0]);
  checkUnitInterval(where, 'betas[1]', betas[1]);
}

export function checkUnitInterval(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ValueError(`${where}: ${name} must be in [0, 1), got ${String(value)}`);
  }
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(where: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean')
    throw new ValueError(`${where}: ${name} must be true or false, got ${String(value)}`);
}
