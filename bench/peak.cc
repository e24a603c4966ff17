// The machine's FMA peak for the benchmark report: `peak THREADS SECONDS` prints the GFLOP/s of
// THREADS threads each running independent multiply-add chains on native/src/isa/isa.h's vectors
// (the instruction set the compiler flags select; bench/peak.ts builds it for the addon's).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "../native/src/isa/isa.h"

namespace {

using namespace kioku::KIOKU_ISA_NS;

constexpr int kChains = 12;

// Enough independent chains to cover the FMA latency; the result is printed so nothing is elided.
float fmaChains(int64_t iters) {
  V acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = set1(static_cast<float>(i));
  const V x = set1(0.999999f), y = set1(1e-7f);
  // Unrolled, so the accumulators stay in registers.
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; i++) acc[i] = fmadd(acc[i], x, y);
  }
  V s = acc[0];
  for (int i = 1; i < kChains; i++) s = add(s, acc[i]);
  return sum(s);
}

// The best rate of one thread over `seconds` of repeated runs.
double bestRate(double seconds, float* sink) {
  const int64_t iters = 1 << 20;
  double best = 0;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    *sink += fmaChains(iters);
    const auto t1 = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(t1 - t0).count();
    best = std::max(best, 2.0 * kChains * kLanes * iters / dt / 1e9);
    if (std::chrono::duration<double>(t1 - start).count() > seconds) return best;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 0.5;
  std::vector<double> rates(threads);
  std::vector<float> sinks(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) pool.emplace_back([&, t] { rates[t] = bestRate(seconds, &sinks[t]); });
  for (auto& th : pool) th.join();
  double total = 0, sink = 0;
  for (int t = 0; t < threads; t++) total += rates[t], sink += sinks[t];
  std::printf("%.3f\n", total);
  return sink == 12345.f ? 1 : 0;
}
