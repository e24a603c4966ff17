// A hash of a float row's bits, shared by the searches for repeated rows: a recurrent layer's
// distinct input rows (recurrent/distinct_rows.h) and a frozen layer's remembered products
// (gemm/pack.h RowProducts). It lives in the SIMD kernels (simd_kernels.cc), whose vector builds
// hash 16 independent lanes at once; every build gives the same value.
#pragma once

#include <cstdint>

#include "simd.h"

namespace kioku {

inline uint64_t rowHash(const float* row, int64_t E) { return simd().rowHash(row, E); }

}  // namespace kioku
