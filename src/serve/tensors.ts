import { RequestError, shown } from './errors.js';

/*
 * Tensors of the Open Inference Protocol v2 in JSON: `{ name, shape, datatype, data }`, data in
 * row-major order, flat or nested. Inputs are checked against what a model reads; outputs are
 * written flat.
 */

export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

export interface V2Request {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2Tensor[];
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

/** A model's input or output as its metadata describes it (-1: any size). */
export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

/** What an input may be: its datatypes (the first is the one metadata shows) and ranks. */
export interface InputRule {
  datatypes: readonly string[];
  ranks: readonly number[];
  required: boolean;
}

/** A checked input: its shape and its elements, flattened. */
export interface InputTensor<T> {
  shape: number[];
  data: T[];
  field: string;
}

/** The request's inputs by name, each known to the model and given once. */
export function inputsByName(request: V2Request, known: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  request.inputs.forEach((t, i) => {
    if (!known.includes(t.name)) {
      throw new RequestError(
        `inputs[${i}].name`,
        `inputs[${i}].name must be one of ${known.join(', ')} (the model's inputs), got ${shown(t.name)}`,
      );
    }
    if (found.has(t.name))
      throw new RequestError(`inputs[${i}].name`, `inputs[${i}].name: "${t.name}" is given twice`);
    found.set(t.name, i);
  });
  return found;
}

/** Flattens nested row-major data to `depth` levels at most. */
function flatten(data: unknown[], depth: number, field: string): unknown[] {
  if (!data.some(Array.isArray)) return data;
  if (depth <= 1) throw new RequestError(field, `${field} is nested deeper than the tensor's shape`);
  return data.flatMap((d) => (Array.isArray(d) ? flatten(d, depth - 1, field) : [d]));
}

/** A numeric element (FP32/FP64) that float32 holds, or throws naming its place. */
function number(v: unknown, field: string, i: number): number {
  if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) {
    throw new RequestError(
      `${field}[${i}]`,
      `${field}[${i}] must be a finite float32 number, got ${shown(v)}`,
    );
  }
  return v;
}

function string(v: unknown, field: string, i: number): string {
  if (typeof v !== 'string')
    throw new RequestError(`${field}[${i}]`, `${field}[${i}] must be a string, got ${shown(v)}`);
  return v;
}

/** Input `name` of the request checked against `rule`: its datatype, rank, size and elements. */
export function readInput<T extends number | string>(
  request: V2Request,
  index: Map<string, number>,
  name: string,
  rule: InputRule,
): InputTensor<T> | null {
  const i = index.get(name);
  if (i === undefined) {
    if (rule.required) throw new RequestError('inputs', `inputs must include the tensor "${name}"`);
    return null;
  }
  const t = request.inputs[i]!;
  const at = `inputs[${i}]`;
  if (!rule.datatypes.includes(t.datatype)) {
    throw new RequestError(
      `${at}.datatype`,
      `${at}.datatype must be ${rule.datatypes.join(' or ')} for "${name}", got ${shown(t.datatype)}`,
    );
  }
  if (!rule.ranks.includes(t.shape.length)) {
    throw new RequestError(
      `${at}.shape`,
      `${at}.shape must have ${rule.ranks.join(' or ')} dimensions for "${name}", got [${t.shape.join(', ')}]`,
    );
  }
  const flat = flatten(t.data, t.shape.length, `${at}.data`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size) {
    throw new RequestError(
      `${at}.data`,
      `${at}.data must hold ${size} elements for shape [${t.shape.join(', ')}], got ${flat.length}`,
    );
  }
  const element = t.datatype === 'BYTES' ? string : number;
  const data = flat.map((v, k) => element(v, `${at}.data`, k)) as T[];
  return { shape: t.shape, data, field: at };
}

/** The outputs a request asks for (all of `produced` when it names none). */
export function requestedOutputs(request: V2Request, produced: readonly string[]): Set<string> {
  if (!request.outputs) return new Set(produced);
  return new Set(
    request.outputs.map((o, i) => {
      if (!produced.includes(o.name)) {
        throw new RequestError(
          `outputs[${i}].name`,
          `outputs[${i}].name must be one of ${produced.join(', ')} (the model's outputs), got ${shown(o.name)}`,
        );
      }
      return o.name;
    }),
  );
}
