// Packing for the Goto/BLIS GEMM: blocks of A and panels of B copied into the MR- and NR-wide
// slivers the micro-kernel streams linearly, zero-padded at the edges.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace kioku {

struct PackedB;

// Products of rows with a frozen B, remembered by the rows' values: a frozen layer's input rows are
// an embedding's, one per token, and tokens repeat, so most rows' products are read back instead of
// multiplied again. A row's product is the sum the micro-kernel forms for that row alone (every
// row of a packed product is), so reading it back gives the very value the product would.
class RowProducts {
 public:
  // C (m × n, ldc) = A (m × k, lda) · B for B packed by packB for more than kSmallM rows: rows seen
  // before from the table, the rest by one sgemmPacked, kept while the table (rows and products)
  // is under kMaxBytes.
  // Rows that rarely repeat (a deeper layer's states) turn the table off: after kTrialRows rows
  // with under a quarter of them found, it is dropped and every product is multiplied.
  void multiply(int64_t m, const float* a, int64_t lda, const PackedB& b, float* c, int64_t ldc);
  // As multiply, for rows a + pick[i]·lda (i < m) whose rowHash values the caller has already
  // computed (a search for repeated rows has): nothing gathered or hashed again but the misses.
  void multiplyRows(int64_t m, const float* a, int64_t lda, const int32_t* pick, const uint64_t* hashes,
                    const PackedB& b, float* c, int64_t ldc);
  // Whether products are still remembered (judge has not turned the table off).
  bool on() const { return !off_; }
  // Forgets every product (B was packed again, for another instruction set: its sums may differ).
  void clear();
  static constexpr int64_t kMaxBytes = int64_t{64} << 20, kTrialRows = 4096;

 private:
  int64_t find(const float* row, int64_t k, uint64_t hash) const;
  void remember(const float* row, const float* product, int64_t k, int64_t n, uint64_t hash);
  void judge();

  int64_t looked_ = 0, found_ = 0;
  bool off_ = false;

  std::unordered_map<uint64_t, std::vector<int32_t>> index_;  // a row's hash → its entries
  std::vector<float> rows_, products_;                        // entry i: rows_[i·k…], products_[i·n…]
  int64_t count_ = 0;
};

// out[(ir·kc + p)·MR + r] = A(ir + r, p) for an mc×kc block whose element (i, p) is a[i·rs + p·cs];
// rows past mc are zero.
void packA(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out);
// out[(jr·kc + p)·NR + q] = B(p, jr + q) for a kc×nc panel whose element (p, j) is b[p·rs + j·cs];
// columns past nc are zero.
void packPanelB(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, int32_t nr, float* out);

// ---- frozen packs: weights packed once for many calls ----
// A frozen layer's forward (addon.cc) runs on its own copy of the weights, which nothing writes,
// and puts that copy's packs in scope on the calling thread for the one kernel call. A product
// that would pack a B first asks frozenPack: it answers only for a B that is the very array a pack
// stands for (the same pointer, layout and shape), and only when the call's products take the
// packed path (rows > kSmallM). The pack is made on the first such call, and made again when the
// instruction set changed since, so it is always what packB would make now: never stale, and
// never made for a layer whose calls do not use it.

// What a frozen pack stands for (packB's arguments), the pack, and the products of rows with it
// remembered so far (null: none kept). The scope's thread alone touches them during a call.
struct FrozenPack {
  bool tb;
  int64_t k, n;
  const float* b;
  int64_t ldb;
  PackedB* pack;
  RowProducts* rows;
};

class FrozenPackScope {
 public:
  FrozenPackScope(const FrozenPack* packs, int count);
  ~FrozenPackScope();
  FrozenPackScope(const FrozenPackScope&) = delete;
  FrozenPackScope& operator=(const FrozenPackScope&) = delete;

 private:
  const FrozenPack* saved_;
  int savedCount_;
};

// The pack in scope that packB(tb, k, n, b, ldb, rows, ·) would make now, or null.
const PackedB* frozenPack(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows);
// The remembered products that go with a pack frozenPack returned, or null.
RowProducts* frozenRowProducts(const PackedB* pack);
// How many products frozenPack has served from a frozen pack (tests read it through info()).
int64_t frozenPackUses();
// frozenPack's answer, else packB into `own` (which the caller keeps for the products' lifetime).
const PackedB& packOnce(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows, PackedB& own);

}  // namespace kioku
