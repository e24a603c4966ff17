// The recurrent forward kernels take null for the state they save for BPTT (gates, cells and, with
// a projection, hidden) when no backward will run, but they still work in that room while they run:
// the input projection is written into the gate rows, and the driver writes every saved row as it
// goes. runKernel gives a kernel called that way scratch of the calling thread instead, so the
// driver itself never sees a null saved array and an inference never hands that state back: the
// addon allocates nothing per call, and the WebAssembly build keeps it in linear memory, never
// copied out. The scratch grows to the largest call and is kept (as the JS side's pool of saved
// state would be); the bindings (addon.cc, wasm/entry.cc) call every kernel through runKernel.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "generated/contract.h"
#include "generated/recurrent_kinds.h"

namespace kioku {

// At least n floats of the calling thread's scratch (the module's one thread in WebAssembly).
inline float* savedScratch(int64_t n) {
  thread_local std::vector<float> scratch;
  if (static_cast<int64_t>(scratch.size()) < n) scratch.resize(static_cast<size_t>(n));
  return scratch.data();
}

// Points each null array of `arrays` that should hold n > 0 elements at its own part of the scratch.
inline void pointAtScratch(std::initializer_list<std::pair<OutF32*, int64_t>> arrays) {
  int64_t total = 0;
  for (const auto& [v, n] : arrays)
    if (!v->data && n > 0) total += n;
  if (total == 0) return;
  float* at = savedScratch(total);
  for (const auto& [v, n] : arrays) {
    if (v->data || n <= 0) continue;
    v->data = at;
    v->length = n;
    at += n;
  }
}

inline void supplySavedState(LstmForwardArgs& a) {
  const int64_t rows = a.T * a.B;
  pointAtScratch({{&a.gates, rows * LstmKind::kGates * a.H}, {&a.cells, rows * a.H}, {&a.hidden, a.P > 0 ? rows * a.H : 0}});
}

inline void supplySavedState(GruForwardArgs& a) {
  pointAtScratch({{&a.gates, a.T * a.B * GruKind::kSavedBlocks * a.H}});
}

template <class Args>
constexpr bool kSavesState = std::is_same_v<Args, LstmForwardArgs> || std::is_same_v<Args, GruForwardArgs>;

// Whether the gates and cells of the forward kernel running on this thread are scratch that no
// backward reads (runKernel sets it for the call): the LSTM cell then keeps them in rows per sample,
// which stay in cache, rather than writing rows per step through the whole (T·B) scratch.
inline bool& savedStateDiscarded() {
  thread_local bool discarded = false;
  return discarded;
}

// Runs a checked kernel, with scratch for the saved state a forward kernel was given null for.
template <class Args, void (*Kernel)(const Args&)>
void runKernel(const Args& a) {
  if constexpr (kSavesState<Args>) {
    Args withScratch = a;
    supplySavedState(withScratch);
    struct Discarded {
      explicit Discarded(bool on) { savedStateDiscarded() = on; }
      ~Discarded() { savedStateDiscarded() = false; }
    } discarded(a.gates.data == nullptr);
    Kernel(withScratch);
  } else {
    Kernel(a);
  }
}

}  // namespace kioku
