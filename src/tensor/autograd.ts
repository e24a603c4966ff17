import type { TypedArray } from './dtype.js';
import { KiokuError } from './errors.js';
import { gradientPool } from './pool.js';

/**
 * What the engine needs of a tensor (Tensor implements it): whether it takes a gradient, the
 * step that made it, its size and, for a leaf, the buffer its gradient accumulates in.
 */
export interface GradNode {
  requiresGrad: boolean;
  gradFn: GradFn | null;
  readonly data: TypedArray;
  leafGradBuffer(): Float32Array;
}

/**
 * Returns the gradient buffer of `t` to add into (`+=`), or null when `t` needs none.
 * A leaf's buffer is its `.grad`; an intermediate's lives only during `backward()`.
 */
export type GradSink = (t: GradNode) => Float32Array | null;

/** The recorded step that produced a tensor: its inputs and how to push a gradient back to them. */
export interface GradFn<T extends GradNode = GradNode> {
  readonly name: string;
  readonly inputs: readonly T[];
  /**
   * Adds the contribution of `gradOut` (the output's gradient) into each input's buffer. It must
   * not keep `gradOut` past its return: the engine reuses that buffer.
   */
  backward(gradOut: Float32Array, grads: GradSink): void;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording operations (inference, optimizer steps). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Attaches a backward step to `out` when any input requires a gradient and recording is on.
 * Ops call this once, after computing their forward result.
 */
export function record<T extends GradNode>(
  out: T,
  name: string,
  inputs: readonly T[],
  backward: GradFn['backward'],
): T {
  if (!gradEnabled) return out;
  let needs = false;
  for (const t of inputs) needs ||= t.requiresGrad;
  if (!needs) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward };
  return out;
}

/**
 * Reverse-mode accumulation from `root`. The graph is ordered with an explicit stack, not
 * recursion: a long BPTT graph can be tens of thousands of nodes deep.
 */
export function runBackward(root: GradNode, seed: Float32Array): void {
  if (!root.requiresGrad) {
    throw new KiokuError(
      'backward: this tensor does not require a gradient (no input had requiresGrad, or it was made under noGrad)',
    );
  }
  const order = topologicalOrder(root);
  const buffers = new Map<GradNode, Float32Array>();
  const sink: GradSink = (t) => {
    if (!t.requiresGrad) return null;
    if (t.gradFn === null) return t.leafGradBuffer();
    let g = buffers.get(t);
    if (g === undefined) {
      g = gradientPool.take(t.data.length);
      buffers.set(t, g);
    }
    return g;
  };
  const rootBuf = sink(root)!;
  for (let i = 0; i < seed.length; i++) rootBuf[i]! += seed[i]!;
  // `order` lists every tensor after all its inputs; walk it backwards.
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const fn = t.gradFn;
    if (fn === null) continue;
    const g = buffers.get(t);
    if (g === undefined) continue; // no gradient reached this node
    buffers.delete(t);
    fn.backward(g, sink);
    // No backward keeps its gradOut: once it has run, the buffer is dead.
    gradientPool.release(g);
  }
}

function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>();
  // Each frame: a tensor and the index of the next input to visit.
  const stack: Array<[GradNode, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, next] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1] = next + 1;
      const child = inputs[next]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
