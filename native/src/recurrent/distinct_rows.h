// Repeated input rows of a recurrent layer, found so that each distinct row's input product
// x·W_ihᵀ is computed once. A layer fed by an embedding sees a token's row at every step the token
// occurs (and the padding's row at every padded step): at the seed's shape (6400 rows of random
// tokens over 5000) a little over half of the rows are distinct, fewer in real text. Rows are
// compared bit for bit, so two rows share a product only when the product could not tell them apart.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "../pool.h"
#include "../simd.h"

namespace kioku {

// The distinct rows of a (rows, E) matrix and, for each row, which of them it is.
struct DistinctRows {
  std::vector<int32_t> of;     // (rows): the index of the distinct row each row equals
  std::vector<int32_t> first;  // (count): where each distinct row first appears
  std::vector<uint64_t> hash;  // (count): its hash
  std::vector<int32_t> slots;  // the hash table: a distinct row's index + 1, 0 when empty
  std::vector<uint64_t> rowHashes;  // (rows): every row's hash, computed before the rows are placed
  int64_t count = 0;
};

// out[r] = rowHash of row r for r in [lo, hi), in one range per thread when there are many: the
// hashes are a pass over all of x, which the table's inserts after them (a probe and, for a
// repeat, one comparison) are not.
inline void hashRows(const float* x, int64_t lo, int64_t hi, int64_t E, uint64_t* out) {
  const auto hash = simd().rowHash;
  splitRange(hi - lo, E, [&](int64_t a, int64_t b) {
    for (int64_t r = lo + a; r < lo + b; r++) out[r] = hash(x + r * E, E);
  });
}

// Fills d with the distinct rows of x (rows, E). Returns false, leaving d unusable, as soon as more
// than maxDistinct rows turn out distinct, or when nearly every row of the first eighth is (an input
// of real values, which never repeat: the search then costs an eighth of a pass over x).
inline bool findDistinctRows(const float* x, int64_t rows, int64_t E, int64_t maxDistinct, DistinctRows& d) {
  int bits = 4;
  while ((int64_t{1} << bits) < 2 * maxDistinct) bits++;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  d.slots.assign(static_cast<size_t>(mask + 1), 0);
  d.of.resize(static_cast<size_t>(rows));
  d.first.resize(static_cast<size_t>(maxDistinct));
  d.hash.resize(static_cast<size_t>(maxDistinct));
  d.count = 0;
  const size_t rowBytes = static_cast<size_t>(E) * sizeof(float);
  const int64_t probe = rows / 8;
  d.rowHashes.resize(static_cast<size_t>(rows));
  // The first eighth's hashes alone first: an input whose rows never repeat stops after them.
  hashRows(x, 0, probe, E, d.rowHashes.data());
  for (int64_t r = 0; r < rows; r++) {
    if (r == probe) {
      if (d.count * 32 > probe * 31) return false;
      hashRows(x, probe, rows, E, d.rowHashes.data());
    }
    const float* row = x + r * E;
    const uint64_t h = d.rowHashes[r];
    uint64_t s = h >> (64 - bits);
    int32_t found = -1;
    for (; d.slots[s] != 0; s = (s + 1) & mask) {
      const int32_t c = d.slots[s] - 1;
      if (d.hash[c] == h && std::memcmp(x + int64_t{d.first[c]} * E, row, rowBytes) == 0) {
        found = c;
        break;
      }
    }
    if (found < 0) {
      if (d.count == maxDistinct) return false;
      found = static_cast<int32_t>(d.count++);
      d.slots[s] = found + 1;
      d.first[found] = static_cast<int32_t>(r);
      d.hash[found] = h;
    }
    d.of[r] = found;
  }
  return true;
}

}  // namespace kioku
