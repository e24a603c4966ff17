// The seed model's native kernels without Node: `kernels <workload> [reps] [threads]` times one
// workload (median µs over reps) so that perf and callgrind see the kernels alone, apart from V8.
// Workloads: lstm-fwd, lstm-infer (a forward whose saved state nothing reads), lstm-bwd (the seed's LSTM: T 200, B 32, E 128, H 64, or T B E H given, fed
// by V random tokens' rows when V is given), lstm-bwd-emb (that backward given the tokens (V 5000 unless
// given), adding the input gradient into the embedding's gradient by token instead of forming dx),
// adam (the seed's 690 306 parameters), stream (one batch-1 LSTM(E, H) step), stream-token (the same
// step fed by an embedding, its input products gathered from a table), gemm (any product),
// micro (the micro-kernel on operands in L1), gemm-proj (6400×128·128×256), packed (a
// recurrent step's product against a pre-packed B), read (one core's read
// bandwidth from a buffer of a given size: what bounds the stream workload's product).
// Built by bench/native/build.sh.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../../native/src/gemm/gemm.h"
#include "../../native/src/generated/contract.h"
#include "../../native/src/pool.h"
#include "../../native/src/saved_scratch.h"
#include "../../native/src/simd.h"

namespace {

using namespace kioku;

std::vector<float> randomVec(size_t n, float scale, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(gen);
  return v;
}

template <class T>
Array<T> view(std::vector<std::remove_const_t<T>>& v) {
  return {v.data(), static_cast<int64_t>(v.size())};
}

struct Lstm {
  int64_t T, B, E, H, G;
  std::vector<float> x, wIh, wHh, bIh, bHh, h0, c0, out, hN, cN, gates, cells;
  std::vector<float> dhN, dx, dh0, dc0, dWih, dWhh, dbIh, dbHh;
  Lstm(int64_t T_, int64_t B_, int64_t E_, int64_t H_) : T(T_), B(B_), E(E_), H(H_), G(4 * H_) {
    x = randomVec(T * B * E, 1.f, 1);
    wIh = randomVec(G * E, 0.125f, 2);
    wHh = randomVec(G * H, 0.125f, 3);
    bIh = randomVec(G, 0.125f, 4);
    bHh = randomVec(G, 0.125f, 5);
    h0.assign(B * H, 0.f);
    c0.assign(B * H, 0.f);
    out.assign(T * B * H, 0.f);
    hN.assign(B * H, 0.f);
    cN.assign(B * H, 0.f);
    gates.assign(T * B * G, 0.f);
    cells.assign(T * B * H, 0.f);
    dhN = randomVec(B * H, 1.f, 6);
    dx.assign(T * B * E, 0.f);
    dh0.assign(B * H, 0.f);
    dc0.assign(B * H, 0.f);
    dWih.assign(G * E, 0.f);
    dWhh.assign(G * H, 0.f);
    dbIh.assign(G, 0.f);
    dbHh.assign(G, 0.f);
  }
  LstmForwardArgs forwardArgs() {
    LstmForwardArgs a;
    a.T = T, a.B = B, a.E = E, a.H = H, a.P = 0;
    a.x = view<const float>(x), a.wIh = view<const float>(wIh), a.wHh = view<const float>(wHh);
    a.bIh = view<const float>(bIh), a.bHh = view<const float>(bHh);
    a.h0 = view<const float>(h0), a.c0 = view<const float>(c0);
    a.out = view<float>(out), a.hN = view<float>(hN), a.cN = view<float>(cN);
    a.gates = view<float>(gates), a.cells = view<float>(cells);
    return a;
  }
  LstmBackwardArgs backwardArgs() {
    LstmBackwardArgs a;
    a.T = T, a.B = B, a.E = E, a.H = H, a.P = 0;
    a.x = view<const float>(x), a.wIh = view<const float>(wIh), a.wHh = view<const float>(wHh);
    a.h0 = view<const float>(h0), a.c0 = view<const float>(c0);
    a.out = view<const float>(out), a.gates = view<const float>(gates), a.cells = view<const float>(cells);
    a.dhN = view<const float>(dhN);
    a.dx = view<float>(dx), a.dh0 = view<float>(dh0), a.dc0 = view<float>(dc0);
    a.dWih = view<float>(dWih), a.dWhh = view<float>(dWhh), a.dbIh = view<float>(dbIh), a.dbHh = view<float>(dbHh);
    return a;
  }
};

double cpuUs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

// Median wall time of fn over reps runs after one untimed run; *cpu gets the median process CPU
// time, which on a loaded machine stays near what a quiet one would take (no time spent waiting
// for a core is counted).
double gMinUs = 0;  // the fastest of the last medianUs runs, wall time
double gP10Us = 0;  // their 10th percentile, wall time

double medianUs(int reps, const std::function<void()>& fn, double* cpu) {
  fn();
  std::vector<double> t, c;
  for (int i = 0; i < reps; i++) {
    const double c0 = cpuUs();
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    c.push_back(cpuUs() - c0);
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  gMinUs = t[0];
  gP10Us = t[t.size() / 10];
  *cpu = c[c.size() / 2];
  return t[t.size() / 2];
}

#if defined(__x86_64__)
#include <immintrin.h>
// Sums n floats (n a multiple of 128) in 16 independent chains of AVX2 vectors: the read bandwidth
// of the cache level that holds them, with no arithmetic in the way.
__attribute__((target("avx2"))) float sumRead(const float* a, int64_t n) {
  __m256 s[16];
  for (auto& v : s) v = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 128)
    for (int j = 0; j < 16; j++) s[j] = _mm256_add_ps(s[j], _mm256_loadu_ps(a + i + 8 * j));
  for (int j = 1; j < 16; j++) s[0] = _mm256_add_ps(s[0], s[j]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s[0]);
  return out[0];
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "lstm-fwd";
  const int reps = argc > 2 ? std::atoi(argv[2]) : 21;
  poolResize(argc > 3 ? std::atoi(argv[3]) : 1);
  double us = 0, cpu = 0;
  if (what == "lstm-fwd" || what == "lstm-bwd" || what == "lstm-bwd-emb" || what == "lstm-infer") {
    // lstm-fwd|lstm-bwd [reps] [threads] [T B E H] [V]: the seed's LSTM unless given; with V > 0
    // its input is an embedding's: each row a copy of one of V random rows (tokens drawn uniformly).
    // lstm-bwd-emb: the backward given those tokens, adding into the embedding's gradient (no dx).
    const auto dim = [&](int i, int64_t v) { return argc > i ? std::atoll(argv[i]) : v; };
    Lstm l(dim(4, 200), dim(5, 32), dim(6, 128), dim(7, 64));
    const int64_t V = dim(8, what == "lstm-bwd-emb" ? 5000 : 0);
    std::vector<int32_t> ids(V > 0 ? l.T * l.B : 0);
    std::vector<float> dEmbedding(V * l.E, 0.f);
    if (V > 0) {
      const std::vector<float> table = randomVec(V * l.E, 1.f, 7);
      std::mt19937 gen(8);
      std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(V - 1));
      for (int64_t r = 0; r < l.T * l.B; r++) {
        ids[r] = token(gen);
        std::memcpy(l.x.data() + r * l.E, table.data() + ids[r] * l.E, l.E * sizeof(float));
      }
    }
    LstmForwardArgs f = l.forwardArgs();
    lstmForward(f);
    if (what == "lstm-fwd") {
      us = medianUs(reps, [&] { lstmForward(f); }, &cpu);
    } else if (what == "lstm-infer") {
      // As the addon runs a forward given null saved state: nothing reads the gates and cells.
      savedStateDiscarded() = true;
      us = medianUs(reps, [&] { lstmForward(f); }, &cpu);
      savedStateDiscarded() = false;
    } else {
      LstmBackwardArgs b = l.backwardArgs();
      if (what == "lstm-bwd-emb") {
        b.dx = {}, b.V = V, b.tokens = view<const int32_t>(ids), b.paddingIdx = -1;
        b.dEmbedding = view<float>(dEmbedding);
      }
      us = medianUs(reps, [&] { lstmBackward(b); }, &cpu);
    }
  } else if (what == "stream") {
    // stream [reps] [threads] [E] [H] [offset] [steps]: one batch-1 step, weights `offset` floats
    // (0–15) past a 64-byte boundary, timed in batches of `steps` steps (1000).
    const int64_t E = argc > 4 ? std::atoll(argv[4]) : 128, H = argc > 5 ? std::atoll(argv[5]) : 64;
    const int64_t offset = argc > 6 ? std::atoll(argv[6]) % 16 : 0;
    const int steps = argc > 7 ? std::max(1, std::atoi(argv[7])) : 1000;
    Lstm l(1, 1, E, H);
    LstmForwardArgs f = l.forwardArgs();
    std::vector<float> w((l.wIh.size() + l.wHh.size()) + 64);
    float* wIh = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(w.data()) + 63) & ~uintptr_t(63)) + offset;
    float* wHh = wIh + (l.wIh.size() + 15) / 16 * 16;
    std::copy(l.wIh.begin(), l.wIh.end(), wIh);
    std::copy(l.wHh.begin(), l.wHh.end(), wHh);
    f.wIh.data = wIh;
    f.wHh.data = wHh;
    us = medianUs(reps, [&] {
      for (int i = 0; i < steps; i++) lstmForward(f);
    }, &cpu) / steps;
    cpu /= steps;
    gMinUs *= 1000.0 / steps;
    gP10Us *= 1000.0 / steps;
    std::printf("stream E %lld H %lld: %.1f weight bytes per ns by cpu time, fastest batch %.2f us per step, "
                "10th percentile %.2f\n",
                (long long)E, (long long)H, 4.0 * 4 * H * (E + H) / (cpu * 1e3), gMinUs / 1000, gP10Us / 1000);
  } else if (what == "stream-token") {
    // stream-token [reps] [threads] [V] [E] [H] [offset]: a batch-1 LSTM(E, H) step fed by an
    // embedding of V tokens. Every token's input product is computed once by the streaming product
    // (table (V, G) = emb·W_ihᵀ + b_ih); a step gathers a random token's row into the input bias
    // and runs the kernel with E = 0, so it reads W_hh alone (W_hh `offset` floats past 64 bytes).
    const int64_t V = argc > 4 ? std::atoll(argv[4]) : 5000, E = argc > 5 ? std::atoll(argv[5]) : 128;
    const int64_t H = argc > 6 ? std::atoll(argv[6]) : 64, offset = argc > 7 ? std::atoll(argv[7]) % 16 : 0;
    Lstm l(1, 1, E, H), z(1, 1, 0, H);
    const int64_t G = l.G;
    const std::vector<float> emb = randomVec(V * E, 1.f, 7);
    std::vector<float> table(V * G);
    for (int64_t v = 0; v < V; v++) {
      float* row = table.data() + v * G;
      sgemv(G, l.wIh.data(), E, emb.data() + v * E, E, nullptr, 0, nullptr, 0, row, false);
      for (int64_t g = 0; g < G; g++) row[g] += l.bIh[g];
    }
    std::vector<float> w(z.wHh.size() + 16 + 16);
    float* wHh = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(w.data()) + 63) & ~uintptr_t(63)) + offset;
    std::copy(l.wHh.begin(), l.wHh.end(), wHh);
    z.bHh = l.bHh;
    LstmForwardArgs f = z.forwardArgs();
    f.wHh.data = wHh;
    std::vector<float> bias(G);
    f.bIh = view<const float>(bias);
    std::mt19937 gen(8);
    std::vector<int64_t> tokens(4096);
    for (auto& t : tokens) t = std::uniform_int_distribution<int64_t>(0, V - 1)(gen);
    int64_t next = 0;
    us = medianUs(reps, [&] {
      for (int i = 0; i < 1000; i++, next++) {
        std::memcpy(bias.data(), table.data() + tokens[next & 4095] * G, G * sizeof(float));
        lstmForward(f);
      }
    }, &cpu) / 1000;
    cpu /= 1000;
    std::printf("stream-token V %lld E %lld H %lld: fastest batch %.2f us per step, 10th percentile %.2f\n",
                (long long)V, (long long)E, (long long)H, gMinUs / 1000, gP10Us / 1000);
  } else if (what == "read") {
    // read [reps] [threads] [KiB]: how fast one core reads a buffer of that size again and again
    // (196 KiB: a streaming LSTM(128, 64) step's weights), bytes per ns by cpu time.
#if defined(__x86_64__)
    const int64_t n = (argc > 4 ? std::atoll(argv[4]) : 196) * 1024 / 4 / 128 * 128;
    if (n <= 0 || !__builtin_cpu_supports("avx2")) {
      std::fprintf(stderr, "kernels: read needs AVX2 and a size of at least 1 KiB\n");
      return 2;
    }
    std::vector<float> a = randomVec(n + 16, 1.f, 1);
    // 64-byte aligned, so that no load straddles two cache lines.
    const float* data = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(a.data()) + 63) & ~uintptr_t(63));
    float sink = 0;
    us = medianUs(reps, [&] {
      for (int i = 0; i < 1000; i++) sink += sumRead(data, n);
    }, &cpu) / 1000;
    cpu /= 1000;
    std::printf("read %lld KiB: %.1f bytes per ns by cpu time, fastest batch %.1f (sum %g)\n",
                (long long)(n * 4 / 1024), n * 4.0 / (cpu * 1e3), n * 4.0 / gMinUs, sink);
#else
    std::fprintf(stderr, "kernels: read is written for x86-64\n");
    return 2;
#endif
  } else if (what == "adam") {
    const int64_t n = 5000 * 128 + 256 * 128 + 256 * 64 + 2 * 256 + 2 * 64 + 2;
    std::vector<float> p = randomVec(n, 0.1f, 1), g = randomVec(n, 0.1f, 2), m(n, 0.f), v(n, 0.f);
    AdamStepArgs a;
    a.param = view<float>(p), a.grad = view<const float>(g), a.m = view<float>(m), a.v = view<float>(v);
    a.lr = 1e-3, a.beta1 = 0.9, a.beta2 = 0.999, a.eps = 1e-8, a.weightDecay = 0, a.decoupled = false;
    a.maximize = false, a.step = 1;
    us = medianUs(reps, [&] { adamStep(a); }, &cpu);
  } else if (what == "gemm-proj") {
    std::vector<float> a = randomVec(6400 * 128, 1.f, 1), b = randomVec(256 * 128, 1.f, 2), c(6400 * 256);
    us = medianUs(reps, [&] { sgemmParallel(false, true, 6400, 256, 128, a.data(), 128, b.data(), 128, c.data(), 256, false); }, &cpu);
  } else if (what == "gemm") {
    // gemm TA TB M N K: C = op(A)·op(B), row-major, leading dimensions as stored.
    const bool ta = argc > 4 && argv[4][0] == '1', tb = argc > 5 && argv[5][0] == '1';
    const int64_t m = std::atoll(argv[6]), n = std::atoll(argv[7]), kk = std::atoll(argv[8]);
    std::vector<float> a = randomVec(m * kk, 1.f, 1), b = randomVec(kk * n, 1.f, 2), c(m * n);
    const int64_t lda = ta ? m : kk, ldb = tb ? kk : n;
    us = medianUs(reps, [&] {
      sgemmParallel(ta, tb, m, n, kk, a.data(), lda, b.data(), ldb, c.data(), n, true);
    }, &cpu);
    std::printf("gemm %d%d %lldx%lldx%lld: %.1f GFLOP/s by cpu time, %.1f by wall\n", ta, tb, (long long)m,
                (long long)n, (long long)kk, 2.0 * m * n * kk / cpu / 1e3, 2.0 * m * n * kk / us / 1e3);
  } else if (what == "packed") {
    // packed M N K: a recurrent step's product, C(M×N) = A(M×K)·Bᵀ with B (N×K) packed once by
    // packB, as the time loop runs it; 1000 products per timed run.
    const int64_t m = std::atoll(argv[4]), n = std::atoll(argv[5]), kk = std::atoll(argv[6]);
    std::vector<float> a = randomVec(m * kk, 1.f, 1), b = randomVec(kk * n, 1.f, 2), c(m * n);
    PackedB pb;
    packB(true, kk, n, b.data(), kk, m, pb);
    us = medianUs(reps, [&] {
      for (int i = 0; i < 1000; i++) sgemmPacked(m, a.data(), kk, pb, c.data(), n, false);
    }, &cpu) / 1000;
    cpu /= 1000;
    std::printf("packed %lldx%lldx%lld: %.1f GFLOP/s by cpu time\n", (long long)m, (long long)n, (long long)kk,
                2.0 * m * n * kk / cpu / 1e3);
  } else if (what == "micro") {
    // The micro-kernel alone on a tile whose operands sit in L1: its best rate, FLOP per µs.
    const SimdKernels& k = simd();
    const int64_t kc = argc > 4 ? std::atoi(argv[4]) : 128;
    std::vector<float> a = randomVec(kc * k.mr, 1.f, 1), b = randomVec(kc * k.nr, 1.f, 2), c(k.mr * k.nr);
    us = medianUs(reps, [&] {
      for (int i = 0; i < 10000; i++) k.micro(kc, a.data(), 1, k.mr, b.data(), c.data(), k.nr, false);
    }, &cpu);
    std::printf("micro %s %dx%d: %.1f GFLOP/s by cpu time\n", k.name, k.mr, k.nr, 2.0 * kc * k.mr * k.nr * 1e4 / cpu / 1e3);
  } else {
    std::fprintf(stderr, "kernels: unknown workload '%s'\n", what.c_str());
    return 2;
  }
  std::printf("%s: wall %.2f us, cpu %.2f us (medians of %d)\n", what.c_str(), us, cpu, reps);
  return 0;
}
