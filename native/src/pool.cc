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

constexpr int kSpin = 1 << 11;  // ~30 µs of polling before a worker sleeps
// Then it naps: it looks for work every millisecond for a while before sleeping until woken, so
// that jobs which wake nobody (poolRunSpinning) still find it within a millisecond of a burst.
constexpr int kNaps = 100;

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
  std::atomic<uint64_t> state{0};
  std::atomic<int> done{0};
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
    for (int spins = 0; spins < kSpin; spins++) {
      const uint64_t g = generationOf(state.load(std::memory_order_acquire));
      if (g != seen || stop.load(std::memory_order_relaxed)) return g;
      KIOKU_PAUSE();
    }
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
    while (done.load(std::memory_order_acquire) < count) KIOKU_PAUSE();
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
