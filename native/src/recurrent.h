// Pieces shared by the fused recurrent kernels (lstm.cc, gru.cc, rnn.cc).
// Sequences are time-major: element (t, b, k) of a (T, B, K) buffer is at (t·B + b)·K + k. With
// per-sample lengths, sample b is active at step s < len[b] and reads time t = s (forward) or
// t = len[b] − 1 − s (reverse), as PyTorch's packed sequences.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "pool.h"

namespace kioku {

// Gate loops are compiled for AVX-512, AVX2+FMA and the baseline; the loader picks by CPU.
#define KIOKU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

inline void checkSizes(const Napi::CallbackInfo& info, const char* fn, long T, long B, long E, long H, long gates) {
  if (H < 1) throwRange(info.Env(), std::string(fn) + ": H must be at least 1, got " + std::to_string(H));
  if (static_cast<double>(T) * B * gates * H > 2147483647.0 || static_cast<double>(T) * B * E > 2147483647.0)
    throwRange(info.Env(), std::string(fn) + ": T·B·G and T·B·E must stay below 2^31");
}

inline long timeAt(long s, long len, bool reverse) {
  if (s >= len) return -1;
  return reverse ? len - 1 - s : s;
}

inline long prevTime(long t, long len, bool reverse) {
  if (reverse) return t + 1 < len ? t + 1 : -1;
  return t - 1;
}

// Splits B samples into slices of ≥ 8 rows, about two per thread: the pool hands slices out
// dynamically, so a thread that the OS delays leaves its share to the others.
struct Slices {
  long chunk;
  int count;
};
inline Slices sliceBatch(long B) {
  const long threads = poolSize();
  const long chunk = std::max<long>(8, (B + 2 * threads - 1) / (2 * threads));
  return {chunk, static_cast<int>((B + chunk - 1) / chunk)};
}

// Scratch floats for one kernel call. Small requests reuse a per-thread buffer, so a streaming
// caller (batch 1, one step per call) allocates nothing; large ones, and a second workspace alive
// on the same thread, get their own allocation.
class Workspace {
 public:
  explicit Workspace(long n) {
    if (n <= kReuse && !busy()) {
      busy() = true;
      claimed_ = true;
      std::vector<float>& buf = reused();
      if (static_cast<long>(buf.size()) < n) buf.resize(n);
      data_ = buf.data();
      return;
    }
    owned_.reset(new float[std::max<long>(n, 1)]);
    data_ = owned_.get();
  }
  ~Workspace() {
    if (claimed_) busy() = false;
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  float* data() const { return data_; }

 private:
  static constexpr long kReuse = 1 << 16;
  static bool& busy() {
    thread_local bool b = false;
    return b;
  }
  static std::vector<float>& reused() {
    thread_local std::vector<float> buf;
    return buf;
  }
  std::unique_ptr<float[]> owned_;
  float* data_ = nullptr;
  bool claimed_ = false;
};

// Runs body(task) for every task: inline when there is one, so small batches never touch the pool.
template <typename Body>
void runTasks(int count, const Body& body) {
  if (count == 1)
    body(0);
  else
    poolRun(count, body);
}

inline F32 f32OrNull(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, long need) {
  if (info[i].IsNull() || info[i].IsUndefined()) return {nullptr, 0};
  const F32 a = f32Arg(info, i, fn, name);
  checkLength(info.Env(), fn, name, a.length, need);
  return a;
}

inline F32 f32Need(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, long need) {
  const F32 a = f32Arg(info, i, fn, name);
  checkLength(info.Env(), fn, name, a.length, need);
  return a;
}

// Per-sample lengths: the caller's Int32Array, or T for every sample when it passed null. A view,
// not a copy, so a call allocates nothing for it.
struct Lengths {
  const int32_t* data;
  long T;
  long operator[](long b) const { return data ? data[b] : T; }
};

// The lengths argument, each checked to lie in [0, T].
inline Lengths lengthsArg(const Napi::CallbackInfo& info, size_t i, const char* fn, long B, long T, bool* given) {
  *given = !(info[i].IsNull() || info[i].IsUndefined());
  if (!*given) return {nullptr, T};
  long n = 0;
  const int32_t* p = i32Arg(info, i, fn, "lengths", &n);
  checkLength(info.Env(), fn, "lengths", n, B);
  for (long b = 0; b < B; b++) {
    if (p[b] < 0 || p[b] > T)
      throwRange(info.Env(), std::string(fn) + ": lengths[" + std::to_string(b) + "] must be in [0, " +
                                 std::to_string(T) + "], got " + std::to_string(p[b]));
  }
  return {p, T};
}

// The state each (t, b) started from as a (T·B, H) matrix for the dW_hh product: h0[b] at the
// sample's first step, else the previous step's output; zero past the sample's length.
inline std::unique_ptr<float[]> previousStates(long T, long B, long H, const float* h0, const float* out,
                                               const Lengths& lens, bool reverse) {
  std::unique_ptr<float[]> prev(new float[std::max<long>(T * B * H, 1)]);
  for (long b = 0; b < B; b++) {
    for (long t = 0; t < T; t++) {
      float* dst = prev.get() + (t * B + b) * H;
      if (t >= lens[b]) {
        std::memset(dst, 0, H * sizeof(float));
        continue;
      }
      const long p = prevTime(t, lens[b], reverse);
      std::memcpy(dst, p < 0 ? h0 + b * H : out + (p * B + b) * H, H * sizeof(float));
    }
  }
  return prev;
}

// dst1[j] += Σ_r src[r·ld + j] and likewise dst2 (either may be null), summed in double.
inline void columnSumsInto(long rows, long cols, const float* src, long ld, float* dst1, float* dst2) {
  if (!dst1 && !dst2) return;
  std::vector<double> sum(cols, 0.0);
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < cols; j++) sum[j] += src[r * ld + j];
  for (long j = 0; j < cols; j++) {
    if (dst1) dst1[j] += static_cast<float>(sum[j]);
    if (dst2) dst2[j] += static_cast<float>(sum[j]);
  }
}

// b_ih + b_hh over the first nHh entries of b_hh, broadcast into `rows` rows of `out` (stride ld);
// false when there is no bias at all.
inline bool fillBias(long rows, long G, const float* bIh, const float* bHh, long nHh, float* out, long ld) {
  if (!bIh && !bHh) return false;
  std::vector<float> bias(G, 0.f);
  for (long j = 0; j < G; j++) bias[j] = (bIh ? bIh[j] : 0.f) + (bHh && j < nHh ? bHh[j] : 0.f);
  for (long r = 0; r < rows; r++) std::memcpy(out + r * ld, bias.data(), G * sizeof(float));
  return true;
}

}  // namespace kioku
