// Reads a kernel's positional N-API arguments into its generated struct (generated/contract.h
// calls one method per argument, in order). One napi_get_typedarray_info call per array: streaming
// callers (batch 1, one step) pay this on every call.
#pragma once

#include <napi.h>

#include <cmath>
#include <string>
#include <type_traits>

#include "contract_types.h"

namespace kioku {

class NapiReader {
 public:
  NapiReader(const Napi::CallbackInfo& info, const char* fn, int count) : info_(info), fn_(fn) {
    if (static_cast<int>(info.Length()) < count)
      throwType(std::string(fn) + ": expected " + std::to_string(count) + " arguments, got " +
                std::to_string(info.Length()));
  }

  void flag(bool& v, const char* name) {
    if (napi_get_value_bool(info_.Env(), next(), &v) != napi_ok) throwType(arg(name) + " must be a boolean");
  }

  // A non-negative integer below 2^31.
  void dim(int64_t& v, const char* name) {
    const double d = numberArg(name);
    if (!(d >= 0) || d != std::floor(d) || d > 2147483647.0)
      throwRange(arg(name) + " must be a non-negative integer, got " + std::to_string(d));
    v = static_cast<int64_t>(d);
  }

  void number(double& v, const char* name) { v = numberArg(name); }

  template <class E, size_t N>
  void choice(E& v, const char* name, const char* const (&names)[N]) {
    const Napi::Value value = next();
    if (!value.IsString()) throwType(arg(name) + " must be a string");
    const std::string s = value.As<Napi::String>().Utf8Value();
    std::string all;
    for (size_t i = 0; i < N; i++) {
      if (s == names[i]) {
        v = static_cast<E>(i);
        return;
      }
      all += (i ? ", " : "") + std::string(names[i]);
    }
    throwRange(arg(name) + " must be one of " + all + ", got '" + s + "'");
  }

  template <class T>
  void array(Array<T>& v, const char* name, bool nullable) {
    using Elem = std::remove_const_t<T>;
    const bool f32 = std::is_same<Elem, float>::value;
    void* data = typedArray(name, nullable, f32 ? napi_float32_array : napi_int32_array, &v.length);
    v.data = static_cast<T*>(data);
  }

  void array(Typed& v, const char* name, bool nullable) {
    napi_typedarray_type type;
    v.data = typedArray(name, nullable, napi_float32_array, &v.length, &type);
    v.type = type == napi_int32_array ? ElemType::I32 : ElemType::F32;
  }

  void dims(Dims& v, const char* name) {
    const Napi::Value value = next();
    if (!value.IsArray()) throwType(arg(name) + " must be an array of dimensions");
    const Napi::Array a = value.As<Napi::Array>();
    v.assign(a.Length(), 0);
    // The product of the non-zero dimensions is bounded so that numel() and the kernels' index
    // arithmetic cannot overflow (a wrapped count would pass the length checks).
    double count = 1;
    for (uint32_t d = 0; d < a.Length(); d++) {
      const Napi::Value e = a.Get(d);
      const double x = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : -1;
      if (!(x >= 0) || x != std::floor(x) || x > 2147483647.0)
        throwRange(arg(name) + " must hold non-negative integer dimensions");
      v[d] = static_cast<int64_t>(x);
      count *= x > 1 ? x : 1;
      if (count > 9007199254740992.0) throwRange(arg(name) + " describes more than 2^53 elements");
    }
  }

 private:
  Napi::Value next() { return info_[index_++]; }
  std::string arg(const char* name) const { return std::string(fn_) + ": " + name; }

  double numberArg(const char* name) {
    double d = 0;
    if (napi_get_value_double(info_.Env(), next(), &d) != napi_ok) throwType(arg(name) + " must be a number");
    return d;
  }

  // The data of a typed array of type `want` (either array type when `kind` is given), or null for
  // a nullable argument given null or undefined. An empty array's data is never null. (A value that
  // is no typed array at all is reported as the wrong type.)
  void* typedArray(const char* name, bool nullable, napi_typedarray_type want, int64_t* length,
                   napi_typedarray_type* kind = nullptr) {
    const Napi::Value value = next();
    *length = 0;
    napi_typedarray_type type;
    size_t n = 0;
    void* data = nullptr;
    // One call for an array that is there; null is asked about only when that fails.
    if (napi_get_typedarray_info(info_.Env(), value, &type, &n, &data, nullptr, nullptr) != napi_ok) {
      if (nullable && (value.IsNull() || value.IsUndefined())) return nullptr;
      type = napi_float64_array;
    }
    const bool either = kind && (type == napi_float32_array || type == napi_int32_array);
    if (type != want && !either) {
      const char* what = kind                        ? "a Float32Array or an Int32Array"
                         : want == napi_int32_array ? "an Int32Array"
                                                    : "a Float32Array";
      throwType(arg(name) + " must be " + what);
    }
    if (kind) *kind = type;
    *length = static_cast<int64_t>(n);
    static float empty;
    return data ? data : &empty;
  }

  const Napi::CallbackInfo& info_;
  const char* fn_;
  size_t index_ = 0;
};

}  // namespace kioku
