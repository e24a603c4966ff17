// The six recurrent kernels of the contract: each builds its sequence view and cell policy and runs
// the one driver (driver.h). Also the LSTM policy's projection, the only cell part too long to sit
// in cells.h.
#include <cstring>
#include <string>

#include "cells.h"
#include "driver.h"

namespace kioku {

// ---- LSTM: the projection h = m·W_hrᵀ (P > 0) ----

void LstmForwardCell::begin(float* scratch) {
  bias_ = scratch;
  combineBias(q_.G, a_.bIh.data, a_.bHh.data, q_.G, bias_);
  m_ = scratch + q_.G;
  hp_ = m_ + q_.B * H_;
  gatesRows_ = scratch + q_.G + (P_ > 0 ? q_.B * (H_ + P_) : 0);
  std::memcpy(a_.cN.data, a_.c0.data, q_.B * H_ * sizeof(float));
}

void LstmForwardCell::prepareSlices(int64_t rows) {
  if (P_ > 0) packB(true, H_, P_, a_.wHr.data, H_, rows, whr_);
}

void LstmForwardCell::step(int64_t b, int64_t tb, const float* xw, const float* hw) {
  float* h1 = P_ > 0 ? m_ + b * H_ : a_.hN.data + b * H_;
  float* h2 = P_ > 0 ? a_.hidden.data + tb * H_ : a_.out.data + tb * H_;
  // Discarded gates go to the sample's row; a discarded cell is the running one (cN) stored twice.
  float* gates = discard_ ? gatesRows_ + b * q_.G : pre(tb);
  float* c = a_.cN.data + b * H_;
  k_.lstmForward(H_, {xw, gates, hw, bias_, c, discard_ ? c : a_.cells.data + tb * H_, h1, h2});
}

void LstmForwardCell::afterStep(int64_t b0, int64_t b1, int64_t s) {
  if (P_ == 0) return;
  sgemmPacked(b1 - b0, m_ + b0 * H_, H_, whr_, hp_ + b0 * P_, P_, false);
  for (int64_t b = b0; b < b1; b++) {
    const int64_t t = q_.timeOf(s, b);
    if (t < 0) continue;
    std::memcpy(a_.hN.data + b * P_, hp_ + b * P_, P_ * sizeof(float));
    std::memcpy(a_.out.data + (t * q_.B + b) * P_, hp_ + b * P_, P_ * sizeof(float));
  }
}

void LstmForwardCell::afterStreamStep(int64_t b) {
  if (P_ == 0) return;
  float* h = a_.hN.data + b * P_;
  sgemv(P_, a_.wHr.data, H_, m_ + b * H_, H_, nullptr, 0, nullptr, 0, h, false);
  std::memcpy(a_.out.data + b * P_, h, P_ * sizeof(float));
}

void LstmBackwardCell::beginBackward() {
  dc_.assign(q_.B * H_, 0.f);
  if (a_.dcN.data) std::memcpy(dc_.data(), a_.dcN.data, q_.B * H_ * sizeof(float));
  if (P_ == 0) return;
  dm_.assign(q_.B * H_, 0.f);
  dhAll_.assign(q_.rows() * P_, 0.f);
}

void LstmBackwardCell::prepareSlices(int64_t rows) {
  if (P_ > 0) packB(false, P_, H_, a_.wHr.data, H_, rows, whr_);
}

// With a projection, the output's gradient joins dh (P) before it flows back through W_hr to m.
void LstmBackwardCell::beforeBackStep(int64_t b0, int64_t b1, int64_t s, float* dh) {
  if (P_ == 0) return;
  for (int64_t b = b0; b < b1; b++) {
    const int64_t t = q_.timeOf(s, b);
    if (t < 0) continue;
    const int64_t tb = t * q_.B + b;
    float* dhb = dh + b * P_;
    if (a_.dOut.data)
      for (int64_t j = 0; j < P_; j++) dhb[j] += a_.dOut.data[tb * P_ + j];
    std::memcpy(dhAll_.data() + tb * P_, dhb, P_ * sizeof(float));
  }
  sgemmPacked(b1 - b0, dh + b0 * P_, P_, whr_, dm_.data() + b0 * H_, H_, false);
}

void LstmBackwardCell::backStep(int64_t b, int64_t tb, int64_t pt, float* dh, float*, float* dg) {
  const float* cPrev = pt < 0 ? a_.c0.data + b * H_ : a_.cells.data + (pt * q_.B + b) * H_;
  LstmStepBwd s{a_.gates.data + tb * q_.G, a_.cells.data + tb * H_, cPrev, dh, nullptr, dc_.data() + b * H_, dg};
  if (P_ > 0) {
    s.dh = dm_.data() + b * H_;
  } else if (a_.dOut.data) {
    s.dOut = a_.dOut.data + tb * H_;
  }
  k_.lstmBackward(H_, s);
  // The state's gradient now flows only through the recurrent product.
  if (P_ > 0) std::memset(dh, 0, P_ * sizeof(float));
}

void LstmBackwardCell::endBackward() { addInto(q_.B * H_, dc_.data(), a_.dc0.data); }

void LstmBackwardCell::weightGradients() {
  if (P_ > 0 && a_.dWhr.data)
    sgemmParallel(true, false, P_, H_, q_.rows(), dhAll_.data(), P_, a_.hidden.data, H_, a_.dWhr.data, H_, true);
}

// ---- the kernels ----

namespace {

// The state width R = P with a projection, else H.
Seq sequence(int64_t T, int64_t B, int64_t E, int64_t H, int64_t G, int64_t R, const InI32& lengths, bool reverse,
             const InF32& x, const InF32& wIh, const InF32& wHh, const InF32& h0) {
  return {T, B, E, H, G, R, Lengths{lengths.data, T}, reverse, x.data, wIh.data, wHh.data, h0.data};
}

void requireProjection(const char* fn, int64_t P, const InF32& wHr, bool hidden) {
  if (P > 0 && (!wHr.data || !hidden))
    throwRange(std::string(fn) + ": P is " + std::to_string(P) + ", so wHr and hidden must be given");
}

// The gradients a backward kernel's arguments ask for (every backward names them alike).
template <class Args>
SeqGrads gradientsOf(const Args& a) {
  if (a.dEmbedding.data && !a.tokens.data)
    throwRange(std::string(a.kName) + ": dEmbedding needs tokens (the embedding rows x is made of)");
  return {a.out.data,   a.dhN.data,  a.dx.data,   a.dh0.data,  a.dWih.data,
          a.dWhh.data,  a.dbIh.data, a.dbHh.data, a.tokens.data, a.V,
          static_cast<int64_t>(a.paddingIdx), a.dEmbedding.data};
}

}  // namespace

void lstmForward(const LstmForwardArgs& a) {
  requireProjection(a.kName, a.P, a.wHr, a.hidden.data != nullptr);
  const int64_t R = a.P > 0 ? a.P : a.H;
  const Seq q = sequence(a.T, a.B, a.E, a.H, LstmKind::kGates * a.H, R, a.lengths, a.reverse, a.x, a.wIh, a.wHh, a.h0);
  LstmForwardCell cell(q, a);
  recurrentForward(q, cell, a.out.data, a.hN.data);
}

void lstmBackward(const LstmBackwardArgs& a) {
  requireProjection(a.kName, a.P, a.wHr, a.hidden.data != nullptr || !a.dWhr.data);
  const int64_t R = a.P > 0 ? a.P : a.H;
  const Seq q = sequence(a.T, a.B, a.E, a.H, LstmKind::kGates * a.H, R, a.lengths, a.reverse, a.x, a.wIh, a.wHh, a.h0);
  LstmBackwardCell cell(q, a);
  recurrentBackward(q, cell, gradientsOf(a));
}

void gruForward(const GruForwardArgs& a) {
  const Seq q = sequence(a.T, a.B, a.E, a.H, GruKind::kGates * a.H, a.H, a.lengths, a.reverse, a.x, a.wIh, a.wHh, a.h0);
  GruForwardCell cell(q, a);
  recurrentForward(q, cell, a.out.data, a.hN.data);
}

void gruBackward(const GruBackwardArgs& a) {
  const Seq q = sequence(a.T, a.B, a.E, a.H, GruKind::kGates * a.H, a.H, a.lengths, a.reverse, a.x, a.wIh, a.wHh, a.h0);
  GruBackwardCell cell(q, a);
  recurrentBackward(q, cell, gradientsOf(a));
}

void rnnForward(const RnnForwardArgs& a) {
  const Seq q = sequence(a.T, a.B, a.E, a.H, a.H, a.H, a.lengths, a.reverse, a.x, a.wIh, a.wHh, a.h0);
  RnnForwardCell cell(q, a);
  recurrentForward(q, cell, a.out.data, a.hN.data);
}

void rnnBackward(const RnnBackwardArgs& a) {
  const Seq q = sequence(a.T, a.B, a.E, a.H, a.H, a.H, a.lengths, a.reverse, a.x, a.wIh, a.wHh, a.h0);
  RnnBackwardCell cell(q, a);
  recurrentBackward(q, cell, gradientsOf(a));
}

}  // namespace kioku
