// Embedding gather and scatter-add (src/backend/js/embedding.ts).
// weight, gWeight: (V, E)  indices: (N)  out, gOut: (N, E)
#include <cstring>
#include <string>

#include "args.h"
#include "kernels.h"

namespace kioku {
namespace {

long checkedRows(const Napi::CallbackInfo& info, const char* fn, const char* name, long length, long e) {
  if (e < 1) throwRange(info.Env(), std::string(fn) + ": e must be at least 1, got " + std::to_string(e));
  return length / e;
}

void checkIndex(Napi::Env env, const char* fn, long r, int32_t idx, long V) {
  if (idx < 0 || idx >= V)
    throwRange(env, std::string(fn) + ": indices[" + std::to_string(r) + "] must be in [0, " + std::to_string(V) +
                        "), got " + std::to_string(idx));
}

Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  const char* fn = "embeddingForward";
  Napi::Env env = info.Env();
  expectArgs(info, 4, fn);
  const F32 weight = f32Arg(info, 0, fn, "weight");
  const long e = intArg(info, 1, fn, "e");
  long n = 0;
  const int32_t* idx = i32Arg(info, 2, fn, "indices", &n);
  const F32 out = f32Arg(info, 3, fn, "out");
  const long V = checkedRows(info, fn, "weight", weight.length, e);
  checkLength(env, fn, "out", out.length, n * e);
  for (long r = 0; r < n; r++) checkIndex(env, fn, r, idx[r], V);
  for (long r = 0; r < n; r++) std::memcpy(out.data + r * e, weight.data + idx[r] * e, e * sizeof(float));
  return env.Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  const char* fn = "embeddingBackward";
  Napi::Env env = info.Env();
  expectArgs(info, 5, fn);
  const F32 gOut = f32Arg(info, 0, fn, "gOut");
  const long e = intArg(info, 1, fn, "e");
  long n = 0;
  const int32_t* idx = i32Arg(info, 2, fn, "indices", &n);
  const double padding = numArg(info, 3, fn, "paddingIdx");
  const F32 gWeight = f32Arg(info, 4, fn, "gWeight");
  const long V = checkedRows(info, fn, "gWeight", gWeight.length, e);
  checkLength(env, fn, "gOut", gOut.length, n * e);
  for (long r = 0; r < n; r++)
    if (idx[r] != padding) checkIndex(env, fn, r, idx[r], V);
  for (long r = 0; r < n; r++) {
    if (idx[r] == padding) continue;
    float* dst = gWeight.data + idx[r] * e;
    const float* src = gOut.data + r * e;
    for (long j = 0; j < e; j++) dst[j] += src[j];
  }
  return env.Undefined();
}

}  // namespace

void registerEmbedding(Napi::Env env, Napi::Object exports) {
  exports.Set("embeddingForward", Napi::Function::New(env, EmbeddingForward, "embeddingForward"));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward, "embeddingBackward"));
}

}  // namespace kioku
