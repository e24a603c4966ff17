// The field types of the generated argument structs (generated/contract.h) and the checks they
// run. Plain C++ with no N-API: the addon, the WebAssembly build and the C++ kernel test binary
// share it. A failed check throws ArgError, which the N-API binding turns into a JS TypeError or
// RangeError with the same sentence.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace kioku {

// A typed array argument: `data` is null when the caller passed null (nullable arguments only).
template <class T>
struct Array {
  T* data = nullptr;
  int64_t length = 0;
  explicit operator bool() const { return data != nullptr; }
};
using InF32 = Array<const float>;
using OutF32 = Array<float>;
using InI32 = Array<const int32_t>;
using OutI32 = Array<int32_t>;

// A Float32Array or an Int32Array.
enum class ElemType : int32_t { F32, I32 };
struct Typed {
  ElemType type = ElemType::F32;
  void* data = nullptr;
  int64_t length = 0;
};

// Dimensions of a shape (or a permutation), each a non-negative integer.
using Dims = std::vector<int64_t>;

inline double numel(const Dims& shape) {
  double n = 1;
  for (int64_t d : shape) n *= static_cast<double>(d);
  return n;
}

class ArgError : public std::runtime_error {
 public:
  enum Kind { Type, Range };
  ArgError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

[[noreturn]] inline void throwType(const std::string& message) { throw ArgError(ArgError::Type, message); }
[[noreturn]] inline void throwRange(const std::string& message) { throw ArgError(ArgError::Range, message); }

// Formats a count the way the messages print it (lengths are whole numbers below 2^53).
inline std::string formatCount(double v) {
  if (v >= 0 && v < 9007199254740992.0 && v == std::floor(v)) return std::to_string(static_cast<int64_t>(v));
  return std::to_string(v);
}

// The checks of one kernel call; every message starts with the kernel's name.
struct Checker {
  const char* fn;

  std::string arg(const char* name) const { return std::string(fn) + ": " + name; }

  template <class A>
  void length(const char* name, const A& a, double want) const {
    if (static_cast<double>(a.length) < want)
      throwRange(arg(name) + " needs at least " + formatCount(want) + " elements, got " + formatCount(a.length));
  }
  template <class A>
  void lengthIfGiven(const char* name, const A& a, double want) const {
    if (a.data) length(name, a, want);
  }
  void atLeast(const char* name, int64_t v, int64_t min) const {
    if (v < min) throwRange(arg(name) + " must be at least " + std::to_string(min) + ", got " + std::to_string(v));
  }
  // Every element in [0, max] (per-sample lengths).
  void eachIn(const char* name, const InI32& a, double n, double max) const {
    if (!a.data) return;
    length(name, a, n);
    for (int64_t i = 0; i < static_cast<int64_t>(n); i++)
      if (a.data[i] < 0 || a.data[i] > max)
        throwRange(arg(name) + "[" + std::to_string(i) + "] must be in [0, " + formatCount(max) + "], got " +
                   std::to_string(a.data[i]));
  }
  // A rows×cols matrix with leading dimension ld at element `off` lies inside the array.
  template <class A>
  void matrix(const char* name, const A& a, double off, double rows, double cols, double ld) const {
    const std::string have = formatCount(a.length);
    if (rows == 0 || cols == 0) {
      if (off > static_cast<double>(a.length))
        throwRange(arg(name) + " offset " + formatCount(off) + " is past the array's length " + have);
      return;
    }
    if (ld < cols)
      throwRange(arg(name) + " leading dimension must be at least " + formatCount(cols) + ", got " + formatCount(ld));
    const double last = off + (rows - 1) * ld + cols - 1;
    if (last < static_cast<double>(a.length)) return;
    const std::string view = formatCount(rows) + "×" + formatCount(cols) + ", ld " + formatCount(ld) + ", offset " +
                             formatCount(off);
    throwRange(arg(name) + " needs " + formatCount(last + 1) + " elements (" + view + "), the array has " + have);
  }
};

}  // namespace kioku
