import type { RecurrentLayer } from '../../src/train/inspect/trace.js';

/*
 * An unfused, float64 reference for what traceRecurrent reports: one sample and one step at a
 * time, PyTorch's cell equations written out on plain numbers, the layers and directions
 * stacked by hand. Independent of the fused kernels' batching, lengths and reverse bookkeeping.
 */

/** ref[l][d][t][b]: the named vectors of that step, or null past the sample's length. */
export type ReferenceTrace = Array<Array<Array<Array<Record<string, number[]> | null>>>>;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function matVec(w: Float32Array, rows: number, cols: number, v: number[], row0 = 0): number[] {
  const out = new Array<number>(rows).fill(0);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[(row0 + r) * cols + c]! * v[c]!;
    out[r] = s;
  }
  return out;
}

/** x: rows x[t][b] of E numbers (time-major), lengths per sample. */
export function referenceTrace(layer: RecurrentLayer, x: number[][][], lengths: number[]): ReferenceTrace {
  const params = new Map(layer.namedParameters());
  const T = x.length;
  const B = x[0]!.length;
  const H = layer.hiddenSize;
  const R = layer.outputSize;
  const kind = layer.mode;
  const result: ReferenceTrace = [];
  let input = x;
  for (let l = 0; l < layer.numLayers; l++) {
    const dirs: ReferenceTrace[number] = [];
    const outs: number[][][][] = [];
    for (let d = 0; d < layer.numDirections; d++) {
      const p = (n: string) => params.get(`${n}_l${l}${d === 1 ? '_reverse' : ''}`)?.f32 ?? null;
      const wIh = p('weight_ih')!;
      const wHh = p('weight_hh')!;
      const bIh = p('bias_ih');
      const bHh = p('bias_hh');
      const wHr = p('weight_hr');
      const E = input[0]![0]!.length;
      const G = wHh.length / R;
      const steps: Array<Array<Record<string, number[]> | null>> = Array.from({ length: T }, () =>
        new Array(B).fill(null),
      );
      const out: number[][][] = Array.from({ length: T }, () =>
        Array.from({ length: B }, () => new Array(R).fill(0)),
      );
      for (let b = 0; b < B; b++) {
        let h = new Array<number>(R).fill(0);
        let c = new Array<number>(H).fill(0);
        const len = lengths[b]!;
        for (let s = 0; s < len; s++) {
          const t = d === 1 ? len - 1 - s : s;
          const gi = matVec(wIh, G, E, input[t]![b]!).map((v, j) => v + (bIh ? bIh[j]! : 0));
          const gh = matVec(wHh, G, R, h).map((v, j) => v + (bHh ? bHh[j]! : 0));
          const blk = (a: number[], k: number) => a.slice(k * H, (k + 1) * H);
          let rec: Record<string, number[]>;
          if (kind === 'LSTM') {
            const pre = gi.map((v, j) => v + gh[j]!);
            const i = blk(pre, 0).map(sigmoid);
            const f = blk(pre, 1).map(sigmoid);
            const g = blk(pre, 2).map(Math.tanh);
            const o = blk(pre, 3).map(sigmoid);
            c = c.map((cv, j) => f[j]! * cv + i[j]! * g[j]!);
            const m = o.map((ov, j) => ov * Math.tanh(c[j]!));
            h = wHr ? matVec(wHr, R, H, m) : m;
            rec = { i, f, g, o, cell: c, hidden: h };
          } else if (kind === 'GRU') {
            const r = blk(gi, 0).map((v, j) => sigmoid(v + gh[j]!));
            const z = blk(gi, 1).map((v, j) => sigmoid(v + gh[H + j]!));
            const n = blk(gi, 2).map((v, j) => Math.tanh(v + r[j]! * gh[2 * H + j]!));
            h = h.map((hv, j) => (1 - z[j]!) * n[j]! + z[j]! * hv);
            rec = { r, z, n, hidden: h };
          } else {
            const pre = gi.map((v, j) => v + gh[j]!);
            h = pre.map(kind === 'RNN_RELU' ? (v) => Math.max(0, v) : Math.tanh);
            rec = { h, hidden: h };
          }
          steps[t]![b] = rec;
          out[t]![b] = h;
        }
      }
      dirs.push(steps);
      outs.push(out);
    }
    result.push(dirs);
    input =
      outs.length === 1 ? outs[0]! : outs[0]!.map((row, t) => row.map((v, b) => [...v, ...outs[1]![t]![b]!]));
  }
  return result;
}
