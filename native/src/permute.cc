// Axis permutation (src/backend/js/shape.ts `permute`): out (+)= x with its axes reordered.
// x: shape, out: (shape[perm[0]], …, shape[perm[r−1]]); Float32Array or Int32Array, both alike.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "kernels.h"

namespace kioku {
namespace {

struct Typed {
  napi_typedarray_type type;
  void* data;
  long length;
};

Typed typedArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Typed t{};
  size_t length = 0;
  if (napi_get_typedarray_info(info.Env(), info[i], &t.type, &length, &t.data, nullptr, nullptr) != napi_ok ||
      (t.type != napi_float32_array && t.type != napi_int32_array))
    throwType(info.Env(), argName(fn, name) + " must be a Float32Array or an Int32Array");
  t.length = static_cast<long>(length);
  return t;
}

// Walks the output in order; strides[d] is the source stride of output axis d.
template <class T>
void stridedCopy(const T* src, const std::vector<long>& shape, const std::vector<long>& strides, T* out,
                 bool accumulate) {
  const long rank = static_cast<long>(shape.size());
  if (rank == 0) {
    out[0] = accumulate ? out[0] + src[0] : src[0];
    return;
  }
  const long inner = shape[rank - 1], si = strides[rank - 1];
  long outer = 1;
  for (long d = 0; d < rank - 1; d++) outer *= shape[d];
  if (outer == 0 || inner == 0) return;
  std::unique_ptr<long[]> idx(new long[rank]());
  long base = 0;
  T* o = out;
  for (long r = 0; r < outer; r++, o += inner) {
    const T* s = src + base;
    if (si == 1 && !accumulate) {
      std::memcpy(o, s, inner * sizeof(T));
    } else if (si == 1) {
      for (long j = 0; j < inner; j++) o[j] += s[j];
    } else if (accumulate) {
      for (long j = 0; j < inner; j++) o[j] += s[j * si];
    } else {
      for (long j = 0; j < inner; j++) o[j] = s[j * si];
    }
    for (long d = rank - 2; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

Napi::Value Permute(const Napi::CallbackInfo& info) {
  const char* fn = "permute";
  Napi::Env env = info.Env();
  expectArgs(info, 5, fn);
  const Typed x = typedArg(info, 0, fn, "x");
  const std::vector<long> shape = shapeArg(info, 1, fn, "shape");
  const std::vector<long> perm = shapeArg(info, 2, fn, "perm");
  const Typed out = typedArg(info, 3, fn, "out");
  const bool accumulate = boolArg(info, 4, fn, "accumulate");
  if (x.type != out.type) throwType(env, "permute: x and out must have the same element type");
  const long rank = static_cast<long>(shape.size());
  if (static_cast<long>(perm.size()) != rank)
    throwRange(env, "permute: perm must have " + std::to_string(rank) + " entries, got " +
                        std::to_string(perm.size()));
  std::vector<bool> seen(rank, false);
  for (long p : perm) {
    if (p >= rank || seen[p]) throwRange(env, "permute: perm must be a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  const long n = numel(shape);
  checkLength(env, fn, "x", x.length, n);
  checkLength(env, fn, "out", out.length, n);
  std::vector<long> xStrides(rank), outShape(rank), strides(rank);
  long acc = 1;
  for (long d = rank - 1; d >= 0; d--) {
    xStrides[d] = acc;
    acc *= shape[d];
  }
  for (long d = 0; d < rank; d++) {
    outShape[d] = shape[perm[d]];
    strides[d] = xStrides[perm[d]];
  }
  if (x.type == napi_float32_array)
    stridedCopy(static_cast<const float*>(x.data), outShape, strides, static_cast<float*>(out.data), accumulate);
  else
    stridedCopy(static_cast<const int32_t*>(x.data), outShape, strides, static_cast<int32_t*>(out.data), accumulate);
  return env.Undefined();
}

}  // namespace

void registerPermute(Napi::Env env, Napi::Object exports) {
  exports.Set("permute", Napi::Function::New(env, Permute, "permute"));
}

}  // namespace kioku
