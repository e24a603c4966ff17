#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KIOKU_PAUSE() _mm_pause()
#else
#define KIOKU_PAUSE() std::this_thread::yield()
#endif

namespace kioku {
namespace {

// How long a worker polls for the next job before it naps, by the clock: a PAUSE's cost varies
// between processors and virtual machines (24–84 ns on the machine the benchmarks ran on, so a
// count of 2048 PAUSEs meant 50–170 µs). It spans the gaps between the recurrent kernels' jobs.
constexpr auto kSpinTime = std::chrono::microseconds(50);
// Then it naps: it looks for work every millisecond for a while before sleeping until woken, so
// that jobs which wake nobody (poolRunSpinning) still find it within a millisecond of a burst.
constexpr int kNaps = 100;
// For this long after a job a worker, and a caller waiting for its tasks, poll without PAUSE, so a
// job of a few microseconds (a batch-1 streaming step's half) starts and is seen done a PAUSE
// sooner.
constexpr auto kHotTime = std::chrono::microseconds(5);
// The clock is read once per this many polls (a read costs about as much as a PAUSE).
constexpr int kPollsPerClockRead = 32;

// Polls ready() until it holds (true) or `spin` has passed (false): without PAUSE for kHotTime,
// then with.
template <class Ready>
bool spinUntil(const Ready& ready, std::chrono::steady_clock::duration spin) {
  const auto start = std::chrono::steady_clock::now();
  bool hot = true;
  for (int polls = 1;; polls++) {
    if (ready()) return true;
    if (polls % kPollsPerClockRead == 0) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      if (elapsed >= spin) return false;
      hot = elapsed < kHotTime;
    }
    if (!hot) KIOKU_PAUSE();
  }
}

// One word holds the job's generation (24 bits), its task count and the next unclaimed task (20
// bits each), so a task is claimed by one compare-and-swap that fails once a newer job has
// replaced the one read.
constexpr int kTaskBits = 20;
constexpr uint64_t kTaskMask = (uint64_t{1} << kTaskBits) - 1;
constexpr uint64_t generationOf(uint64_t s) { return s >> (2 * kTaskBits); }
constexpr uint64_t countOf(uint64_t s) { return (s >> kTaskBits) & kTaskMask; }
constexpr uint64_t taskOf(uint64_t s) { return s & kTaskMask; }
constexpr uint64_t stateOf(uint64_t generation, uint64_t count) {
  return (generation << (2 * kTaskBits)) | (count << kTaskBits);
}

struct Pool {
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  // The job's word and its count of finished tasks on cache lines of their own: the caller writes
  // the first and polls the second, the workers the reverse.
  alignas(64) std::atomic<uint64_t> state{0};
  alignas(64) std::atomic<int> done{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};
  // The job of the current generation, written before the generation is published.
  std::atomic<const std::function<void(int)>*> job{nullptr};
  // Serialises callers: a second JS thread (worker_threads) runs its job inline instead.
  std::mutex busy;

  // Claims and runs tasks of generation g until none is left. A task is only ever waited for
  // once claimed, so a worker that wakes late, or never, delays nothing.
  void claim(uint64_t g) {
    for (;;) {
      uint64_t s = state.load(std::memory_order_acquire);
      if (generationOf(s) != g || taskOf(s) >= countOf(s)) return;
      const std::function<void(int)>* fn = job.load(std::memory_order_relaxed);
      if (!state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
      (*fn)(static_cast<int>(taskOf(s)));
      done.fetch_add(1, std::memory_order_release);
    }
  }

  // The generation after `seen` once one is published (after a short spin, asleep), or seen when
  // stopping.
  uint64_t awaitJob(uint64_t seen) {
    const auto published = [&] {
      return generationOf(state.load(std::memory_order_acquire)) != seen || stop.load(std::memory_order_relaxed);
    };
    if (spinUntil(published, kSpinTime)) return generationOf(state.load());
    std::unique_lock<std::mutex> lock(mutex);
    sleepers.fetch_add(1);
    const auto ready = [&] { return generationOf(state.load()) != seen || stop.load(); };
    bool woke = false;
    for (int nap = 0; nap < kNaps && !woke; nap++) woke = wake.wait_for(lock, std::chrono::milliseconds(1), ready);
    if (!woke) wake.wait(lock, ready);
    sleepers.fetch_sub(1);
    return generationOf(state.load());
  }

  void loop(uint64_t seen) {
    for (;;) {
      seen = awaitJob(seen);
      if (stop.load()) return;
      claim(seen);
    }
  }

  void resize(int n) {
    std::lock_guard<std::mutex> guard(busy);
    if (n - 1 == static_cast<int>(workers.size())) return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    wake.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
    stop = false;
    const uint64_t start = generationOf(state.load());
    for (int i = 0; i < n - 1; i++) workers.emplace_back([this, start] { loop(start); });
  }

  // With `wakeSleepers` false only workers already spinning take part: the job never waits for a
  // thread to be scheduled, which suits jobs of a few microseconds.
  void run(int count, const std::function<void(int)>& fn, bool wakeSleepers) {
    std::unique_lock<std::mutex> guard(busy, std::try_to_lock);
    if (!guard.owns_lock() || workers.empty() || count == 1 || static_cast<uint64_t>(count) > kTaskMask) {
      for (int t = 0; t < count; t++) fn(t);
      return;
    }
    job.store(&fn, std::memory_order_relaxed);
    done.store(0, std::memory_order_relaxed);
    const uint64_t g = (generationOf(state.load()) + 1) & ((uint64_t{1} << (64 - 2 * kTaskBits)) - 1);
    state.store(stateOf(g, static_cast<uint64_t>(count)));
    if (wakeSleepers && sleepers.load() > 0) {
      // Taking the lock orders this wake-up after a sleeper's check of the generation.
      { std::lock_guard<std::mutex> lock(mutex); }
      wake.notify_all();
    }
    claim(g);
    const auto finished = [&] { return done.load(std::memory_order_acquire) >= count; };
    spinUntil(finished, std::chrono::steady_clock::duration::max());
  }
};

// Never destroyed: worker threads must not be joined during process teardown.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void poolResize(int threads) { pool().resize(threads < 1 ? 1 : threads); }
int poolSize() { return static_cast<int>(pool().workers.size()) + 1; }
void poolRun(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  pool().run(tasks, fn, true);
}
void poolRunSpinning(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  pool().run(tasks, fn, false);
}

}  // namespace kioku
