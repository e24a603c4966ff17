// Elementwise kernels with the JS reference's semantics (src/backend/js/binary.ts, unary.ts).
// Scalar transcendental functions run in double and round once, as Math.* does in JS.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "kernels.h"

namespace kioku {
namespace {

enum class BinOp { Add, Sub, Mul, Div };
enum class UnOp { Neg, Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Abs };

BinOp parseBinOp(Napi::Env env, const std::string& s) {
  if (s == "add") return BinOp::Add;
  if (s == "sub") return BinOp::Sub;
  if (s == "mul") return BinOp::Mul;
  if (s == "div") return BinOp::Div;
  throwRange(env, "binary: op must be one of add, sub, mul, div, got '" + s + "'");
}

UnOp parseUnOp(Napi::Env env, const char* fn, const std::string& s) {
  static const char* names[] = {"neg", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs"};
  for (int i = 0; i < 8; i++)
    if (s == names[i]) return static_cast<UnOp>(i);
  throwRange(env, std::string(fn) + ": op must be one of neg, exp, log, tanh, sigmoid, relu, sqrt, abs, got '" +
                      s + "'");
}

template <class F>
void binaryLoop(BinOp op, F&& body) {
  switch (op) {
    case BinOp::Add:
      body([](float x, float y) { return x + y; });
      break;
    case BinOp::Sub:
      body([](float x, float y) { return x - y; });
      break;
    case BinOp::Mul:
      body([](float x, float y) { return x * y; });
      break;
    case BinOp::Div:
      body([](float x, float y) { return x / y; });
      break;
  }
}

// Strides of `shape` read as a broadcast operand of `out` (0 along broadcast dims), rank of out;
// throws when `shape` does not broadcast to `out`.
std::vector<long> broadcastStrides(Napi::Env env, const char* fn, const char* name, const std::vector<long>& shape,
                                   const std::vector<long>& out) {
  if (shape.size() > out.size())
    throwRange(env, argName(fn, name) + " has more dimensions than the output");
  std::vector<long> strides(out.size(), 0);
  long acc = 1;
  for (long i = static_cast<long>(shape.size()) - 1; i >= 0; i--) {
    const size_t o = out.size() - shape.size() + i;
    if (shape[i] != out[o] && shape[i] != 1)
      throwRange(env, argName(fn, name) + " does not broadcast to the output shape (dimension " +
                          std::to_string(i) + " is " + std::to_string(shape[i]) + ", output has " +
                          std::to_string(out[o]) + ")");
    strides[o] = shape[i] == 1 && out[o] != 1 ? 0 : acc;
    acc *= shape[i];
  }
  return strides;
}

// Calls body(outIndex, aIndex, bIndex, count, aStep, bStep) once per innermost row.
template <class F>
void forEachRow(const std::vector<long>& out, const std::vector<long>& sa, const std::vector<long>& sb, F&& body) {
  const long rank = static_cast<long>(out.size());
  if (rank == 0) {
    body(0, 0, 0, 1, 0, 0);
    return;
  }
  const long inner = out[rank - 1];
  long outer = 1;
  for (long d = 0; d < rank - 1; d++) outer *= out[d];
  std::unique_ptr<long[]> idx(new long[rank]());
  long ia = 0, ib = 0, o = 0;
  for (long r = 0; r < outer; r++, o += inner) {
    body(o, ia, ib, inner, sa[rank - 1], sb[rank - 1]);
    for (long d = rank - 2; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

// True when `shape`'s elements repeat as one contiguous block across `out` (e.g. a bias row).
bool isTrailingBlock(const std::vector<long>& shape, const std::vector<long>& out) {
  size_t i = 0;
  while (i < shape.size() && shape[i] == 1) i++;
  const size_t tail = shape.size() - i;
  if (tail > out.size()) return false;
  for (size_t j = 0; j < tail; j++)
    if (shape[i + j] != out[out.size() - tail + j]) return false;
  return true;
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  const char* fn = "binary";
  Napi::Env env = info.Env();
  expectArgs(info, 7, fn);
  const BinOp op = parseBinOp(env, strArg(info, 0, fn, "op"));
  const F32 a = f32Arg(info, 1, fn, "a");
  const std::vector<long> aShape = shapeArg(info, 2, fn, "aShape");
  const F32 b = f32Arg(info, 3, fn, "b");
  const std::vector<long> bShape = shapeArg(info, 4, fn, "bShape");
  const F32 out = f32Arg(info, 5, fn, "out");
  const std::vector<long> outShape = shapeArg(info, 6, fn, "outShape");
  const long n = numel(outShape);
  checkLength(env, fn, "a", a.length, numel(aShape));
  checkLength(env, fn, "b", b.length, numel(bShape));
  checkLength(env, fn, "out", out.length, n);
  const std::vector<long> sa = broadcastStrides(env, fn, "aShape", aShape, outShape);
  const std::vector<long> sb = broadcastStrides(env, fn, "bShape", bShape, outShape);
  const float* pa = a.data;
  const float* pb = b.data;
  float* po = out.data;
  if (aShape == bShape) {
    binaryLoop(op, [&](auto f) {
      for (long i = 0; i < n; i++) po[i] = f(pa[i], pb[i]);
    });
  } else if (numel(aShape) == n && isTrailingBlock(bShape, outShape) && numel(bShape) > 0) {
    const long m = numel(bShape);
    binaryLoop(op, [&](auto f) {
      for (long i = 0; i < n; i += m)
        for (long j = 0; j < m; j++) po[i + j] = f(pa[i + j], pb[j]);
    });
  } else if (n > 0) {
    binaryLoop(op, [&](auto f) {
      forEachRow(outShape, sa, sb, [&](long o, long ia, long ib, long cnt, long da, long db) {
        for (long j = 0; j < cnt; j++) po[o + j] = f(pa[ia + j * da], pb[ib + j * db]);
      });
    });
  }
  return env.Undefined();
}

Napi::Value SumToShape(const Napi::CallbackInfo& info) {
  const char* fn = "sumToShape";
  Napi::Env env = info.Env();
  expectArgs(info, 4, fn);
  const F32 src = f32Arg(info, 0, fn, "src");
  const std::vector<long> srcShape = shapeArg(info, 1, fn, "srcShape");
  const F32 dst = f32Arg(info, 2, fn, "dst");
  const std::vector<long> dstShape = shapeArg(info, 3, fn, "dstShape");
  const long n = numel(srcShape), m = numel(dstShape);
  checkLength(env, fn, "src", src.length, n);
  checkLength(env, fn, "dst", dst.length, m);
  const std::vector<long> sd = broadcastStrides(env, fn, "dstShape", dstShape, srcShape);
  const float* ps = src.data;
  float* pd = dst.data;
  if (srcShape == dstShape) {
    for (long i = 0; i < n; i++) pd[i] += ps[i];
  } else if (isTrailingBlock(dstShape, srcShape) && m > 0) {
    for (long i = 0; i < n; i += m)
      for (long j = 0; j < m; j++) pd[j] += ps[i + j];
  } else if (n > 0) {
    std::vector<long> ss(srcShape.size());
    long acc = 1;
    for (long i = static_cast<long>(srcShape.size()) - 1; i >= 0; i--) {
      ss[i] = acc;
      acc *= srcShape[i];
    }
    forEachRow(srcShape, ss, sd, [&](long, long is, long id, long cnt, long ds, long dd) {
      if (dd == 0) {
        float s = 0;
        for (long j = 0; j < cnt; j++) s += ps[is + j * ds];
        pd[id] += s;
      } else {
        for (long j = 0; j < cnt; j++) pd[id + j * dd] += ps[is + j * ds];
      }
    });
  }
  return env.Undefined();
}

inline float sigmoidD(double v) {
  if (v >= 0) return static_cast<float>(1 / (1 + std::exp(-v)));
  const double e = std::exp(v);
  return static_cast<float>(e / (1 + e));
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  const char* fn = "unary";
  Napi::Env env = info.Env();
  expectArgs(info, 3, fn);
  const UnOp op = parseUnOp(env, fn, strArg(info, 0, fn, "op"));
  const F32 x = f32Arg(info, 1, fn, "x");
  const F32 out = f32Arg(info, 2, fn, "out");
  const long n = x.length;
  checkLength(env, fn, "out", out.length, n);
  const float* px = x.data;
  float* po = out.data;
  switch (op) {
    case UnOp::Neg:
      for (long i = 0; i < n; i++) po[i] = -px[i];
      break;
    case UnOp::Exp:
      for (long i = 0; i < n; i++) po[i] = static_cast<float>(std::exp(static_cast<double>(px[i])));
      break;
    case UnOp::Log:
      for (long i = 0; i < n; i++) po[i] = static_cast<float>(std::log(static_cast<double>(px[i])));
      break;
    case UnOp::Tanh:
      for (long i = 0; i < n; i++) po[i] = static_cast<float>(std::tanh(static_cast<double>(px[i])));
      break;
    case UnOp::Sigmoid:
      for (long i = 0; i < n; i++) po[i] = sigmoidD(px[i]);
      break;
    case UnOp::Relu:
      // NaN stays NaN, as in PyTorch.
      for (long i = 0; i < n; i++) po[i] = px[i] < 0 ? 0.f : px[i];
      break;
    case UnOp::Sqrt:
      for (long i = 0; i < n; i++) po[i] = std::sqrt(px[i]);
      break;
    case UnOp::Abs:
      for (long i = 0; i < n; i++) po[i] = std::fabs(px[i]);
      break;
  }
  return env.Undefined();
}

Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  const char* fn = "unaryBackward";
  Napi::Env env = info.Env();
  expectArgs(info, 5, fn);
  const UnOp op = parseUnOp(env, fn, strArg(info, 0, fn, "op"));
  const F32 x = f32Arg(info, 1, fn, "x");
  const F32 y = f32Arg(info, 2, fn, "y");
  const F32 g = f32Arg(info, 3, fn, "gOut");
  const F32 gx = f32Arg(info, 4, fn, "gx");
  const long n = g.length;
  checkLength(env, fn, "gx", gx.length, n);
  const bool needX = op == UnOp::Log || op == UnOp::Relu || op == UnOp::Abs;
  const bool needY = op == UnOp::Exp || op == UnOp::Tanh || op == UnOp::Sigmoid || op == UnOp::Sqrt;
  if (needX) checkLength(env, fn, "x", x.length, n);
  if (needY) checkLength(env, fn, "y", y.length, n);
  const float *px = x.data, *py = y.data, *pg = g.data;
  float* pgx = gx.data;
  switch (op) {
    case UnOp::Neg:
      for (long i = 0; i < n; i++) pgx[i] -= pg[i];
      break;
    case UnOp::Exp:
      for (long i = 0; i < n; i++) pgx[i] += pg[i] * py[i];
      break;
    case UnOp::Log:
      for (long i = 0; i < n; i++) pgx[i] += pg[i] / px[i];
      break;
    case UnOp::Tanh:
      for (long i = 0; i < n; i++) pgx[i] += static_cast<float>(pg[i] * (1.0 - static_cast<double>(py[i]) * py[i]));
      break;
    case UnOp::Sigmoid:
      for (long i = 0; i < n; i++) pgx[i] += static_cast<float>(static_cast<double>(pg[i]) * py[i] * (1.0 - py[i]));
      break;
    case UnOp::Relu:
      for (long i = 0; i < n; i++)
        if (px[i] > 0) pgx[i] += pg[i];
      break;
    case UnOp::Sqrt:
      for (long i = 0; i < n; i++) pgx[i] += static_cast<float>(0.5 * pg[i] / py[i]);
      break;
    case UnOp::Abs:
      for (long i = 0; i < n; i++) pgx[i] += px[i] > 0 ? pg[i] : px[i] < 0 ? -pg[i] : 0.f;
      break;
  }
  return env.Undefined();
}

}  // namespace

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("sumToShape", Napi::Function::New(env, SumToShape, "sumToShape"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward, "unaryBackward"));
}

}  // namespace kioku
