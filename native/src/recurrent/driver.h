// The one recurrent driver: a whole sequence of one layer in one direction, forward and BPTT,
// for any cell (cells.h). The cell is a policy that owns what differs (its gate loop, its saved
// state, an optional projection); the driver owns what every cell shares:
//
// - the input projection x·W_ihᵀ of all steps as one GEMM before the time loop;
// - the time loop: batch slices run on the pool's threads independently (samples never interact),
//   each step one GEMM of the slice's states with the pre-packed W_hh, then the gate loop per
//   active sample; per-sample lengths and the reverse direction through timeAt / prevTime;
// - the streaming fast path (T = 1, B ≤ kSmallM): each sample's products in one pass over the
//   weights (fused GEMV) on the calling thread, nothing packed, nothing allocated;
// - BPTT: the reverse time loop with the recurrent product of each step's gradients, then the
//   weight, input and bias gradients as whole-sequence GEMMs and column sums.
//
// Shapes: x (T, B, E), W_ih (G, E), W_hh (G, R), states (B, R), out (T, B, R); G gate rows, R the
// state width (H, or P for a projected LSTM).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "../gemm/gemm.h"
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

// Zeroes out[t, b, :] for t ≥ len[b]: outputs past a sample's end are 0.
inline void zeroPastLengths(const Seq& q, float* out, int64_t K) {
  for (int64_t b = 0; b < q.B; b++)
    for (int64_t t = q.lens[b]; t < q.T; t++) std::memset(out + (t * q.B + b) * K, 0, K * sizeof(float));
}

// One step of a small batch: the products of the first cell.fusedRows() gate rows, where the input
// and recurrent parts simply add, in one pass over W_ih and W_hh into hw (their input part is 0);
// the other rows (GRU's n) apart.
template <class Cell>
void streamStep(const Seq& q, Cell& cell, float* hN, float* hw) {
  const int64_t F = cell.fusedRows(), G = q.G, E = q.E, R = q.R;
  for (int64_t b = 0; b < q.B; b++) {
    if (q.lens[b] == 0) continue;
    float* pre = cell.pre(b);
    float* hwb = hw + b * G;
    const float* xb = q.x + b * E;
    const float* hb = hN + b * R;
    sgemv(F, q.wIh, E, xb, E, q.wHh, R, hb, R, hwb, false);
    std::memset(pre, 0, F * sizeof(float));
    if (F < G) {
      sgemv(G - F, q.wIh + F * E, E, xb, E, nullptr, 0, nullptr, 0, pre + F, false);
      sgemv(G - F, q.wHh + F * R, R, hb, R, nullptr, 0, nullptr, 0, hwb + F, false);
    }
    cell.step(b, b, hwb);
    cell.afterStreamStep(b);
  }
}

// The time loop over batch slices.
template <class Cell>
void sequenceLoop(const Seq& q, Cell& cell, float* hN, float* hw) {
  const int64_t B = q.B, G = q.G, R = q.R;
  sgemmParallel(false, true, q.rows(), G, q.E, q.x, q.E, q.wIh, q.E, cell.pre(0), cell.preLd(), false);
  const Slices sl = sliceBatch(B);
  PackedB whh;  // W_hhᵀ: (R × G)
  packB(true, R, G, q.wHh, R, std::min(B, sl.chunk), whh);
  cell.prepareSlices(std::min(B, sl.chunk));
  runTasks(sl.count, [&](int task) {
    const int64_t b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
    for (int64_t s = 0; s < q.T; s++) {
      sgemmPacked(b1 - b0, hN + b0 * R, R, whh, hw + b0 * G, G, false);
      for (int64_t b = b0; b < b1; b++) {
        const int64_t t = q.timeOf(s, b);
        if (t >= 0) cell.step(b, t * B + b, hw + b * G);
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
};

// The reverse time loop: each active sample's gate gradients into dGx (and, for a cell that splits
// them, the recurrent-side ones into dGh), then dh += the step's gradients · W_hh.
template <class Cell>
void backwardLoop(const Seq& q, Cell& cell, float* dh, float* dGx, float* dGh) {
  const int64_t B = q.B, G = q.G, R = q.R;
  const Slices sl = sliceBatch(B);
  PackedB whh;  // W_hh: (G × R)
  packB(false, G, R, q.wHh, R, std::min(B, sl.chunk), whh);
  cell.prepareSlices(std::min(B, sl.chunk));
  std::unique_ptr<float[]> dgStep(new float[B * G]);
  runTasks(sl.count, [&](int task) {
    const int64_t b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
    for (int64_t s = q.T - 1; s >= 0; s--) {
      cell.beforeBackStep(b0, b1, s, dh);
      for (int64_t b = b0; b < b1; b++) {
        float* dgb = dgStep.get() + b * G;
        const int64_t t = q.timeOf(s, b);
        if (t < 0) {
          std::memset(dgb, 0, G * sizeof(float));
          continue;
        }
        const int64_t tb = t * B + b;
        cell.backStep(b, tb, q.prevOf(t, b), dh + b * R, dGx + tb * G, dgb);
        std::memcpy(dGh + tb * G, dgb, G * sizeof(float));
      }
      sgemmPacked(b1 - b0, dgStep.get() + b0 * G, G, whh, dh + b0 * R, R, true);
    }
  });
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
  if (rows > 0) backwardLoop(q, cell, dh.data(), dGx.get(), dGh);
  addInto(q.B * R, dh.data(), g.dh0);
  cell.endBackward();
  if (rows == 0) return;
  if (g.dx) sgemmParallel(false, false, rows, q.E, G, dGx.get(), G, q.wIh, q.E, g.dx, q.E, true);
  if (g.dWih) sgemmParallel(true, false, G, q.E, rows, dGx.get(), G, q.x, q.E, g.dWih, q.E, true);
  if (g.dWhh) {
    std::unique_ptr<float[]> prev = previousStates(q.T, q.B, R, q.h0, g.out, q.lens, q.reverse);
    sgemmParallel(true, false, G, R, rows, dGh, G, prev.get(), R, g.dWhh, R, true);
  }
  if (dGh == dGx.get()) {
    columnSumsInto(rows, G, dGx.get(), G, g.dbIh, g.dbHh);
  } else {
    columnSumsInto(rows, G, dGx.get(), G, g.dbIh, nullptr);
    columnSumsInto(rows, G, dGh, G, g.dbHh, nullptr);
  }
  cell.weightGradients();
}

}  // namespace kioku
