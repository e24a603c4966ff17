// Named gate blocks inside a row of pre-activations, in PyTorch's packing order, so no kernel
// indexes a gate by bare offset arithmetic. The accessors are `static` because simd_kernels.cc
// includes this header once per instruction set: internal linkage keeps an AVX-512 copy from
// standing in for the others at link time.
#pragma once

#include <stdint.h>

namespace kioku {

// LSTM: G = 4H rows packed input, forget, cell candidate, output.
template <class T>
struct LstmGates {
  T* i;
  T* f;
  T* g;
  T* o;
};
template <class T>
static inline LstmGates<T> lstmGates(T* row, int64_t H) {
  return {row, row + H, row + 2 * H, row + 3 * H};
}

// GRU: G = 3H rows packed reset, update, new; the saved row adds W_hn h + b_hn (hn) after them.
template <class T>
struct GruGates {
  T* r;
  T* z;
  T* n;
  T* hn;
};
template <class T>
static inline GruGates<T> gruGates(T* row, int64_t H) {
  return {row, row + H, row + 2 * H, row + 3 * H};
}

}  // namespace kioku
