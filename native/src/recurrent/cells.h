// The cell policies of the recurrent driver (driver.h): what differs between LSTM, GRU and the
// Elman RNN. Each names its gates (gates.h), says where the input projection goes, runs its gate
// loop (simd_kernels.cc) for one sample and step, and saves what its backward reads.
//
//   LSTM  i, f, g, o = σ, σ, tanh, σ of x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh
//         c' = f ⊙ c + i ⊙ g,  m = o ⊙ tanh(c'),  h' = m, or m·W_hrᵀ with a projection (P > 0)
//   GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z likewise,
//         n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
//   RNN   h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh),  act tanh or relu
//
// Biases join inside the gate loop (b_hn inside the reset product), not as a pass over the whole
// (T·B, G) projection. Policy members the driver calls: scratchSize, begin, fusedRows, pre, preLd,
// prepareSlices, step, afterStep, afterStreamStep (forward); kSplitsGradients, beginBackward,
// prepareSlices, beforeBackStep, backStep, endBackward, weightGradients (backward). step reads the
// input part of a row's pre-activations from xw: pre(tb) after the whole-sequence input GEMM, or the
// driver's per-step buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "../generated/contract.h"
#include "../generated/recurrent_kinds.h"
#include "../gemm/gemm.h"
#include "../saved_scratch.h"
#include "../simd.h"
#include "driver.h"

namespace kioku {

// b_ih + b_hh over the first nHh entries of b_hh (GRU keeps b_hn for the reset product); zeros
// where a bias is absent.
inline void combineBias(int64_t G, const float* bIh, const float* bHh, int64_t nHh, float* out) {
  for (int64_t j = 0; j < G; j++) out[j] = (bIh ? bIh[j] : 0.f) + (bHh && j < nHh ? bHh[j] : 0.f);
}

// Forward policies that have no projection.
struct NoProjection {
  void prepareSlices(int64_t) {}
  void afterStep(int64_t, int64_t, int64_t) {}
  void afterStreamStep(int64_t) {}
};

// Backward policies whose gradients need nothing before the gate loop or after the products.
struct PlainBackward {
  void prepareSlices(int64_t) {}
  void beforeBackStep(int64_t, int64_t, int64_t, float*) {}
  void beginBackward() {}
  void endBackward() {}
  void weightGradients() {}
};

class LstmForwardCell {
 public:
  LstmForwardCell(const Seq& q, const LstmForwardArgs& a)
      : q_(q), a_(a), k_(simd()), H_(a.H), P_(a.P), discard_(savedStateDiscarded()) {}
  int64_t scratchSize() const { return q_.G + (P_ > 0 ? q_.B * (H_ + P_) : 0) + (discard_ ? q_.B * q_.G : 0); }
  void begin(float* scratch);
  int64_t fusedRows() const { return q_.G; }
  float* pre(int64_t tb) const { return a_.gates.data + tb * q_.G; }
  int64_t preLd() const { return q_.G; }
  void prepareSlices(int64_t rows);
  void step(int64_t b, int64_t tb, const float* xw, const float* hw);
  void afterStep(int64_t b0, int64_t b1, int64_t s);
  void afterStreamStep(int64_t b);

 private:
  const Seq& q_;
  const LstmForwardArgs& a_;
  const SimdKernels& k_;
  int64_t H_, P_;
  bool discard_;               // nothing reads the gates and cells: one row of each per sample
  float* bias_ = nullptr;      // (G)
  float* gatesRows_ = nullptr;  // (B, G): the step's gates when discard_
  float* m_ = nullptr;     // (B, H): o ⊙ tanh(c) before the projection (P > 0)
  float* hp_ = nullptr;    // (B, P): its projection
  PackedB whr_;            // W_hrᵀ: (H × P)
};

class LstmBackwardCell {
 public:
  static constexpr bool kSplitsGradients = false;
  LstmBackwardCell(const Seq& q, const LstmBackwardArgs& a) : q_(q), a_(a), k_(simd()), H_(a.H), P_(a.P) {}
  void beginBackward();
  void prepareSlices(int64_t rows);
  void beforeBackStep(int64_t b0, int64_t b1, int64_t s, float* dh);
  void backStep(int64_t b, int64_t tb, int64_t pt, float* dh, float* dgx, float* dg);
  void endBackward();
  void weightGradients();

 private:
  const Seq& q_;
  const LstmBackwardArgs& a_;
  const SimdKernels& k_;
  int64_t H_, P_;
  std::vector<float> dc_;     // (B, H): the running cell's gradient
  std::vector<float> dm_;     // (B, H): the gradient of m (P > 0)
  std::vector<float> dhAll_;  // (T, B, P): dh at every step, for dW_hr (P > 0)
  PackedB whr_;               // W_hr: (P × H)
};

class GruForwardCell : public NoProjection {
 public:
  GruForwardCell(const Seq& q, const GruForwardArgs& a) : q_(q), a_(a), k_(simd()), H_(a.H) {}
  int64_t scratchSize() const { return q_.G; }
  void begin(float* scratch) {
    bias_ = scratch;
    combineBias(q_.G, a_.bIh.data, a_.bHh.data, GruKind::n * H_, bias_);
  }
  // r and z add their input and recurrent parts; n gates the recurrent part by r.
  int64_t fusedRows() const { return GruKind::n * H_; }
  float* pre(int64_t tb) const { return a_.gates.data + tb * preLd(); }
  int64_t preLd() const { return GruKind::kSavedBlocks * H_; }
  void step(int64_t b, int64_t tb, const float* xw, const float* hw) {
    const float* bHn = a_.bHh.data ? a_.bHh.data + GruKind::n * H_ : nullptr;
    k_.gruForward(H_, {xw, pre(tb), hw, bias_, bHn, a_.hN.data + b * H_, a_.out.data + tb * H_});
  }

 private:
  const Seq& q_;
  const GruForwardArgs& a_;
  const SimdKernels& k_;
  int64_t H_;
  float* bias_ = nullptr;
};

class GruBackwardCell : public PlainBackward {
 public:
  // The input-side and recurrent-side gradients differ in the n block (r ⊙ dn).
  static constexpr bool kSplitsGradients = true;
  GruBackwardCell(const Seq& q, const GruBackwardArgs& a) : q_(q), a_(a), k_(simd()), H_(a.H) {}
  void backStep(int64_t b, int64_t tb, int64_t pt, float* dh, float* dgx, float* dg) {
    const float* hPrev = pt < 0 ? q_.h0 + b * H_ : a_.out.data + (pt * q_.B + b) * H_;
    const float* dOut = a_.dOut.data ? a_.dOut.data + tb * H_ : nullptr;
    k_.gruBackward(H_, {a_.gates.data + tb * GruKind::kSavedBlocks * H_, hPrev, dOut, dh, dgx, dg});
  }

 private:
  const Seq& q_;
  const GruBackwardArgs& a_;
  const SimdKernels& k_;
  int64_t H_;
};

class RnnForwardCell : public NoProjection {
 public:
  RnnForwardCell(const Seq& q, const RnnForwardArgs& a) : a_(a), k_(simd()), H_(q.H) {}
  int64_t scratchSize() const { return H_; }
  void begin(float* scratch) {
    bias_ = scratch;
    combineBias(H_, a_.bIh.data, a_.bHh.data, H_, bias_);
  }
  int64_t fusedRows() const { return H_; }
  // The input projection goes straight into out, which the gate loop activates in place.
  float* pre(int64_t tb) const { return a_.out.data + tb * H_; }
  int64_t preLd() const { return H_; }
  void step(int64_t b, int64_t tb, const float* xw, const float* hw) {
    k_.rnnForward(H_, a_.relu, {xw, hw, bias_, pre(tb), a_.hN.data + b * H_});
  }

 private:
  const RnnForwardArgs& a_;
  const SimdKernels& k_;
  int64_t H_;
  float* bias_ = nullptr;
};

class RnnBackwardCell : public PlainBackward {
 public:
  static constexpr bool kSplitsGradients = false;
  RnnBackwardCell(const Seq& q, const RnnBackwardArgs& a) : a_(a), k_(simd()), H_(q.H) {}
  // The output is what backward reads: act′ is a function of act's value.
  void backStep(int64_t, int64_t tb, int64_t, float* dh, float*, float* dg) {
    const float* dOut = a_.dOut.data ? a_.dOut.data + tb * H_ : nullptr;
    k_.rnnBackward(H_, a_.relu, {a_.out.data + tb * H_, dOut, dh, dg});
  }

 private:
  const RnnBackwardArgs& a_;
  const SimdKernels& k_;
  int64_t H_;
};

}  // namespace kioku
