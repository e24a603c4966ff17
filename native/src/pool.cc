#include "pool.h"

#include <atomic>
#include <condition_variable>
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

struct Pool {
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<unsigned> generation{0};
  std::atomic<int> next{0};
  std::atomic<int> finished{0};
  std::atomic<bool> stop{false};
  const std::function<void(int)>* job = nullptr;
  int tasks = 0;
  // Serialises callers: a second JS thread (worker_threads) runs its job inline instead.
  std::mutex busy;

  void drain() {
    const std::function<void(int)>& fn = *job;
    for (int t = next.fetch_add(1); t < tasks; t = next.fetch_add(1)) fn(t);
  }

  void loop(unsigned seen) {
    for (;;) {
      int spins = 0;
      while (generation.load(std::memory_order_acquire) == seen && !stop.load()) {
        if (++spins < kSpin) {
          KIOKU_PAUSE();
          continue;
        }
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation.load() != seen || stop.load(); });
      }
      if (stop.load()) return;
      seen = generation.load();
      drain();
      finished.fetch_add(1, std::memory_order_acq_rel);
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
    const unsigned start = generation.load();
    for (int i = 0; i < n - 1; i++) workers.emplace_back([this, start] { loop(start); });
  }

  void run(int count, const std::function<void(int)>& fn) {
    std::unique_lock<std::mutex> guard(busy, std::try_to_lock);
    if (!guard.owns_lock() || workers.empty() || count == 1) {
      for (int t = 0; t < count; t++) fn(t);
      return;
    }
    job = &fn;
    tasks = count;
    next.store(0);
    finished.store(0);
    {
      std::lock_guard<std::mutex> lock(mutex);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    drain();
    const int n = static_cast<int>(workers.size());
    while (finished.load(std::memory_order_acquire) < n) KIOKU_PAUSE();
    job = nullptr;
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
  pool().run(tasks, fn);
}

}  // namespace kioku
