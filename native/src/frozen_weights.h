// A frozen recurrent layer's weights, one layer and direction: a copy of W_ih, W_hh, the biases
// and W_hr that nothing writes, with W_ihᵀ and W_hhᵀ packed once for the micro-kernel (by the first
// call whose products use them) and the input rows' products with W_ihᵀ remembered (gemm/pack.h
// RowProducts). The handle is the JS thread's: only its calls touch the packs. A forward
// given it (addon.cc's frozen entry points) reads every weight from the copy, never from the
// caller's arrays, and puts the packs in scope (gemm/pack.h) for its products: the packs and the
// weights a frozen forward uses are one snapshot, so a pack can never disagree with the weights
// it stands for. The layer that froze it (src/nn/rnn.ts) drops it when its weights are written.
#pragma once

#include <string>
#include <vector>

#include "gemm/gemm.h"
#include "gemm/pack.h"
#include "generated/contract.h"

namespace kioku {

class FrozenWeights {
 public:
  // W_ih (G, E), W_hh (G, R), b_ih and b_hh (G) or null, W_hr (P, H) when P > 0.
  FrozenWeights(int64_t G, int64_t E, int64_t R, int64_t H, int64_t P, const InF32& wIh, const InF32& wHh,
                const InF32& bIh, const InF32& bHh, const InF32& wHr)
      : G_(G), E_(E), R_(R), H_(H), P_(P), wIh_(copy(wIh, G * E)), wHh_(copy(wHh, G * R)), bIh_(copy(bIh, G)),
        bHh_(copy(bHh, G)), wHr_(copy(wHr, P * H)) {}

  FrozenWeights(const FrozenWeights&) = delete;
  FrozenWeights& operator=(const FrozenWeights&) = delete;

  const FrozenPack* packs() const { return packs_; }
  // What the copy and its packs hold, for the JS engine's accounting of external memory.
  int64_t bytes() const {
    return static_cast<int64_t>(sizeof(float)) *
           (2 * (wIh_.size() + wHh_.size()) + bIh_.size() + bHh_.size() + wHr_.size());
  }
  static constexpr int kPacks = 2;

  void use(LstmForwardArgs& a) const { use(a.kName, 4 * a.H, a.E, a.P > 0 ? a.P : a.H, a.H, a.P, a, &a.wHr); }
  void use(GruForwardArgs& a) const { use(a.kName, 3 * a.H, a.E, a.H, a.H, 0, a, nullptr); }
  void use(RnnForwardArgs& a) const { use(a.kName, a.H, a.E, a.H, a.H, 0, a, nullptr); }

 private:
  static std::vector<float> copy(const InF32& v, int64_t n) {
    return v.data ? std::vector<float>(v.data, v.data + n) : std::vector<float>();
  }
  static void point(InF32& v, const std::vector<float>& own) {
    v.data = own.empty() ? nullptr : own.data();
    v.length = static_cast<int64_t>(own.size());
  }

  // Points the call's weights at the copy, once its shapes are the frozen layer's.
  template <class Args>
  void use(const char* fn, int64_t G, int64_t E, int64_t R, int64_t H, int64_t P, Args& a, InF32* wHr) const {
    const bool sameBias = (a.bIh.data != nullptr) == !bIh_.empty() && (a.bHh.data != nullptr) == !bHh_.empty();
    if (G != G_ || E != E_ || R != R_ || H != H_ || P != P_ || !sameBias)
      throwRange(std::string(fn) + ": the frozen weights are another layer's (G " + std::to_string(G_) + ", E " +
                 std::to_string(E_) + ", R " + std::to_string(R_) + ", P " + std::to_string(P_) + ")");
    point(a.wIh, wIh_);
    point(a.wHh, wHh_);
    point(a.bIh, bIh_);
    point(a.bHh, bHh_);
    if (wHr) point(*wHr, wHr_);
  }

  int64_t G_, E_, R_, H_, P_;
  std::vector<float> wIh_, wHh_, bIh_, bHh_, wHr_;
  // W_ihᵀ (E × G) and W_hhᵀ (R × G) as the driver packs them, made by the first call that uses them;
  // the input rows' products with W_ihᵀ seen so far (an embedding's rows repeat; a state's never do).
  PackedB ih_, hh_;
  RowProducts ihRows_;
  const FrozenPack packs_[kPacks] = {{true, E_, G_, wIh_.data(), E_, &ih_, &ihRows_},
                                     {true, R_, G_, wHh_.data(), R_, &hh_, nullptr}};
};

}  // namespace kioku
