// The native kernels without N-API, on PyTorch's values: `kernel_test fixtures/kernels/kernels.txt`
// runs every case of the file (scripts/fixtures_kernels.py) through the kernels' argument structs,
// checks and kernels, on every instruction set this build and CPU run, and exits non-zero on any
// mismatch. scripts/kernel-test.sh builds it for this machine and, cross-compiled, for aarch64
// under qemu (npm run check:kernels, npm run check:arm64).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "../src/gemm/gemm.h"
#include "../src/generated/contract.h"
#include "../src/pool.h"
#include "../src/simd.h"

namespace {

using namespace kioku;
using Arrays = std::map<std::string, std::vector<float>>;

struct Case {
  std::string name, kind;
  std::map<std::string, int64_t> dims;
  std::vector<int32_t> lengths;
  Arrays arrays;
};

std::vector<Case> load(const char* path) {
  std::ifstream in(path);
  std::vector<Case> cases;
  std::string line;
  Case c;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string head;
    if (!(s >> head) || head[0] == '#') continue;
    if (head == "case") {
      c = Case{};
      s >> c.name >> c.kind;
      std::string key;
      int64_t v;
      while (s >> key >> v) c.dims[key] = v;
    } else if (head == "end") {
      cases.push_back(c);
    } else if (head == "lengths") {
      int32_t v;
      while (s >> v) c.lengths.push_back(v);
    } else {
      size_t n = 0;
      s >> n;
      std::vector<float>& a = c.arrays[head];
      a.resize(n);
      for (float& v : a) s >> v;
    }
  }
  return cases;
}

InF32 in(const Arrays& a, const char* name) {
  const auto it = a.find(name);
  if (it == a.end()) return {};
  return {it->second.data(), static_cast<int64_t>(it->second.size())};
}
OutF32 out(Arrays& a, const char* name, int64_t n) {
  std::vector<float>& v = a[name];
  v.assign(n, 0.f);
  return {v.data(), n};
}

// Forward and backward of one recurrent case; returns the outputs and gradients by fixture name.
Arrays runRecurrent(const Case& c) {
  const int64_t T = c.dims.at("T"), B = c.dims.at("B"), E = c.dims.at("E"), H = c.dims.at("H"), P = c.dims.at("P");
  const bool reverse = c.dims.at("reverse") != 0;
  const int64_t R = P > 0 ? P : H;
  const bool lstm = c.kind.rfind("lstm", 0) == 0;
  const int64_t G = (lstm ? 4 : c.kind == "gru" ? 3 : 1) * H;
  const Arrays& a = c.arrays;
  const InI32 lens = c.lengths.empty() ? InI32{} : InI32{c.lengths.data(), static_cast<int64_t>(c.lengths.size())};
  Arrays r, saved;
  const OutF32 o = out(r, "out", T * B * R), hN = out(r, "hN", B * R), dx = out(r, "dx", T * B * E);
  const OutF32 dh0 = out(r, "dh0", B * R), dWih = out(r, "dWih", G * E), dWhh = out(r, "dWhh", G * R);
  const OutF32 dbIh = out(r, "dbIh", G), dbHh = out(r, "dbHh", G);
  const InF32 x = in(a, "x"), wIh = in(a, "wIh"), wHh = in(a, "wHh"), bIh = in(a, "bIh"), bHh = in(a, "bHh");
  const InF32 h0 = in(a, "h0"), dOut = in(a, "dOut"), dhN = in(a, "dhN");
  const InF32 oIn{o.data, o.length};
  if (lstm) {
    const OutF32 cN = out(r, "cN", B * H), dc0 = out(r, "dc0", B * H);
    const OutF32 dWhr = P > 0 ? out(r, "dWhr", P * H) : OutF32{};
    const OutF32 gates = out(saved, "gates", T * B * G), cells = out(saved, "cells", T * B * H);
    const OutF32 hidden = P > 0 ? out(saved, "hidden", T * B * H) : OutF32{};
    const LstmForwardArgs f{T, B, E, H, P, x, wIh, wHh, in(a, "wHr"), bIh, bHh, h0, in(a, "c0"), lens, reverse, o, hN,
                            cN, gates, cells, hidden};
    check(f);
    lstmForward(f);
    const LstmBackwardArgs b{T, B, E, H, P, x, wIh, wHh, in(a, "wHr"), h0, in(a, "c0"), lens, reverse, oIn,
                             {gates.data, gates.length}, {cells.data, cells.length}, {hidden.data, hidden.length},
                             dOut, dhN, in(a, "dcN"), dx, 0, {}, -1, {}, dh0, dc0, dWih, dWhh, dWhr, dbIh, dbHh};
    check(b);
    lstmBackward(b);
  } else if (c.kind == "gru") {
    const OutF32 gates = out(saved, "gates", T * B * 4 * H);
    const GruForwardArgs f{T, B, E, H, x, wIh, wHh, bIh, bHh, h0, lens, reverse, o, hN, gates};
    check(f);
    gruForward(f);
    const GruBackwardArgs b{T, B, E, H, x, wIh, wHh, h0, lens, reverse, oIn, {gates.data, gates.length}, dOut, dhN,
                            dx, 0, {}, -1, {}, dh0, dWih, dWhh, dbIh, dbHh};
    check(b);
    gruBackward(b);
  } else {
    const bool relu = c.kind == "rnn_relu";
    const RnnForwardArgs f{T, B, E, H, relu, x, wIh, wHh, bIh, bHh, h0, lens, reverse, o, hN};
    check(f);
    rnnForward(f);
    const RnnBackwardArgs b{T, B, E, H, relu, x, wIh, wHh, h0, lens, reverse, oIn, dOut, dhN, dx, 0, {}, -1, {}, dh0,
                            dWih, dWhh, dbIh, dbHh};
    check(b);
    rnnBackward(b);
  }
  return r;
}

Arrays runGemm(const Case& c) {
  const int64_t m = c.dims.at("m"), n = c.dims.at("n"), k = c.dims.at("k");
  const bool ta = c.dims.at("transA") != 0, tb = c.dims.at("transB") != 0;
  Arrays r;
  r["c"] = c.arrays.at("c0");
  const GemmArgs g{ta, tb, m, n, k, in(c.arrays, "a"), 0, ta ? m : k, in(c.arrays, "b"), 0, tb ? k : n,
                   {r["c"].data(), m * n}, 0, n, true};
  check(g);
  gemm(g);
  return r;
}

// |a − e| ≤ tol·(|e| + scale), scale the largest |e| of the array; prints the first mismatch.
bool close(const std::string& what, const std::vector<float>& got, const std::vector<float>& want, double tol) {
  if (got.size() != want.size()) {
    std::printf("  %s: %zu values, expected %zu\n", what.c_str(), got.size(), want.size());
    return false;
  }
  double scale = 0;
  for (float v : want) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  for (size_t i = 0; i < want.size(); i++) {
    if (std::fabs(got[i] - want[i]) <= tol * (std::fabs(want[i]) + scale)) continue;
    std::printf("  %s[%zu]: got %.9g, PyTorch %.9g\n", what.c_str(), i, got[i], want[i]);
    return false;
  }
  return true;
}

bool passes(const Case& c) {
  const Arrays got = c.kind == "gemm" ? runGemm(c) : runRecurrent(c);
  bool ok = true;
  for (const auto& [name, values] : got) {
    const bool forward = name == "out" || name == "hN" || name == "cN" || name == "c";
    ok = close(name, values, c.arrays.at(name), forward ? 1e-5 : 1e-4) && ok;
  }
  return ok;
}

}  // namespace

// The pool runs every task of every job exactly once, whether the workers take part or not (a job
// that wakes them, one for spinning workers only, jobs of one task), with three threads.
bool poolRunsEachTaskOnce() {
  poolResize(3);
  std::vector<std::atomic<int>> runs(64);
  bool ok = true;
  for (int job = 0; job < 20000 && ok; job++) {
    const int count = 1 + job % 37;
    for (int t = 0; t < count; t++) runs[t].store(0);
    const auto task = [&](int t) { runs[t].fetch_add(1); };
    if (job % 3 == 0)
      poolRunSpinning(count, task);
    else
      poolRun(count, task);
    for (int t = 0; t < count; t++) ok = ok && runs[t].load() == 1;
  }
  if (!ok) std::printf("FAIL the pool ran a task other than once\n");
  return ok;
}

// A GEMM reads no element of A past its last row: A ends where an unreadable page begins, and the
// shapes leave a short last row tile and a short column tile (a 2-class output layer over a batch
// that is not a multiple of the micro-kernel's rows), which once read a full tile's rows in place.
// The rows cover every edge of the 4-, 6- and 8-row tiles.
bool gemmReadsOnlyA() {
  const int64_t page = sysconf(_SC_PAGESIZE), k = 512;
  bool ok = true;
  for (int64_t m : {5, 7, 8, 9, 10, 11, 14, 15, 21}) {
    for (int64_t n : {2, 3, 17}) {
      const int64_t bytes = (m * k * 4 + page - 1) / page * page;
      char* region = static_cast<char*>(mmap(nullptr, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      if (region == MAP_FAILED || mprotect(region + bytes, page, PROT_NONE) != 0) return false;
      float* a = reinterpret_cast<float*>(region + bytes) - m * k;
      std::vector<float> b(k * n), c(m * n), want(m * n, 0.0f);
      for (int64_t i = 0; i < m * k; i++) a[i] = static_cast<float>((i * 7) % 13) / 13.0f - 0.5f;
      for (int64_t i = 0; i < k * n; i++) b[i] = static_cast<float>((i * 5) % 11) / 11.0f - 0.5f;
      for (int64_t i = 0; i < m; i++)
        for (int64_t p = 0; p < k; p++)
          for (int64_t j = 0; j < n; j++) want[i * n + j] += a[i * k + p] * b[p * n + j];
      sgemm(false, false, m, n, k, a, k, b.data(), n, c.data(), n, false);
      munmap(region, bytes + page);
      const std::string what = "gemm m " + std::to_string(m) + " n " + std::to_string(n) + " k 512 at A's end";
      ok = close(what, c, want, 1e-3) && ok;
    }
  }
  return ok;
}

// The row hash gives every instruction set the same value (a frozen layer's remembered products
// and the searches for repeated rows may meet rows hashed under another one), over row lengths
// with and without a tail after whole blocks of 16, and a flipped bit changes it.
bool rowHashAgrees(std::map<int64_t, uint64_t>& first) {
  std::vector<float> row(133);
  for (size_t i = 0; i < row.size(); i++) row[i] = static_cast<float>((i * 37) % 101) / 17.0f - 2.5f;
  bool ok = true;
  for (int64_t E : {1, 5, 15, 16, 17, 64, 128, 133}) {
    const uint64_t h = simd().rowHash(row.data(), E);
    if (!first.count(E)) first[E] = h;
    ok = ok && first[E] == h;
    std::vector<float> flipped(row.begin(), row.begin() + E);
    reinterpret_cast<uint32_t*>(flipped.data())[E - 1] ^= 1u << 31;
    ok = ok && simd().rowHash(flipped.data(), E) != h;
  }
  if (!ok) std::printf("FAIL the row hash differs from the first instruction set's, or misses a flipped bit\n");
  return ok;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kernel_test fixtures/kernels/kernels.txt\n");
    return 2;
  }
  const std::vector<Case> cases = load(argv[1]);
  if (cases.empty()) {
    std::fprintf(stderr, "kernel_test: no cases in %s\n", argv[1]);
    return 2;
  }
  int failed = poolRunsEachTaskOnce() ? 0 : 1;
  poolResize(2);  // the batch slices and GEMM splits run on a second thread too
  int isas = 0;
  std::map<int64_t, uint64_t> hashes;
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Neon}) {
    if (!setActiveIsa(isa)) continue;
    isas++;
    if (!rowHashAgrees(hashes)) {
      std::printf("FAIL row hash on %s\n", isaName(isa));
      failed++;
    }
    if (!gemmReadsOnlyA()) {
      std::printf("FAIL gemm at A's end on %s\n", isaName(isa));
      failed++;
    }
    for (const Case& c : cases) {
      try {
        if (passes(c)) continue;
      } catch (const ArgError& e) {
        std::printf("  %s\n", e.what());
      }
      std::printf("FAIL %s on %s\n", c.name.c_str(), isaName(isa));
      failed++;
    }
    std::printf("kernel_test: %s: %zu cases checked\n", isaName(isa), cases.size());
  }
  if (failed > 0) {
    std::printf("kernel_test: %d failures\n", failed);
    return 1;
  }
  std::printf("kernel_test: all %zu cases match PyTorch on %d instruction sets\n", cases.size(), isas);
  return 0;
}
