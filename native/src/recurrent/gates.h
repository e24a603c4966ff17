// Named gate blocks inside a row of pre-activations, in PyTorch's packing order, so no kernel
// indexes a gate by bare offset arithmetic. The accessors are `static` because simd_kernels.cc
// includes this header once per instruction set: internal linkage keeps an AVX-512 copy from
// standing in for the others at link time.
#pragma once

#include <stdint.h>

#include "../generated/recurrent_kinds.h"

namespace kioku {

// LSTM: G = 4H rows packed input, forget, cell candidate, output (LstmKind, from the kinds table).
template <class T>
struct LstmGates {
  T* i;
  T* f;
  T* g;
  T* o;
};
template <class T>
static inline LstmGates<T> lstmGates(T* row, int64_t H) {
  return {row + LstmKind::i * H, row + LstmKind::f * H, row + LstmKind::g * H, row + LstmKind::o * H};
}

// GRU: G = 3H rows packed reset, update, new (GruKind); the saved row adds W_hn h + b_hn (hn) after them.
template <class T>
struct GruGates {
  T* r;
  T* z;
  T* n;
  T* hn;
};
template <class T>
static inline GruGates<T> gruGates(T* row, int64_t H) {
  return {row + GruKind::r * H, row + GruKind::z * H, row + GruKind::n * H, row + GruKind::kGates * H};
}

}  // namespace kioku
