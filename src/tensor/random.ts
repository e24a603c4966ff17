import { ValueError } from './errors.js';

/** Serializable state of a {@link Generator}, stored in checkpoints for exact resume. */
export interface GeneratorState {
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * Seeded pseudo-random generator (xoshiro128**, seeded through splitmix32).
 * One generator drives initialisation, dropout and shuffling so a seed reproduces a run.
 */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ValueError(`manualSeed: seed must be a finite number, got ${seed}`);
    // splitmix32 spreads any integer seed over the 128-bit state.
    let x = Math.trunc(seed) >>> 0;
    let hi = Math.floor(Math.trunc(seed) / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9 + hi) >>> 0;
      hi = 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
    this.spare = null;
    return this;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer uniform in [0, n). */
  randint(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new ValueError(`randint: n must be a positive integer, got ${n}`);
    return Math.floor(this.random() * n);
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  getState(): GeneratorState {
    return { s: [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!], spare: this.spare };
  }

  setState(state: GeneratorState): void {
    if (
      !state ||
      !Array.isArray(state.s) ||
      state.s.length !== 4 ||
      !state.s.every((v) => Number.isInteger(v))
    ) {
      throw new ValueError('Generator.setState: state.s must be an array of four 32-bit integers');
    }
    this.s.set(state.s);
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The default generator used when none is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (PyTorch's `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
