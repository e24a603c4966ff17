// Reads a kernel's arguments into its generated struct (generated/contract.h) from a block of
// doubles in linear memory, which src/backend/wasm/marshal.ts writes in the contract's order:
//   int, num, flag, enum index   one slot
//   array                        three: byte offset, length (−1: null), element type (0 f32, 1 i32)
//   dims                         the count, then each dimension
// The TypeScript side has already checked every value against the contract, so nothing here can
// fail; the generated `check` still runs after `read` as the second line.
#pragma once

#include <cstdint>
#include <type_traits>

#include "../contract_types.h"

namespace kioku {

class LinearReader {
 public:
  explicit LinearReader(const double* slots) : s_(slots) {}

  void flag(bool& v, const char*) { v = next() != 0; }
  void dim(int64_t& v, const char*) { v = static_cast<int64_t>(next()); }
  void number(double& v, const char*) { v = next(); }

  template <class E, size_t N>
  void choice(E& v, const char*, const char* const (&)[N]) {
    v = static_cast<E>(static_cast<int32_t>(next()));
  }

  template <class T>
  void array(Array<T>& v, const char*, bool) {
    v.data = static_cast<T*>(arrayData(v.length));
  }

  void array(Typed& v, const char*, bool) {
    v.data = arrayData(v.length);
    v.type = s_[-1] == 1 ? ElemType::I32 : ElemType::F32;
  }

  void dims(Dims& v, const char*) {
    const int64_t count = static_cast<int64_t>(next());
    v.assign(count, 0);
    for (int64_t d = 0; d < count; d++) v[d] = static_cast<int64_t>(next());
  }

 private:
  double next() { return *s_++; }

  // Pointer and length of an array; a null one (length −1) reads as data null, length 0.
  void* arrayData(int64_t& length) {
    const double offset = next(), n = next();
    next();  // the element type, read by the Typed overload
    if (n < 0) {
      length = 0;
      return nullptr;
    }
    length = static_cast<int64_t>(n);
    return reinterpret_cast<void*>(static_cast<uintptr_t>(offset));
  }

  const double* s_;
};

}  // namespace kioku
