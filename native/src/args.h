// Argument checks shared by the entry points: every typed array, offset and extent is checked
// against the array's length before a kernel touches memory, and a failure throws a JS error
// that names the argument, what was expected and what came.
#pragma once

#include <napi.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace kioku {

struct F32 {
  float* data;
  long length;
};

inline std::string argName(const char* fn, const char* name) { return std::string(fn) + ": " + name; }

[[noreturn]] inline void throwType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] inline void throwRange(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

inline void expectArgs(const Napi::CallbackInfo& info, size_t n, const char* fn) {
  if (info.Length() < n)
    throwType(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments, got " +
                              std::to_string(info.Length()));
}

// One napi_get_typedarray_info call per array: entry points take many arrays and streaming
// callers (batch 1, one step) pay this on every call. `data` already includes the byte offset.
inline F32 f32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array)
    throwType(info.Env(), argName(fn, name) + " must be a Float32Array");
  return {static_cast<float*>(data), static_cast<long>(length)};
}

inline const int32_t* i32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
                             long* length) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throwType(info.Env(), argName(fn, name) + " must be an Int32Array");
  Napi::Int32Array arr = v.As<Napi::Int32Array>();
  *length = static_cast<long>(arr.ElementLength());
  return arr.Data();
}

// A non-negative integer below 2^31.
inline long intArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  double d = 0;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok)
    throwType(info.Env(), argName(fn, name) + " must be a number");
  if (!(d >= 0) || d != std::floor(d) || d > 2147483647.0)
    throwRange(info.Env(), argName(fn, name) + " must be a non-negative integer, got " + std::to_string(d));
  return static_cast<long>(d);
}

inline double numArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  double d = 0;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok)
    throwType(info.Env(), argName(fn, name) + " must be a number");
  return d;
}

inline bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  bool b = false;
  if (napi_get_value_bool(info.Env(), info[i], &b) != napi_ok)
    throwType(info.Env(), argName(fn, name) + " must be a boolean");
  return b;
}

inline std::string strArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsString()) throwType(info.Env(), argName(fn, name) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

inline std::vector<long> shapeArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsArray()) throwType(info.Env(), argName(fn, name) + " must be an array of dimensions");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<long> shape(arr.Length());
  // Product of the non-zero dimensions: bounded so that numel() and the kernels' index
  // arithmetic cannot overflow (a wrapped count would pass the length checks).
  double count = 1;
  for (uint32_t d = 0; d < arr.Length(); d++) {
    const Napi::Value e = arr.Get(d);
    const double x = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || x != std::floor(x) || x > 2147483647.0)
      throwRange(info.Env(), argName(fn, name) + " must hold non-negative integer dimensions");
    shape[d] = static_cast<long>(x);
    count *= std::max(x, 1.0);
    if (count > 9007199254740992.0)
      throwRange(info.Env(), argName(fn, name) + " describes more than 2^53 elements");
  }
  return shape;
}

inline long numel(const std::vector<long>& shape) {
  long n = 1;
  for (long d : shape) n *= d;
  return n;
}

// Checks that a rows×cols matrix with leading dimension ld at offset off lies inside an array.
inline void checkMatrix(Napi::Env env, const char* fn, const char* name, const F32& arr, long off, long rows,
                        long cols, long ld) {
  if (rows == 0 || cols == 0) {
    if (off > arr.length)
      throwRange(env, argName(fn, name) + " offset " + std::to_string(off) + " is past the array's length " +
                          std::to_string(arr.length));
    return;
  }
  if (ld < cols)
    throwRange(env, argName(fn, name) + " leading dimension must be at least " + std::to_string(cols) +
                        ", got " + std::to_string(ld));
  const long last = off + (rows - 1) * ld + cols - 1;
  if (last >= arr.length)
    throwRange(env, argName(fn, name) + " needs " + std::to_string(last + 1) + " elements (" +
                        std::to_string(rows) + "×" + std::to_string(cols) + ", ld " + std::to_string(ld) +
                        ", offset " + std::to_string(off) + "), the array has " + std::to_string(arr.length));
}

inline void checkLength(Napi::Env env, const char* fn, const char* name, long have, long want) {
  if (have < want)
    throwRange(env, argName(fn, name) + " needs at least " + std::to_string(want) + " elements, got " +
                        std::to_string(have));
}

}  // namespace kioku
