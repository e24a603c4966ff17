// The one recurrent driver: a whole sequence of one layer in one direction, forward and BPTT,
// for any cell (cells.h). The cell is a policy that owns what differs (its gate loop, its saved
// state, an optional projection); the driver owns what every cell shares:
//
// - the time loop: batch slices run on the pool's threads independently (samples never interact),
//   each step the GEMMs of the slice's rows with the pre-packed W_ihᵀ and W_hhᵀ into a small
//   buffer that stays in L1, then the gate loop per active sample; per-sample lengths and the
//   reverse direction through timeAt / prevTime;
// - the input product x·W_ihᵀ instead as one GEMM of all steps before the loop when W_ih is too
//   large to stay in L2, a slice is too small for packed products, or samples have lengths
//   (inputProductPerStep); or, when many input rows repeat (an embedding's), once per distinct
//   row before the loop, each step reading its rows' products from that table;
// - the streaming fast path (T = 1, B ≤ kSmallM): each sample's products in one pass over the
//   weights (fused GEMV) on the calling thread, nothing packed, nothing allocated;
// - BPTT: the reverse time loop with the products of each step's gradients with W_hh (and with
//   W_ih for the step's dx, when the forward took its input product per step), then the weight
//   gradients as whole-sequence GEMMs and the bias gradients as column sums.
//
// Shapes: x (T, B, E), W_ih (G, E), W_hh (G, R), states (B, R), out (T, B, R); G gate rows, R the
// state width (H, or P for a projected LSTM).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "../gemm/gemm.h"
#include "../gemm/pack.h"
#include "distinct_rows.h"
#include "sequence.h"

namespace kioku {

// What every cell's sequence shares.
struct Seq {
  int64_t T, B, E, H, G, R;
  Lengths lens;
  bool reverse;
  const float* x;    // (T, B, E)
  const float* wIh;  // (G, E)
  const float* wHh;  // (G, R)
  const float* h0;   // (B, R)

  int64_t rows() const { return T * B; }
  int64_t timeOf(int64_t s, int64_t b) const { return timeAt(s, lens[b], reverse); }
  int64_t prevOf(int64_t t, int64_t b) const { return prevTime(t, lens[b], reverse); }
};

// Packed W_ihᵀ up to this size stays in L2 beside W_hhᵀ through the time loop.
constexpr int64_t kStepInputBytes = 256 << 10;

// Whether each step computes its slice's input product x_t·W_ihᵀ itself, into an L1 buffer the
// gate loop reads at once, rather than one GEMM of all steps writing (T·B, G) pre-activations to
// memory for the gate loop to read back. It needs slices that take the packed product (more than
// kSmallM rows), a packed W_ihᵀ that stays in L2, and samples that all run all T steps (so a
// step's rows of x are contiguous).
inline bool inputProductPerStep(const Seq& q, int64_t sliceRows) {
  return !q.lens.data && sliceRows > kSmallM && q.G * q.E * static_cast<int64_t>(sizeof(float)) <= kStepInputBytes;
}

// Zeroes out[t, b, :] for t ≥ len[b]: outputs past a sample's end are 0.
inline void zeroPastLengths(const Seq& q, float* out, int64_t K) {
  for (int64_t b = 0; b < q.B; b++)
    for (int64_t t = q.lens[b]; t < q.T; t++) std::memset(out + (t * q.B + b) * K, 0, K * sizeof(float));
}

// One step of a small batch, products of gate rows [r0, r1): rows below cell.fusedRows(), where the
// input and recurrent parts simply add, in one pass over W_ih and W_hh into hw (their input part
// is 0); the other rows (GRU's n) apart.
template <class Cell>
void streamProducts(const Seq& q, const Cell& cell, const float* hN, float* hw, int64_t r0, int64_t r1) {
  const int64_t F = cell.fusedRows(), G = q.G, E = q.E, R = q.R;
  for (int64_t b = 0; b < q.B; b++) {
    if (q.lens[b] == 0) continue;
    float* pre = cell.pre(b);
    float* hwb = hw + b * G;
    const float* xb = q.x + b * E;
    const float* hb = hN + b * R;
    const int64_t f1 = std::min(r1, F), n0 = std::max(r0, F);
    if (r0 < f1) {
      sgemv(f1 - r0, q.wIh + r0 * E, E, xb, E, q.wHh + r0 * R, R, hb, R, hwb + r0, false);
      std::memset(pre + r0, 0, (f1 - r0) * sizeof(float));
    }
    if (n0 < r1) {
      sgemv(r1 - n0, q.wIh + n0 * E, E, xb, E, nullptr, 0, nullptr, 0, pre + n0, false);
      sgemv(r1 - n0, q.wHh + n0 * R, R, hb, R, nullptr, 0, nullptr, 0, hwb + n0, false);
    }
  }
}

// Weights from this size on stream from two cores' caches at once in a streaming step: a second
// core halves the time the products spend reading them, which outweighs the hand-off.
constexpr int64_t kStreamSplitBytes = 96 << 10;

// One step of a small batch on the calling thread, nothing packed or allocated; with large
// weights the products split in two row ranges, one for a worker if one is spinning from a recent
// job (poolRunSpinning never waits for a thread to wake). Then each sample's gate loop.
template <class Cell>
void streamStep(const Seq& q, Cell& cell, float* hN, float* hw) {
  const int64_t G = q.G;
  if (poolSize() > 1 && G * (q.E + q.R) * static_cast<int64_t>(sizeof(float)) >= kStreamSplitBytes) {
    // The split lies on a whole block of rows of every instruction set's matrix-vector product.
    const int64_t half = (G / 2 + 15) / 16 * 16;
    struct Half {
      const Seq& q;
      const Cell& cell;
      const float* hN;
      float* hw;
      int64_t half;
    } h{q, cell, hN, hw, half};
    poolRunSpinning(2, [&h](int t) {
      streamProducts(h.q, h.cell, h.hN, h.hw, t ? h.half : 0, t ? h.q.G : h.half);
    });
  } else {
    streamProducts(q, cell, hN, hw, 0, G);
  }
  for (int64_t b = 0; b < q.B; b++) {
    if (q.lens[b] == 0) continue;
    cell.step(b, b, cell.pre(b), hw + b * G);
    cell.afterStreamStep(b);
  }
}

// Sequences of at least this many rows, with at least this many input features, look for repeated
// input rows; sharing their products pays when at most kDistinctShare of the rows are distinct.
constexpr int64_t kDistinctMinRows = 64, kDistinctMinInput = 16;
constexpr double kDistinctShare = 0.75;

// The input products of x's distinct rows (distinct_rows.h) as a (count, G) table, row r's product
// at table + of[r]·G; null when the sequence is too small or too few of its rows repeat. The
// products run on the micro-kernel with W_ihᵀ packed as for the per-step products, over the pool,
// in blocks of rows gathered into a buffer that stays in L1. The table is the calling thread's,
// kept for its next call.
inline const float* distinctInputProducts(const Seq& q, const int32_t** of) {
  thread_local DistinctRows d;
  thread_local std::vector<float> table;
  const int64_t n = q.rows(), E = q.E, G = q.G;
  if (n < kDistinctMinRows || E < kDistinctMinInput) return nullptr;
  if (!findDistinctRows(q.x, n, E, static_cast<int64_t>(kDistinctShare * n), d)) return nullptr;
  PackedB own;
  const PackedB& wih = packOnce(true, E, G, q.wIh, E, kSmallM + 1, own);  // W_ihᵀ (E × G)
  table.resize(static_cast<size_t>(d.count * G));
  *of = d.of.data();
  // A frozen layer's distinct rows: most are tokens it has seen, their products read back.
  if (RowProducts* known = frozenRowProducts(&wih); known && known->on()) {
    known->multiplyRows(d.count, q.x, E, d.first.data(), d.hash.data(), wih, table.data(), G);
    return table.data();
  }
  // The tasks get plain pointers: a thread_local named inside them would be the worker's own.
  const int64_t count = d.count, block = std::max<int64_t>(8, (8192 / E) / 8 * 8);
  const int32_t* first = d.first.data();
  float* products = table.data();
  const int tasks = static_cast<int>((count + block - 1) / block);
  const auto blockOfRows = [&](int task) {
    const int64_t r0 = task * block, r1 = std::min(count, r0 + block);
    Workspace rows((r1 - r0) * E);
    for (int64_t r = r0; r < r1; r++)
      std::memcpy(rows.data() + (r - r0) * E, q.x + int64_t{first[r]} * E, E * sizeof(float));
    sgemmPacked(r1 - r0, rows.data(), E, wih, products + r0 * G, G, false);
  };
  // Worth the hand-off from about 4 MFLOP (as sgemmParallel).
  if (2.0 * count * G * E < 4e6 || poolSize() == 1)
    for (int t = 0; t < tasks; t++) blockOfRows(t);
  else
    poolRun(tasks, blockOfRows);
  return products;
}

// Fetches the table rows step s of samples [b0, b1) will read: the table outgrows L2, and its rows
// come in a token's order, which no prefetcher foresees; they arrive while the recurrent product runs.
inline void prefetchRows(const Seq& q, int64_t s, int64_t b0, int64_t b1, const float* table, const int32_t* of) {
  for (int64_t b = b0; b < b1; b++) {
    const int64_t t = q.timeOf(s, b);
    if (t < 0) continue;
    const float* row = table + of[t * q.B + b] * q.G;
    for (int64_t j = 0; j < q.G; j += 16) __builtin_prefetch(row + j);
  }
}

// x·W_ihᵀ of every step into pre (ld apart), one GEMM. A frozen layer's packed W_ihᵀ serves it
// where the GEMM would run on one thread (sgemmParallel's rule: one thread, or under 4 MFLOP), so
// each element is the sum sgemm forms, and its rows' products remembered from earlier calls are read
// back; else sgemmParallel packs W_ihᵀ itself.
inline void allInputProducts(const Seq& q, float* pre, int64_t ld) {
  const int64_t m = q.rows(), G = q.G, E = q.E;
  const bool oneThread = poolSize() == 1 || 2.0 * m * G * E < 4e6;
  const PackedB* frozen = oneThread ? frozenPack(true, E, G, q.wIh, E, m) : nullptr;
  RowProducts* known = frozen && E >= kDistinctMinInput ? frozenRowProducts(frozen) : nullptr;
  if (frozen)
    known ? known->multiply(m, q.x, E, *frozen, pre, ld) : sgemmPacked(m, q.x, E, *frozen, pre, ld, false);
  else
    sgemmParallel(false, true, m, G, E, q.x, E, q.wIh, E, pre, ld, false);
}

// Whether the samples [b0, b1) come longest first (a batch sorted by length, as a server sorts its
// texts): then those finished at a step are a tail of the slice, whose recurrent products the step
// skips. A packed product forms each row's sum alone, whatever rows run with it (pack.h,
// RowProducts), so nothing else changes.
inline bool lengthsNeverGrow(const Seq& q, int64_t b0, int64_t b1) {
  if (!q.lens.data) return false;
  for (int64_t b = b0 + 1; b < b1; b++)
    if (q.lens[b] > q.lens[b - 1]) return false;
  return true;
}

// The time loop over batch slices. Each step's input products come from the table of distinct
// rows' products, else from a product per step into an L1 buffer (inputProductPerStep), else from
// one GEMM of all steps written to the cell's pre-activations before the loop.
template <class Cell>
void sequenceLoop(const Seq& q, Cell& cell, float* hN, float* hw) {
  const int64_t B = q.B, G = q.G, R = q.R, E = q.E;
  const Slices sl = sliceBatch(B);
  const int64_t rows = std::min(B, sl.chunk);
  const int32_t* of = nullptr;
  const float* table = distinctInputProducts(q, &of);
  const bool perStep = !table && inputProductPerStep(q, rows);
  PackedB wihOwn, whhOwn;
  // W_ihᵀ (E × G) and W_hhᵀ (R × G): a frozen layer's packs (pack.h), else packed for this call.
  const PackedB& wih = perStep ? packOnce(true, E, G, q.wIh, E, rows, wihOwn) : wihOwn;
  if (!perStep && !table) allInputProducts(q, cell.pre(0), cell.preLd());
  const PackedB& whh = packOnce(true, R, G, q.wHh, R, rows, whhOwn);
  cell.prepareSlices(rows);
  runTasks(sl.count, [&](int task) {
    const int64_t b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk), m = b1 - b0;
    Workspace xw(perStep ? m * G : 0);  // the step's input products (m, G)
    const bool longestFirst = whh.packed && lengthsNeverGrow(q, b0, b1);
    int64_t running = m;
    for (int64_t s = 0; s < q.T; s++) {
      while (longestFirst && running > 0 && q.lens[b0 + running - 1] <= s) running--;
      if (table && s + 1 < q.T) prefetchRows(q, s + 1, b0, b1, table, of);
      if (perStep) sgemmPacked(m, q.x + (q.timeOf(s, b0) * B + b0) * E, E, wih, xw.data(), G, false);
      sgemmPacked(running, hN + b0 * R, R, whh, hw + b0 * G, G, false);
      for (int64_t b = b0; b < b1; b++) {
        const int64_t t = q.timeOf(s, b);
        if (t < 0) continue;
        const int64_t tb = t * B + b;
        const float* x = table ? table + of[tb] * G : perStep ? xw.data() + (b - b0) * G : cell.pre(tb);
        cell.step(b, tb, x, hw + b * G);
      }
      cell.afterStep(b0, b1, s);
    }
  });
}

// Forward: out (T, B, R) and hN (B, R); the cell saves what its backward needs.
template <class Cell>
void recurrentForward(const Seq& q, Cell& cell, float* out, float* hN) {
  std::memcpy(hN, q.h0, q.B * q.R * sizeof(float));
  // One workspace for the cell's scratch and the step's recurrent products (B, G).
  Workspace ws(cell.scratchSize() + q.B * q.G);
  cell.begin(ws.data());
  float* hw = ws.data() + cell.scratchSize();
  if (q.rows() > 0) {
    if (q.T == 1 && q.B <= kSmallM)
      streamStep(q, cell, hN, hw);
    else
      sequenceLoop(q, cell, hN, hw);
  }
  if (q.lens.data) zeroPastLengths(q, out, q.R);
}

// The gradients BPTT adds into (null: not needed).
struct SeqGrads {
  const float* out;  // the forward's output (T, B, R): the states the steps started from
  const float* dhN;  // (B, R) or null
  float* dx;         // (T, B, E)
  float* dh0;        // (B, R)
  float* dWih;       // (G, E)
  float* dWhh;       // (G, R)
  float* dbIh;       // (G)
  float* dbHh;       // (G)
  // x's rows as rows of an embedding (V, E): row r is row tokens[r] (null: not known). dEmbedding
  // (V, E) then takes each row's input gradient in place of dx, except rows of the token `padding`.
  const int32_t* tokens;
  int64_t V;
  int64_t padding;  // −1: none
  float* dEmbedding;
};

// The reverse time loop: each active sample's gate gradients into dGx (and, for a cell that splits
// them, the recurrent-side ones into dGh), then dh += the step's recurrent-side gradients · W_hh
// and, with dx (only without lengths), the step's rows of dx += its input-side gradients · W_ih.
template <class Cell>
void backwardLoop(const Seq& q, Cell& cell, float* dh, float* dGx, float* dGh, float* dx) {
  const int64_t B = q.B, G = q.G, R = q.R, E = q.E;
  const Slices sl = sliceBatch(B);
  const int64_t rows = std::min(B, sl.chunk);
  PackedB whh, wih;  // W_hh (G × R), W_ih (G × E)
  packB(false, G, R, q.wHh, R, rows, whh);
  if (dx) packB(false, G, E, q.wIh, E, rows, wih);
  cell.prepareSlices(rows);
  // Without lengths a slice's samples share each step's time, so their gradient rows are
  // contiguous in dGx and dGh and the products read them there; otherwise each step's rows are
  // gathered in dgStep (zero for samples that have finished).
  const bool uniform = !q.lens.data;
  std::unique_ptr<float[]> dgStep(uniform ? nullptr : new float[B * G]);
  runTasks(sl.count, [&](int task) {
    const int64_t b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk), m = b1 - b0;
    for (int64_t s = q.T - 1; s >= 0; s--) {
      cell.beforeBackStep(b0, b1, s, dh);
      for (int64_t b = b0; b < b1; b++) {
        const int64_t t = q.timeOf(s, b), tb = t * B + b;
        float* dgb = uniform ? dGh + tb * G : dgStep.get() + b * G;
        if (t < 0) {
          std::memset(dgb, 0, G * sizeof(float));
          continue;
        }
        cell.backStep(b, tb, q.prevOf(t, b), dh + b * R, dGx + tb * G, dgb);
        if (!uniform) std::memcpy(dGh + tb * G, dgb, G * sizeof(float));
      }
      const int64_t row0 = uniform ? q.timeOf(s, b0) * B + b0 : 0;
      sgemmPacked(m, uniform ? dGh + row0 * G : dgStep.get() + b0 * G, G, whh, dh + b0 * R, R, true);
      if (dx) sgemmPacked(m, dGx + row0 * G, G, wih, dx + row0 * E, E, true);
    }
  });
}

// dW_hh += Σ over steps of the recurrent-side gradients ᵀ · the state each step started from. Without
// lengths those states are h0 and the output shifted by one step, read in place as two products;
// with lengths they are gathered first (previousStates).
inline void recurrentWeightGradient(const Seq& q, const float* dGh, const float* out, float* dWhh) {
  const int64_t B = q.B, G = q.G, R = q.R, rows = q.rows();
  if (q.lens.data) {
    std::unique_ptr<float[]> prev = previousStates(q.T, B, R, q.h0, out, q.lens, q.reverse);
    sgemmParallel(true, false, G, R, rows, dGh, G, prev.get(), R, dWhh, R, true);
    return;
  }
  // Rows of the first step (time 0 forward, T − 1 reverse) start from h0; the others from the
  // output one step back in the direction of travel.
  const int64_t first = q.reverse ? rows - B : 0;
  sgemmParallel(true, false, G, R, B, dGh + first * G, G, q.h0, R, dWhh, R, true);
  const float* dRest = dGh + (q.reverse ? 0 : B) * G;
  const float* prevRest = out + (q.reverse ? B : 0) * R;
  sgemmParallel(true, false, G, R, rows - B, dRest, G, prevRest, R, dWhh, R, true);
}

// x's rows grouped by token: row r belongs to group of[r], whose first row is first[c]. Rows of one
// token are equal, so the grouping is the distinct rows' without a search. `slot` maps a token to
// its group while grouping; it is left all −1 again for the next call.
inline void groupTokens(const int32_t* tokens, int64_t rows, int64_t V, DistinctRows& d) {
  thread_local std::vector<int32_t> slot;
  if (static_cast<int64_t>(slot.size()) < V) slot.assign(static_cast<size_t>(V), -1);
  d.of.resize(static_cast<size_t>(rows));
  d.first.clear();
  for (int64_t r = 0; r < rows; r++) {
    int32_t& c = slot[tokens[r]];
    if (c < 0) {
      c = static_cast<int32_t>(d.first.size());
      d.first.push_back(static_cast<int32_t>(r));
    }
    d.of[r] = c;
  }
  d.count = static_cast<int64_t>(d.first.size());
  for (const int32_t r : d.first) slot[tokens[r]] = -1;
}

// The rows of x grouped as equal rows: by token when the tokens are known, else by the distinct-row
// search where many rows repeat (an embedding's without its tokens). False: no grouping pays.
inline bool groupRows(const Seq& q, const SeqGrads& g, DistinctRows& d) {
  const int64_t rows = q.rows();
  if (g.tokens) {
    groupTokens(g.tokens, rows, g.V, d);
    return true;
  }
  return rows >= kDistinctMinRows && q.E >= kDistinctMinInput &&
         findDistinctRows(q.x, rows, q.E, static_cast<int64_t>(kDistinctShare * rows), d);
}

// Each group's gradient rows summed, (count, G): the sum starts as its first row's gradient (no zero
// fill to write first) and takes the later ones in row order, so it is deterministic; the threads
// split the columns, so each sum is one thread's.
inline std::unique_ptr<float[]> groupSums(const DistinctRows& d, int64_t rows, int64_t G, const float* dGx) {
  std::unique_ptr<float[]> sums(new float[d.count * G]);
  const int32_t* first = d.first.data();
  const int32_t* of = d.of.data();
  splitRange(G, rows, [&](int64_t j0, int64_t j1) {
    for (int64_t r = 0; r < rows; r++) {
      float* sum = sums.get() + int64_t{of[r]} * G;
      const float* row = dGx + r * G;
      if (first[of[r]] == r)
        std::memcpy(sum + j0, row + j0, (j1 - j0) * sizeof(float));
      else
        for (int64_t j = j0; j < j1; j++) sum[j] += row[j];
    }
  });
  return sums;
}

// dW_ih += dGxᵀ · x over the groups' rows, dW_ih += Sᵀ · X_d: at the seed's shape k drops from 6400
// rows to about 3600. It differs from the per-row product by float32 rounding (another order of the
// same sums).
inline void groupedInputWeightGradient(const Seq& q, const DistinctRows& d, const float* sums, float* dWih) {
  const int64_t count = d.count, E = q.E;
  std::unique_ptr<float[]> distinct(new float[count * E]);
  const int32_t* first = d.first.data();
  splitRange(count, E, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++)
      std::memcpy(distinct.get() + c * E, q.x + int64_t{first[c]} * E, E * sizeof(float));
  });
  sgemmParallel(true, false, q.G, E, count, sums, q.G, distinct.get(), E, dWih, E, true);
}

// dEmbedding[v] += S_v · W_ih for each token v but the padding's: the input gradient of all v's rows
// at once, one product over the distinct tokens instead of dx over every row. Tokens are distinct, so
// the threads add into distinct rows of dEmbedding.
inline void embeddingGradient(const Seq& q, const SeqGrads& g, const DistinctRows& d, const float* sums) {
  const int64_t count = d.count, E = q.E;
  std::unique_ptr<float[]> dRows(new float[count * E]);
  sgemmParallel(false, false, count, E, q.G, sums, q.G, q.wIh, E, dRows.get(), E, false);
  const int32_t* first = d.first.data();
  splitRange(count, E, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      const int64_t v = g.tokens[first[c]];
      if (v != g.padding) addInto(E, dRows.get() + c * E, g.dEmbedding + v * E);
    }
  });
}

// dW_ih and dEmbedding from the input-side gate gradients, over groups of equal rows where there are
// any: each group's gradients summed once serve both. dW_ih += dGxᵀ · x over all rows otherwise.
inline void inputGradients(const Seq& q, const SeqGrads& g, const float* dGx) {
  thread_local DistinctRows d;
  if (!g.dWih && !g.dEmbedding) return;
  if (!groupRows(q, g, d)) {  // never so with dEmbedding, which comes with tokens
    if (g.dWih) sgemmParallel(true, false, q.G, q.E, q.rows(), dGx, q.G, q.x, q.E, g.dWih, q.E, true);
    return;
  }
  std::unique_ptr<float[]> sums = groupSums(d, q.rows(), q.G, dGx);
  if (g.dWih) groupedInputWeightGradient(q, d, sums.get(), g.dWih);
  if (g.dEmbedding) embeddingGradient(q, g, d, sums.get());
}

// BPTT for recurrentForward: adds into every non-null gradient of g and the cell's own.
template <class Cell>
void recurrentBackward(const Seq& q, Cell& cell, const SeqGrads& g) {
  const int64_t rows = q.rows(), G = q.G, R = q.R;
  const int64_t n = std::max<int64_t>(rows * G, 1);
  std::unique_ptr<float[]> dGx(new float[n]);
  std::unique_ptr<float[]> dGhOwn(Cell::kSplitsGradients ? new float[n] : nullptr);
  float* dGh = Cell::kSplitsGradients ? dGhOwn.get() : dGx.get();
  std::vector<float> dh(q.B * R, 0.f);
  if (g.dhN) std::memcpy(dh.data(), g.dhN, q.B * R * sizeof(float));
  cell.beginBackward();
  // Steps past a sample's length have no gradient.
  for (int64_t b = 0; b < q.B; b++)
    for (int64_t t = q.lens[b]; t < q.T; t++) {
      std::memset(dGx.get() + (t * q.B + b) * G, 0, G * sizeof(float));
      std::memset(dGh + (t * q.B + b) * G, 0, G * sizeof(float));
    }
  // dx step by step where the forward took its input product so (the same conditions hold).
  const bool dxPerStep = g.dx && inputProductPerStep(q, std::min(q.B, sliceBatch(q.B).chunk));
  if (rows > 0) backwardLoop(q, cell, dh.data(), dGx.get(), dGh, dxPerStep ? g.dx : nullptr);
  addInto(q.B * R, dh.data(), g.dh0);
  cell.endBackward();
  if (rows == 0) return;
  if (g.dx && !dxPerStep) sgemmParallel(false, false, rows, q.E, G, dGx.get(), G, q.wIh, q.E, g.dx, q.E, true);
  inputGradients(q, g, dGx.get());
  if (g.dWhh) recurrentWeightGradient(q, dGh, g.out, g.dWhh);
  if (dGh == dGx.get()) {
    columnSumsInto(rows, G, dGx.get(), G, g.dbIh, g.dbHh);
  } else {
    columnSumsInto(rows, G, dGx.get(), G, g.dbIh, nullptr);
    columnSumsInto(rows, G, dGh, G, g.dbHh, nullptr);
  }
  cell.weightGradients();
}

}  // namespace kioku
