// Sequences, lengths, batch slices and scratch for the recurrent driver (driver.h).
// Sequences are time-major: element (t, b, k) of a (T, B, K) buffer is at (t·B + b)·K + k. With
// per-sample lengths, sample b is active at step s < len[b] and reads time t = s (forward) or
// t = len[b] − 1 − s (reverse), as PyTorch's packed sequences.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "../pool.h"

namespace kioku {

// Per-sample lengths: the caller's Int32Array (already checked to lie in [0, T]), or T for every
// sample when it passed null. A view, not a copy, so a call allocates nothing for it.
struct Lengths {
  const int32_t* data;
  int64_t T;
  int64_t operator[](int64_t b) const { return data ? data[b] : T; }
};

// Time index of a sample at step s, or −1 once it has finished.
inline int64_t timeAt(int64_t s, int64_t len, bool reverse) {
  if (s >= len) return -1;
  return reverse ? len - 1 - s : s;
}

// The time index of the step before t in the direction of travel, or −1 at the sample's first step.
inline int64_t prevTime(int64_t t, int64_t len, bool reverse) {
  if (reverse) return t + 1 < len ? t + 1 : -1;
  return t - 1;
}

// Splits B samples into slices of ≥ 8 rows, about two per thread: the pool hands slices out
// dynamically, so a thread that the OS delays leaves its share to the others. Where that would cut
// slices under kWholeSliceRows, each thread gets one slice instead: a slice of 8 rows leaves a 2-row
// edge of the 6-row AVX2 tile at every step, whose few accumulators wait on the FMA latency, where
// 16 rows end in a 4-row edge.
constexpr int64_t kWholeSliceRows = 16;
struct Slices {
  int64_t chunk;
  int count;
};
inline Slices sliceBatch(int64_t B) {
  const int64_t threads = poolSize();
  int64_t chunk = std::max<int64_t>(8, (B + 2 * threads - 1) / (2 * threads));
  if (chunk < kWholeSliceRows && B >= kWholeSliceRows * threads) chunk = (B + threads - 1) / threads;
  return {chunk, static_cast<int>((B + chunk - 1) / chunk)};
}

// Runs body(task) for every task: inline when there is one, so small batches never touch the pool.
template <typename Body>
void runTasks(int count, const Body& body) {
  if (count == 1)
    body(0);
  else
    poolRun(count, body);
}

// Scratch floats for one kernel call. Small requests reuse a per-thread buffer, so a streaming
// caller (batch 1, one step per call) allocates nothing; large ones, and a second workspace alive
// on the same thread, get their own allocation.
class Workspace {
 public:
  explicit Workspace(int64_t n) {
    if (n <= kReuse && !busy()) {
      busy() = true;
      claimed_ = true;
      std::vector<float>& buf = reused();
      if (static_cast<int64_t>(buf.size()) < n) buf.resize(n);
      data_ = buf.data();
      return;
    }
    owned_.reset(new float[std::max<int64_t>(n, 1)]);
    data_ = owned_.get();
  }
  ~Workspace() {
    if (claimed_) busy() = false;
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  float* data() const { return data_; }

 private:
  static constexpr int64_t kReuse = 1 << 16;
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

// The state each (t, b) started from as a (T·B, K) matrix for the dW_hh product: h0[b] at the
// sample's first step, else the previous step's output; zero past the sample's length.
inline std::unique_ptr<float[]> previousStates(int64_t T, int64_t B, int64_t K, const float* h0, const float* out,
                                               const Lengths& lens, bool reverse) {
  std::unique_ptr<float[]> prev(new float[std::max<int64_t>(T * B * K, 1)]);
  for (int64_t b = 0; b < B; b++) {
    for (int64_t t = 0; t < T; t++) {
      float* dst = prev.get() + (t * B + b) * K;
      if (t >= lens[b]) {
        std::memset(dst, 0, K * sizeof(float));
        continue;
      }
      const int64_t p = prevTime(t, lens[b], reverse);
      std::memcpy(dst, p < 0 ? h0 + b * K : out + (p * B + b) * K, K * sizeof(float));
    }
  }
  return prev;
}

// dst1[j] += Σ_r src[r·ld + j] and likewise dst2 (either may be null), summed in double: over row
// ranges, one per thread for a large src, whose sums are added in a fixed order.
inline void columnSumsInto(int64_t rows, int64_t cols, const float* src, int64_t ld, float* dst1, float* dst2) {
  if (!dst1 && !dst2) return;
  const int tasks = rows * cols >= (1 << 16) ? poolSize() : 1;
  const int64_t chunk = (rows + tasks - 1) / tasks;
  std::vector<double> sums(static_cast<size_t>(tasks * cols), 0.0);
  runTasks(tasks, [&](int t) {
    double* sum = sums.data() + t * cols;
    for (int64_t r = t * chunk; r < std::min(rows, (t + 1) * chunk); r++)
      for (int64_t j = 0; j < cols; j++) sum[j] += src[r * ld + j];
  });
  for (int64_t j = 0; j < cols; j++) {
    double total = 0;
    for (int t = 0; t < tasks; t++) total += sums[t * cols + j];
    if (dst1) dst1[j] += static_cast<float>(total);
    if (dst2) dst2[j] += static_cast<float>(total);
  }
}

// dst[i] += src[i] for n elements (dst may be null).
inline void addInto(int64_t n, const float* src, float* dst) {
  if (dst)
    for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

}  // namespace kioku
