import { describe, expect, it } from 'vitest';
import { withBoundSteps } from '../../src/backend/native/bound.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import { backend, kernelFor, setBackend } from '../../src/backend/registry.js';
import { LSTM } from '../../src/nn/rnn.js';
import { Generator } from '../../src/tensor/random.js';
import { randomArray, seeded } from './compare.js';

// Repeated one-step calls of the recurrent forward kernels run through bound arguments
// (src/backend/native/bound.ts): they must give exactly what the plain kernel gives, see changes to
// the arrays' values, and still reject arguments that became invalid.
const { addon } = nativeBackend();
const [E, H, G] = [24, 16, 64];

/** One LSTM's step arguments: the two state sets a streamer swaps, and its weights. */
function lstmStream(seed: number) {
  const gen = seeded(seed);
  const r = (n: number) => randomArray(gen, n);
  const w = { x: r(E), wIh: r(G * E), wHh: r(G * H), bIh: r(G), bHh: r(G) };
  const states = [
    [r(H), r(H)],
    [new Float32Array(H), new Float32Array(H)],
  ];
  const [out, gates, cells] = [new Float32Array(H), new Float32Array(G), new Float32Array(H)];
  let s = 0;
  /** Runs step `s` with `fn`, swapping the state sets like a streamer; returns a copy of out. */
  const step = (fn: (...args: unknown[]) => void, lengths: Int32Array | null = null) => {
    const [[h, c], [hN, cN]] = s % 2 ? [states[1]!, states[0]!] : [states[0]!, states[1]!];
    fn(
      1,
      1,
      E,
      H,
      0,
      w.x,
      w.wIh,
      w.wHh,
      null,
      w.bIh,
      w.bHh,
      h,
      c,
      lengths,
      false,
      out,
      hN,
      cN,
      gates,
      cells,
      null,
    );
    s++;
    return out.slice();
  };
  return { w, step };
}

describe.skipIf(!addon)('bound one-step calls of the native recurrent kernels', () => {
  const bound = kernelFor('lstmForward', 'native') as unknown as (...args: unknown[]) => void;
  const plain = addon!.lstmForward as unknown as (...args: unknown[]) => void;

  it('give the plain kernel’s bits step after step, and see weights changed in place', () => {
    const a = lstmStream(1);
    const b = lstmStream(1);
    for (let t = 0; t < 8; t++) {
      if (t === 5) {
        a.w.wHh[3] = 0.5;
        b.w.wHh[3] = 0.5;
        a.w.x.fill(0.25);
        b.w.x.fill(0.25);
      }
      expect(a.step(bound)).toEqual(b.step(plain));
    }
  });

  it('check the per-sample lengths again at every call', () => {
    const a = lstmStream(2);
    const lengths = Int32Array.of(1);
    for (let t = 0; t < 4; t++) a.step(bound, lengths);
    lengths[0] = 2;
    expect(() => a.step(bound, lengths)).toThrow(/lengths/);
    expect(() => a.step(bound, lengths)).toThrow(RangeError);
  });

  it('reject an array whose buffer was detached instead of reading it', () => {
    const a = lstmStream(3);
    for (let t = 0; t < 4; t++) a.step(bound);
    const buffer = a.w.x.buffer as ArrayBuffer;
    structuredClone(buffer, { transfer: [buffer] });
    expect(() => a.step(bound)).toThrow(/lstmForward: x needs at least 24 elements, got 0/);
  });

  it('runBound refuses anything but a handle from bind', () => {
    expect(() => addon!.runBound({})).toThrow(TypeError);
    expect(() => addon!.runBound(null)).toThrow(/runBound: handle must be/);
  });

  it('GRU and RNN steps give the plain kernels’ bits too', () => {
    const gen = seeded(4);
    const [x, wIh, wHh, bIh, bHh] = [E, 3 * H * E, 3 * H * H, 3 * H, 3 * H].map((n) => randomArray(gen, n));
    const [h, hN, out, gates] = [H, H, H, 4 * H].map((n) => new Float32Array(n));
    const gru = (fn: (...args: unknown[]) => void) => {
      for (let t = 0; t < 4; t++) fn(1, 1, E, H, x, wIh, wHh, bIh, bHh, h, null, false, out, hN, gates);
      return out.slice();
    };
    const gruBound = gru(kernelFor('gruForward', 'native') as unknown as (...args: unknown[]) => void);
    expect(gruBound).toEqual(gru(addon!.gruForward as unknown as (...args: unknown[]) => void));
    const rnn = (fn: (...args: unknown[]) => void) => {
      const w = wIh!.subarray(0, H * E);
      for (let t = 0; t < 4; t++)
        fn(1, 1, E, H, false, x, w, wHh!.subarray(0, H * H), null, null, h, null, false, out, hN);
      return out.slice();
    };
    const rnnBound = rnn(kernelFor('rnnForward', 'native') as unknown as (...args: unknown[]) => void);
    expect(rnnBound).toEqual(rnn(addon!.rnnForward as unknown as (...args: unknown[]) => void));
  });
});

describe('withBoundSteps', () => {
  /** A kernel and binder that log what runs. */
  function logged() {
    const log: string[] = [];
    const fn = withBoundSteps((...args) => log.push(`kernel ${args[1]}`), {
      bind: (...args) => {
        log.push(`bind ${args[1]}`);
        return `handle ${args[1]}`;
      },
      runBound: (handle) => log.push(`run ${handle}`),
    });
    return { log, fn };
  }

  it('binds a one-step call when its arguments repeat one of the last four unbound calls, and runs it bound after', () => {
    const { log, fn } = logged();
    const [a, b] = [new Float32Array(4), new Float32Array(4)];
    for (const x of [a, b, a, b, a]) fn(1, x === a ? 'A' : 'B', x);
    expect(log).toEqual([
      'kernel A',
      'kernel B',
      'bind A',
      'run handle A',
      'bind B',
      'run handle B',
      'run handle A',
    ]);
  });

  it('remembers four argument lists (a streamer’s four layers), replacing the oldest by a fifth', () => {
    const { log, fn } = logged();
    const arrays = Array.from({ length: 5 }, () => new Float32Array(2));
    const names = 'ABCDE';
    const call = (i: number) => fn(1, names[i], arrays[i]);
    for (const i of [0, 1, 2, 3, 0, 1, 2, 3]) call(i);
    expect(log).toEqual([
      'kernel A',
      'kernel B',
      'kernel C',
      'kernel D',
      'bind A',
      'run handle A',
      'bind B',
      'run handle B',
      'bind C',
      'run handle C',
      'bind D',
      'run handle D',
    ]);
    log.length = 0;
    // E takes A's place, then A takes B's, then B takes C's; E and D stay.
    for (const i of [4, 0, 1, 4, 3]) call(i);
    expect(log).toEqual(['kernel E', 'kernel A', 'kernel B', 'bind E', 'run handle E', 'run handle D']);
  });

  it('never binds calls of more than one step, nor arrays that changed length', () => {
    const { log, fn } = logged();
    const a = new Float32Array(4);
    fn(2, 'A', a);
    fn(2, 'A', a);
    expect(log).toEqual(['kernel A', 'kernel A']);
    log.length = 0;
    // A resizable buffer (ES2024; the project's type library predates it).
    const Resizable = ArrayBuffer as unknown as new (
      n: number,
      o: { maxByteLength: number },
    ) => ArrayBuffer & { resize(n: number): void };
    const buffer = new Resizable(16, { maxByteLength: 32 });
    const tracking = new Float32Array(buffer);
    fn(1, 'R', tracking);
    buffer.resize(8);
    fn(1, 'R', tracking);
    expect(log).toEqual(['kernel R', 'kernel R']);
  });

  it('does not remember a call whose kernel threw', () => {
    const log: string[] = [];
    let fail = true;
    const fn = withBoundSteps(
      () => {
        log.push('kernel');
        if (fail) throw new RangeError('bad');
      },
      { bind: () => log.push('bind'), runBound: () => log.push('run') },
    );
    const a = new Float32Array(1);
    expect(() => fn(1, a)).toThrow(RangeError);
    fail = false;
    fn(1, a);
    fn(1, a);
    expect(log).toEqual(['kernel', 'kernel', 'bind', 'run']);
  });
});

describe('withBoundSteps(…).prepare', () => {
  it('binds an argument list once and runs it bound after; an array resized since takes the kernel', () => {
    const log: string[] = [];
    const fn = withBoundSteps((...args) => log.push(`kernel ${args[1]}`), {
      bind: (...args) => {
        log.push(`bind ${args[1]}`);
        return `handle ${args[1]}`;
      },
      runBound: (handle) => log.push(`run ${handle}`),
    });
    const Resizable = ArrayBuffer as unknown as new (
      n: number,
      o: { maxByteLength: number },
    ) => ArrayBuffer & { resize(n: number): void };
    const buffer = new Resizable(16, { maxByteLength: 32 });
    const run = fn.prepare(1, 'A', new Float32Array(buffer));
    run();
    run();
    buffer.resize(8);
    run();
    expect(log).toEqual(['bind A', 'run handle A', 'run handle A', 'kernel A']);
  });
});

describe.skipIf(!addon)('a streamer’s prepared steps', () => {
  it('run the active backend’s kernel: a switch of backend in mid-stream takes effect at the next step', () => {
    const lstm = new LSTM({ inputSize: E, hiddenSize: H, numLayers: 2, generator: new Generator(5) }).eval();
    const before = backend();
    try {
      const s = lstm.streamer();
      let differ = false;
      for (const [t, name] of (['native', 'native', 'js', 'js', 'native', 'js'] as const).entries()) {
        const x = randomArray(seeded(40 + t), E);
        // A new streamer from the same state on each backend: what this step must give.
        const want = (b: 'js' | 'native') => {
          setBackend(b);
          const fresh = lstm.streamer();
          fresh.reset(s.state);
          return Array.from(fresh.step(x));
        };
        const [onJs, onNative] = [want('js'), want('native')];
        differ ||= onJs.some((v, i) => v !== onNative[i]);
        setBackend(name);
        expect(Array.from(s.step(x))).toEqual(name === 'js' ? onJs : onNative);
      }
      // Otherwise the test could not tell the backends apart.
      expect(differ).toBe(true);
    } finally {
      setBackend(before);
    }
  });
});
