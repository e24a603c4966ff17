// A hash of a float row's bits, shared by the searches for repeated rows: a recurrent layer's
// distinct input rows (recurrent/distinct_rows.h) and a frozen layer's remembered products
// (gemm/pack.h RowProducts).
#pragma once

#include <cstdint>
#include <cstring>

namespace kioku {

// A hash of a row's bits in four independent chains, so the multiplies overlap.
inline uint64_t rowHash(const float* row, int64_t E) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h[4] = {1, 2, 3, 4};
  int64_t i = 0;
  for (; i + 4 <= E; i += 4)
    for (int j = 0; j < 4; j++) {
      uint32_t w;
      std::memcpy(&w, row + i + j, sizeof w);
      h[j] = (h[j] ^ w) * kMul;
    }
  for (; i < E; i++) {
    uint32_t w;
    std::memcpy(&w, row + i, sizeof w);
    h[0] = (h[0] ^ w) * kMul;
  }
  const uint64_t r = h[0] ^ (h[1] << 17 | h[1] >> 47) ^ (h[2] << 31 | h[2] >> 33) ^ (h[3] << 47 | h[3] >> 17);
  return (r ^ (r >> 29)) * kMul;
}

}  // namespace kioku
