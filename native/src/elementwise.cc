// Elementwise kernels with the JS reference's semantics (src/backend/js/binary.ts, unary.ts).
// Scalar transcendental functions run in double and round once, as Math.* does in JS.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "generated/contract.h"

namespace kioku {
namespace {

template <class F>
void binaryLoop(BinaryOp op, F&& body) {
  switch (op) {
    case BinaryOp::Add:
      body([](float x, float y) { return x + y; });
      break;
    case BinaryOp::Sub:
      body([](float x, float y) { return x - y; });
      break;
    case BinaryOp::Mul:
      body([](float x, float y) { return x * y; });
      break;
    case BinaryOp::Div:
      body([](float x, float y) { return x / y; });
      break;
  }
}

// Strides of `shape` read as a broadcast operand of `out` (0 along broadcast dims), rank of out;
// throws when `shape` does not broadcast to `out`.
Dims broadcastStrides(const Checker& c, const char* name, const Dims& shape, const Dims& out) {
  if (shape.size() > out.size()) throwRange(c.arg(name) + " has more dimensions than the output");
  Dims strides(out.size(), 0);
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; i--) {
    const size_t o = out.size() - shape.size() + i;
    if (shape[i] != out[o] && shape[i] != 1)
      throwRange(c.arg(name) + " does not broadcast to the output shape (dimension " + std::to_string(i) + " is " +
                 std::to_string(shape[i]) + ", output has " + std::to_string(out[o]) + ")");
    strides[o] = shape[i] == 1 && out[o] != 1 ? 0 : acc;
    acc *= shape[i];
  }
  return strides;
}

// Calls body(outIndex, aIndex, bIndex, count, aStep, bStep) once per innermost row.
template <class F>
void forEachRow(const Dims& out, const Dims& sa, const Dims& sb, F&& body) {
  const int64_t rank = static_cast<int64_t>(out.size());
  if (rank == 0) {
    body(0, 0, 0, 1, 0, 0);
    return;
  }
  const int64_t inner = out[rank - 1];
  int64_t outer = 1;
  for (int64_t d = 0; d < rank - 1; d++) outer *= out[d];
  std::vector<int64_t> idx(rank, 0);
  int64_t ia = 0, ib = 0, o = 0;
  for (int64_t r = 0; r < outer; r++, o += inner) {
    body(o, ia, ib, inner, sa[rank - 1], sb[rank - 1]);
    for (int64_t d = rank - 2; d >= 0; d--) {
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
bool isTrailingBlock(const Dims& shape, const Dims& out) {
  size_t i = 0;
  while (i < shape.size() && shape[i] == 1) i++;
  const size_t tail = shape.size() - i;
  if (tail > out.size()) return false;
  for (size_t j = 0; j < tail; j++)
    if (shape[i + j] != out[out.size() - tail + j]) return false;
  return true;
}

int64_t elements(const Dims& shape) { return static_cast<int64_t>(numel(shape)); }

inline float sigmoidD(double v) {
  if (v >= 0) return static_cast<float>(1 / (1 + std::exp(-v)));
  const double e = std::exp(v);
  return static_cast<float>(e / (1 + e));
}

}  // namespace

void binary(const BinaryArgs& a) {
  const Checker c{a.kName};
  const Dims sa = broadcastStrides(c, "aShape", a.aShape, a.outShape);
  const Dims sb = broadcastStrides(c, "bShape", a.bShape, a.outShape);
  const int64_t n = elements(a.outShape), m = elements(a.bShape);
  const float* pa = a.a.data;
  const float* pb = a.b.data;
  float* po = a.out.data;
  // Same shapes as each other and as many elements as the output: one flat loop. (Both of shape [1]
  // into an output of [3] broadcast instead: a flat loop would read past them.)
  if (a.aShape == a.bShape && elements(a.aShape) == n) {
    binaryLoop(a.op, [&](auto f) {
      for (int64_t i = 0; i < n; i++) po[i] = f(pa[i], pb[i]);
    });
  } else if (elements(a.aShape) == n && isTrailingBlock(a.bShape, a.outShape) && m > 0) {
    binaryLoop(a.op, [&](auto f) {
      for (int64_t i = 0; i < n; i += m)
        for (int64_t j = 0; j < m; j++) po[i + j] = f(pa[i + j], pb[j]);
    });
  } else if (n > 0) {
    binaryLoop(a.op, [&](auto f) {
      forEachRow(a.outShape, sa, sb, [&](int64_t o, int64_t ia, int64_t ib, int64_t cnt, int64_t da, int64_t db) {
        for (int64_t j = 0; j < cnt; j++) po[o + j] = f(pa[ia + j * da], pb[ib + j * db]);
      });
    });
  }
}

void sumToShape(const SumToShapeArgs& a) {
  const Checker c{a.kName};
  const Dims sd = broadcastStrides(c, "dstShape", a.dstShape, a.srcShape);
  const int64_t n = elements(a.srcShape), m = elements(a.dstShape);
  const float* ps = a.src.data;
  float* pd = a.dst.data;
  if (a.srcShape == a.dstShape) {
    for (int64_t i = 0; i < n; i++) pd[i] += ps[i];
  } else if (isTrailingBlock(a.dstShape, a.srcShape) && m > 0) {
    for (int64_t i = 0; i < n; i += m)
      for (int64_t j = 0; j < m; j++) pd[j] += ps[i + j];
  } else if (n > 0) {
    Dims ss(a.srcShape.size());
    int64_t acc = 1;
    for (int64_t i = static_cast<int64_t>(a.srcShape.size()) - 1; i >= 0; i--) {
      ss[i] = acc;
      acc *= a.srcShape[i];
    }
    forEachRow(a.srcShape, ss, sd, [&](int64_t, int64_t is, int64_t id, int64_t cnt, int64_t ds, int64_t dd) {
      if (dd == 0) {
        float s = 0;
        for (int64_t j = 0; j < cnt; j++) s += ps[is + j * ds];
        pd[id] += s;
      } else {
        for (int64_t j = 0; j < cnt; j++) pd[id + j * dd] += ps[is + j * ds];
      }
    });
  }
}

void unary(const UnaryArgs& a) {
  const int64_t n = a.x.length;
  const float* px = a.x.data;
  float* po = a.out.data;
  switch (a.op) {
    case UnaryOp::Neg:
      for (int64_t i = 0; i < n; i++) po[i] = -px[i];
      break;
    case UnaryOp::Exp:
      for (int64_t i = 0; i < n; i++) po[i] = static_cast<float>(std::exp(static_cast<double>(px[i])));
      break;
    case UnaryOp::Log:
      for (int64_t i = 0; i < n; i++) po[i] = static_cast<float>(std::log(static_cast<double>(px[i])));
      break;
    case UnaryOp::Tanh:
      for (int64_t i = 0; i < n; i++) po[i] = static_cast<float>(std::tanh(static_cast<double>(px[i])));
      break;
    case UnaryOp::Sigmoid:
      for (int64_t i = 0; i < n; i++) po[i] = sigmoidD(px[i]);
      break;
    case UnaryOp::Relu:
      // NaN stays NaN, as in PyTorch.
      for (int64_t i = 0; i < n; i++) po[i] = px[i] < 0 ? 0.f : px[i];
      break;
    case UnaryOp::Sqrt:
      for (int64_t i = 0; i < n; i++) po[i] = std::sqrt(px[i]);
      break;
    case UnaryOp::Abs:
      for (int64_t i = 0; i < n; i++) po[i] = std::fabs(px[i]);
      break;
  }
}

void unaryBackward(const UnaryBackwardArgs& a) {
  const int64_t n = a.gOut.length;
  const float *px = a.x.data, *py = a.y.data, *pg = a.gOut.data;
  float* pgx = a.gx.data;
  switch (a.op) {
    case UnaryOp::Neg:
      for (int64_t i = 0; i < n; i++) pgx[i] -= pg[i];
      break;
    case UnaryOp::Exp:
      for (int64_t i = 0; i < n; i++) pgx[i] += pg[i] * py[i];
      break;
    case UnaryOp::Log:
      for (int64_t i = 0; i < n; i++) pgx[i] += pg[i] / px[i];
      break;
    case UnaryOp::Tanh:
      for (int64_t i = 0; i < n; i++)
        pgx[i] += static_cast<float>(pg[i] * (1.0 - static_cast<double>(py[i]) * py[i]));
      break;
    case UnaryOp::Sigmoid:
      for (int64_t i = 0; i < n; i++) pgx[i] += static_cast<float>(static_cast<double>(pg[i]) * py[i] * (1.0 - py[i]));
      break;
    case UnaryOp::Relu:
      for (int64_t i = 0; i < n; i++)
        if (px[i] > 0) pgx[i] += pg[i];
      break;
    case UnaryOp::Sqrt:
      for (int64_t i = 0; i < n; i++) pgx[i] += static_cast<float>(0.5 * pg[i] / py[i]);
      break;
    case UnaryOp::Abs:
      for (int64_t i = 0; i < n; i++) pgx[i] += px[i] > 0 ? pg[i] : px[i] < 0 ? -pg[i] : 0.f;
      break;
  }
}

}  // namespace kioku
