// Branch-free exp, sigmoid and tanh on vectors, written once over isa.h's operations.
// exp: Cody–Waite range reduction and a degree-6 polynomial (max rel. error ≈ 2e-7); sigmoid and
// tanh built on it stay within ~2e-7 absolute of the exact functions. The clamps keep NaN.
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
  V p = set1(1.98756912e-4f);
  p = fmadd(p, r, set1(1.39819994e-3f));
  p = fmadd(p, r, set1(8.33345205e-3f));
  p = fmadd(p, r, set1(4.16657962e-2f));
  p = fmadd(p, r, set1(1.66666657e-1f));
  p = fmadd(p, r, set1(5.0e-1f));
  p = add(fmadd(mul(p, r), r, r), set1(1.0f));
  return mul(p, pow2n(t));
}

inline V sigmoidFast(V x) { return div(set1(1.0f), add(set1(1.0f), expFast(mul(x, set1(-1.0f))))); }

inline V tanhFast(V x) { return sub(set1(1.0f), div(set1(2.0f), add(set1(1.0f), expFast(add(x, x))))); }

}  // namespace KIOKU_ISA_NS
}  // namespace kioku
