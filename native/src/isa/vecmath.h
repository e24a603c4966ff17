// Branch-free exp, sigmoid and tanh on vectors, written once over isa.h's operations.
// exp: Cody–Waite range reduction and a degree-5 polynomial (max rel. error ≈ 2e-7 in float32
// arithmetic, against double on a dense grid of |x| < 30); sigmoid and tanh built on it
// stay within ~2e-7 absolute of the exact functions. The clamps keep NaN. Every step of the
// polynomial is on the dependency chain of a gate's activation, and that chain bounds the gate
// loops in WebAssembly (with SIMD128 each step is a multiply, then an add).
#pragma once

namespace kioku {
namespace KIOKU_ISA_NS {

inline V expFast(V x) {
  x = vmax(set1(-87.3f), x);
  x = vmin(set1(88.3f), x);
  // n = round(x / ln2) via the 1.5·2^23 shifter, whose low mantissa bits then hold n.
  const V shifter = set1(12582912.0f);
  const V t = fmadd(x, set1(1.44269504088896341f), shifter);
  const V n = sub(t, shifter);
  V r = fnmadd(n, set1(0.693359375f), x);
  r = fnmadd(n, set1(-2.12194440e-4f), r);
  // e^r ≈ 1 + r·q(r), q of degree 4 fitted to the relative error on |r| ≤ ln2/2; the product with
  // s = 2^n folds into the last step: s + (s·r)·q.
  V q = set1(8.29031505e-3f);
  q = fmadd(q, r, set1(4.18979302e-2f));
  q = fmadd(q, r, set1(1.66676357e-1f));
  q = fmadd(q, r, set1(4.99991506e-1f));
  q = fmadd(q, r, set1(9.99999702e-1f));
  const V s = pow2n(t);
  return fmadd(mul(s, r), q, s);
}

inline V sigmoidFast(V x) { return div(set1(1.0f), add(set1(1.0f), expFast(mul(x, set1(-1.0f))))); }

inline V tanhFast(V x) { return sub(set1(1.0f), div(set1(2.0f), add(set1(1.0f), expFast(add(x, x))))); }

}  // namespace KIOKU_ISA_NS
}  // namespace kioku
