// The native kernels without N-API, on PyTorch's values: `kernel_test fixtures/kernels/kernels.txt`
// runs every case of the file (scripts/fixtures_kernels.py) through the kernels' argument structs,
// checks and kernels, on every instruction set this build and CPU run, and exits non-zero on any
// mismatch. scripts/kernel-test.sh builds it for this machine and, cross-compiled, for aarch64
// under qemu (npm run check:kernels, npm run check:arm64).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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
                             dOut, dhN, in(a, "dcN"), dx, dh0, dc0, dWih, dWhh, dWhr, dbIh, dbHh};
    check(b);
    lstmBackward(b);
  } else if (c.kind == "gru") {
    const OutF32 gates = out(saved, "gates", T * B * 4 * H);
    const GruForwardArgs f{T, B, E, H, x, wIh, wHh, bIh, bHh, h0, lens, reverse, o, hN, gates};
    check(f);
    gruForward(f);
    const GruBackwardArgs b{T, B, E, H, x, wIh, wHh, h0, lens, reverse, oIn, {gates.data, gates.length}, dOut, dhN,
                            dx, dh0, dWih, dWhh, dbIh, dbHh};
    check(b);
    gruBackward(b);
  } else {
    const bool relu = c.kind == "rnn_relu";
    const RnnForwardArgs f{T, B, E, H, relu, x, wIh, wHh, bIh, bHh, h0, lens, reverse, o, hN};
    check(f);
    rnnForward(f);
    const RnnBackwardArgs b{T, B, E, H, relu, x, wIh, wHh, h0, lens, reverse, oIn, dOut, dhN, dx, dh0, dWih, dWhh,
                            dbIh, dbHh};
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
  poolResize(2);  // the batch slices and GEMM splits run on a second thread too
  int failed = 0, isas = 0;
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Neon}) {
    if (!setActiveIsa(isa)) continue;
    isas++;
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
