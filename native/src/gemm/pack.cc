#include "pack.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "../row_hash.h"
#include "gemm.h"

namespace kioku {
namespace {

constexpr int64_t kLineFloats = 64 / sizeof(float);
// How many rows ahead packTransposedA prefetches: a DRAM latency's worth of copying.
constexpr int64_t kPrefetchRows = 16;

// A transposed A holds the block's mc elements of one p contiguously: p outer, so that each line
// is read once, and its MR-wide pieces go to their slivers. (Sliver by sliver, every p of a sliver
// is a different line lda apart — and at a lda of 4 KiB multiples all in one cache set — so each
// line came from L2 again for every sliver it feeds: a tenth of an LSTM(512, 512) backward.)
template <int MR>
void packTransposedA(const float* a, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out) {
  const int64_t full = mc / mr * mr, rows = mc - full;
  for (int64_t p = 0; p < kc; p++) {
    const float* src = a + p * cs;
    // Rows lda apart escape the hardware's prefetch: ask for a later row's lines now (a prefetch
    // past the block's last row never faults).
    for (int64_t i = 0; i < mc; i += kLineFloats) __builtin_prefetch(src + kPrefetchRows * cs + i);
    float* dst = out + p * mr;
    for (int64_t ir = 0; ir < full; ir += mr) {
      if constexpr (MR > 0)
        std::memcpy(dst + ir * kc, src + ir, MR * sizeof(float));
      else
        std::memcpy(dst + ir * kc, src + ir, mr * sizeof(float));
    }
    if (rows == 0) continue;
    float* edge = dst + full * kc;
    for (int64_t r = 0; r < rows; r++) edge[r] = src[full + r];
    for (int64_t r = rows; r < mr; r++) edge[r] = 0.f;
  }
}

// A row-major A: a sliver's MR rows read side by side, p outer, so the sliver is written in order
// and each row streams once.
template <int MR>
void packRowsA(const float* a, int64_t rs, int64_t cs, int64_t rows, int64_t kc, int32_t mr, float* dst) {
  if constexpr (MR > 0) {
    if (rows == MR && cs == 1) {
      const float* src[MR];
      for (int r = 0; r < MR; r++) src[r] = a + r * rs;
      for (int64_t p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r][p];
      return;
    }
  }
  for (int64_t p = 0; p < kc; p++) {
    for (int64_t r = 0; r < rows; r++) dst[p * mr + r] = a[r * rs + p * cs];
    for (int64_t r = rows; r < mr; r++) dst[p * mr + r] = 0.f;
  }
}

template <int MR>
void packABy(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out) {
  if (rs == 1) {
    packTransposedA<MR>(a, cs, mc, kc, mr, out);
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += mr)
    packRowsA<MR>(a + ir * rs, rs, cs, std::min<int64_t>(mr, mc - ir), kc, mr, out + ir * kc);
}

}  // namespace

void packA(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out) {
  // The tile heights of the native instruction sets (isa/*.h) get copies of a fixed width; the
  // WebAssembly build, which packs only where rows would share cache sets, keeps its code small.
#if defined(__wasm__)
  return packABy<0>(a, rs, cs, mc, kc, mr, out);
#else
  switch (mr) {
    case 4:
      return packABy<4>(a, rs, cs, mc, kc, mr, out);
    case 6:
      return packABy<6>(a, rs, cs, mc, kc, mr, out);
    case 8:
      return packABy<8>(a, rs, cs, mc, kc, mr, out);
    default:
      return packABy<0>(a, rs, cs, mc, kc, mr, out);
  }
#endif
}

namespace {

// kc rows of NR floats, a sliver's whole width: a copy of a constant size, so the compiler makes
// it a few vector moves instead of a call into the C library for every 32 to 128 bytes.
template <int NR>
void copySliverRows(const float* b, int64_t rs, int64_t kc, float* dst) {
  for (int64_t p = 0; p < kc; p++) std::memcpy(dst + p * NR, b + p * rs, NR * sizeof(float));
}

// copySliverRows for the slivers' widths of the instruction sets; false for another width.
bool copyWholeSliver(const float* b, int64_t rs, int64_t kc, int32_t nr, float* dst) {
  switch (nr) {
    case 8:
      copySliverRows<8>(b, rs, kc, dst);
      return true;
    case 16:
      copySliverRows<16>(b, rs, kc, dst);
      return true;
    case 32:
      copySliverRows<32>(b, rs, kc, dst);
      return true;
    default:
      return false;
  }
}

}  // namespace

void packPanelB(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, int32_t nr, float* out) {
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - jr);
    float* dst = out + jr * kc;
    if (cs == 1 && cols == nr && copyWholeSliver(b + jr, rs, kc, nr, dst)) continue;
    if (cs == 1) {
      for (int64_t p = 0; p < kc; p++) {
        std::memcpy(dst + p * nr, b + p * rs + jr, cols * sizeof(float));
        for (int64_t q = cols; q < nr; q++) dst[p * nr + q] = 0.f;
      }
      continue;
    }
    for (int64_t q = 0; q < nr; q++) {
      if (q < cols) {
        const float* src = b + (jr + q) * cs;
        for (int64_t p = 0; p < kc; p++) dst[p * nr + q] = src[p * rs];
      } else {
        for (int64_t p = 0; p < kc; p++) dst[p * nr + q] = 0.f;
      }
    }
  }
}

int64_t RowProducts::find(const float* row, int64_t k, uint64_t hash) const {
  const auto it = index_.find(hash);
  if (it == index_.end()) return -1;
  for (int32_t e : it->second)
    if (std::memcmp(rows_.data() + int64_t{e} * k, row, k * sizeof(float)) == 0) return e;
  return -1;
}

void RowProducts::remember(const float* row, const float* product, int64_t k, int64_t n, uint64_t hash) {
  // A row repeated within one call is kept once.
  if ((count_ + 1) * (k + n) * static_cast<int64_t>(sizeof(float)) > kMaxBytes || find(row, k, hash) >= 0) return;
  rows_.insert(rows_.end(), row, row + k);
  products_.insert(products_.end(), product, product + n);
  index_[hash].push_back(static_cast<int32_t>(count_++));
}

void RowProducts::clear() {
  index_ = {};
  rows_ = {};
  products_ = {};
  count_ = 0;
}

void RowProducts::judge() {
  if (looked_ < kTrialRows || found_ * 4 >= looked_) return;
  off_ = true;
  clear();
}

void RowProducts::multiply(int64_t m, const float* a, int64_t lda, const PackedB& b, float* c, int64_t ldc) {
  if (off_) {
    sgemmPacked(m, a, lda, b, c, ldc, false);
    return;
  }
  std::vector<uint64_t> hashes(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; i++) hashes[i] = rowHash(a + i * lda, b.k);
  multiplyRows(m, a, lda, nullptr, hashes.data(), b, c, ldc);
}

void RowProducts::multiplyRows(int64_t m, const float* a, int64_t lda, const int32_t* pick, const uint64_t* hashes,
                               const PackedB& b, float* c, int64_t ldc) {
  const int64_t k = b.k, n = b.n;
  const auto rowOf = [&](int64_t i) { return a + (pick ? int64_t{pick[i]} : i) * lda; };
  std::vector<int64_t> missing;
  if (!off_) {
    for (int64_t i = 0; i < m; i++) {
      const int64_t e = find(rowOf(i), k, hashes[i]);
      if (e < 0)
        missing.push_back(i);
      else
        std::memcpy(c + i * ldc, products_.data() + e * n, n * sizeof(float));
    }
    looked_ += m;
    found_ += m - static_cast<int64_t>(missing.size());
  } else {
    missing.resize(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; i++) missing[i] = i;
  }
  const int64_t miss = static_cast<int64_t>(missing.size());
  if (miss == 0) return;
  // The missing rows gathered, multiplied together, scattered to their rows of C.
  std::vector<float> in(static_cast<size_t>(miss * k)), out(static_cast<size_t>(miss * n));
  for (int64_t j = 0; j < miss; j++) std::memcpy(in.data() + j * k, rowOf(missing[j]), k * sizeof(float));
  sgemmPacked(miss, in.data(), k, b, out.data(), n, false);
  for (int64_t j = 0; j < miss; j++) {
    const int64_t i = missing[j];
    std::memcpy(c + i * ldc, out.data() + j * n, n * sizeof(float));
    if (!off_) remember(in.data() + j * k, out.data() + j * n, k, n, hashes[i]);
  }
  judge();
}

// The packs of the frozen layer whose call runs on this thread (none outside such a call).
thread_local const FrozenPack* tlsFrozen = nullptr;
thread_local int tlsFrozenCount = 0;
std::atomic<int64_t> frozenUses{0};

FrozenPackScope::FrozenPackScope(const FrozenPack* packs, int count)
    : saved_(tlsFrozen), savedCount_(tlsFrozenCount) {
  tlsFrozen = packs;
  tlsFrozenCount = count;
}

FrozenPackScope::~FrozenPackScope() {
  tlsFrozen = saved_;
  tlsFrozenCount = savedCount_;
}

const PackedB* frozenPack(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows) {
  if (rows <= kSmallM) return nullptr;
  for (int i = 0; i < tlsFrozenCount; i++) {
    const FrozenPack& f = tlsFrozen[i];
    if (f.b != b || f.tb != tb || f.k != k || f.n != n || f.ldb != ldb) continue;
    if (!f.pack->packed || f.pack->isa != activeIsa()) {
      packB(tb, k, n, b, ldb, kSmallM + 1, *f.pack);
      if (f.rows) f.rows->clear();
    }
    if (!f.pack->packed) return nullptr;  // too wide for one panel: packB would not pack it either
    frozenUses.fetch_add(1, std::memory_order_relaxed);
    return f.pack;
  }
  return nullptr;
}

RowProducts* frozenRowProducts(const PackedB* pack) {
  for (int i = 0; i < tlsFrozenCount; i++)
    if (tlsFrozen[i].pack == pack) return tlsFrozen[i].rows;
  return nullptr;
}

int64_t frozenPackUses() { return frozenUses.load(std::memory_order_relaxed); }

const PackedB& packOnce(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows, PackedB& own) {
  if (const PackedB* frozen = frozenPack(tb, k, n, b, ldb, rows)) return *frozen;
  packB(tb, k, n, b, ldb, rows, own);
  return own;
}

}  // namespace kioku
