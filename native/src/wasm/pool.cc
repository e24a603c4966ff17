// The thread pool of the WebAssembly builds (pool.h). The one-thread builds run every task on the
// caller. The threaded build (-matomics, shared memory: scripts/build-wasm.sh) is instantiated once
// more per worker on the same memory (src/backend/wasm/threads.ts); each worker instance enters
// kioku_thread_run, which waits for jobs on memory.atomic.wait32. A job's tasks are claimed one at
// a time through one atomic word, the caller claiming too, so a product never waits for a worker to
// start or wake: it only waits for tasks a worker has claimed. Which thread runs a task never
// changes what the task computes, so results do not depend on the thread count.
//
// A worker that dies holding a task (a trap: its script calls kioku_thread_lost; a termination,
// which no code of its own outlives: the caller's wait sees no task finish for stallMs) would leave
// the caller waiting for ever. Instead the pool stops for good (one thread from then on: threadCount
// says 1) and the call fails through the host's kioku.fail (abi.cc), before the JS side has copied
// any output back.
//
// poolSize() stays 1 in every build, so the recurrent driver's per-step work and its batch slices
// stay on the caller (one step's products take ~20 µs; a wake-up round trip costs 35–50 µs). Only
// what calls poolRun with several tasks uses the workers: the GEMM's large products
// (gemm/driver.cc asks threadCount() how to split them) and the Adam step's ranges.
#include "../pool.h"

#include <cstdint>

#include "threads.h"

#if defined(__wasm_atomics__)
#include <atomic>
#include <cstdlib>
#endif

namespace kioku {

int poolSize() { return 1; }
void poolResize(int) {}
void poolRunSpinning(int tasks, const std::function<void(int)>& fn) { poolRun(tasks, fn); }

#if !defined(__wasm_atomics__)

void poolRun(int tasks, const std::function<void(int)>& fn) {
  for (int t = 0; t < tasks; t++) fn(t);
}
int wasm::threadCount() { return 1; }

}  // namespace kioku

#else

namespace {

// The job: its id (16 bits, so a claim on a finished job's word cannot succeed on the next one's),
// its task count (24 bits) and the next unclaimed task (24 bits), in one word claimed by CAS.
std::atomic<uint64_t> job{0};
std::atomic<const std::function<void(int)>*> jobFn{nullptr};
std::atomic<int32_t> finished{0};
// Bumped for each job; idle workers wait on it.
std::atomic<int32_t> generation{0};
std::atomic<int32_t> workers{0};
std::atomic<int32_t> stopping{0};
// Whether the calling thread may block in memory.atomic.wait32 (Node's main thread may, a
// browser's main thread may not): set by the host (thread_caller_may_wait).
std::atomic<int32_t> callerMayWait{0};
// Tasks the workers have run (tests check that they take part).
std::atomic<int32_t> workerTasks{0};
// Tasks lost with the worker that held them (kioku_thread_lost).
std::atomic<int32_t> lostTasks{0};
// Set once the pool has stopped for good.
std::atomic<int32_t> abandoned{0};
// How long the caller waits for a claimed task while no task finishes before it takes the worker
// holding it for dead: far longer than a task (a panel of a product: milliseconds) on a busy
// machine. A worker only preempted that long would still finish its task later, into memory the
// failed call no longer owns: the price of not waiting for ever on one that was terminated.
std::atomic<int32_t> stallMs{10000};
thread_local bool inWorker = false;
// Whether this worker runs a task now (a trap there loses it), and whether it counts in `workers`.
thread_local bool holding = false;
thread_local bool counted = false;

constexpr uint64_t kTaskMask = (uint64_t{1} << 24) - 1;
// About 50 µs of polling before a worker sleeps: a product's panels come back to back.
constexpr int kSpins = 20000;

int32_t* address(std::atomic<int32_t>& a) { return reinterpret_cast<int32_t*>(&a); }

// Claims and runs tasks of the current job until none is left.
void work() {
  uint64_t s = job.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t tasks = (s >> 24) & kTaskMask, next = s & kTaskMask;
    if (next >= tasks) return;
    if (!job.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The job cannot end before this task finishes, so its function is still the current one.
    holding = true;
    (*jobFn.load(std::memory_order_relaxed))(static_cast<int>(next));
    holding = false;
    if (inWorker) workerTasks.fetch_add(1, std::memory_order_relaxed);
    if (finished.fetch_add(1, std::memory_order_release) + 1 == static_cast<int32_t>(tasks) && inWorker)
      __builtin_wasm_memory_atomic_notify(address(finished), 1);
    s = job.load(std::memory_order_acquire);
  }
}

// Stops the pool for good: every worker leaves its loop, products run on the caller alone.
void abandon() {
  abandoned.store(1, std::memory_order_release);
  stopping.store(1, std::memory_order_release);
  generation.fetch_add(1, std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(address(generation), ~0u);
  __builtin_wasm_memory_atomic_notify(address(finished), ~0u);
}

// The host's clock in milliseconds (performance.now).
extern "C" __attribute__((import_module("kioku"), import_name("now"))) double kioku_host_now();

// Waits for the tasks the workers claimed: polls a while (they are short), then, where it may,
// sleeps until the last one ends, so that on a busy machine it does not hold a core a worker that
// was preempted mid-task needs (a browser's main thread keeps polling). False when a worker was
// lost holding one of them (the pool has stopped).
bool waitForWorkers(int tasks, int32_t lostBefore) {
  for (int i = 0; i < kSpins; i++)
    if (finished.load(std::memory_order_acquire) >= tasks) return true;
  const bool mayWait = callerMayWait.load(std::memory_order_relaxed) != 0;
  int32_t seen = -1;
  double since = 0;
  for (;;) {
    const int32_t done = finished.load(std::memory_order_acquire);
    const int32_t lost = lostTasks.load(std::memory_order_acquire) - lostBefore;
    if (done + lost >= tasks) return lost == 0;
    const double now = kioku_host_now();
    if (done != seen) {
      seen = done;
      since = now;
    } else if (now - since > stallMs.load(std::memory_order_relaxed)) {
      abandon();
      return false;
    }
    if (mayWait) __builtin_wasm_memory_atomic_wait32(address(finished), done, 1000000);
  }
}

}  // namespace

int wasm::threadCount() {
  return abandoned.load(std::memory_order_relaxed) ? 1 : 1 + workers.load(std::memory_order_relaxed);
}

void poolRun(int tasks, const std::function<void(int)>& fn) {
  const int32_t helpers = workers.load(std::memory_order_relaxed);
  if (tasks <= 1 || helpers <= 0 || abandoned.load(std::memory_order_acquire) || inWorker ||
      tasks > static_cast<int>(kTaskMask)) {
    for (int t = 0; t < tasks; t++) fn(t);
    return;
  }
  static uint64_t lastId = 0;
  lastId = (lastId + 1) & 0xffff;
  jobFn.store(&fn, std::memory_order_relaxed);
  const int32_t lostBefore = lostTasks.load(std::memory_order_acquire);
  finished.store(0, std::memory_order_relaxed);
  job.store(lastId << 48 | static_cast<uint64_t>(tasks) << 24, std::memory_order_release);
  generation.fetch_add(1, std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(address(generation), static_cast<uint32_t>(helpers));
  work();
  if (!waitForWorkers(tasks, lostBefore))
    wasm::failWorkerLost("a worker thread stopped in the middle of its part of the work");
}

}  // namespace kioku

// A worker instance's loop, until kioku_thread_stop. Its stack pointer is already set; tls is its
// block for thread_local data (__builtin_wasm_tls_size bytes, kioku_thread_tls_bytes).
extern "C" void __wasm_init_tls(void* tls);
extern "C" __attribute__((export_name("thread_run"))) void kioku_thread_run(void* tls) {
  using namespace kioku;
  __wasm_init_tls(tls);
  inWorker = true;
  counted = true;
  workers.fetch_add(1, std::memory_order_relaxed);
  int32_t seen = generation.load(std::memory_order_acquire);
  for (;;) {
    if (stopping.load(std::memory_order_acquire)) {
      counted = false;
      workers.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    int32_t now = seen;
    for (int i = 0; i < kSpins && now == seen; i++) now = generation.load(std::memory_order_acquire);
    if (now == seen) {
      __builtin_wasm_memory_atomic_wait32(address(generation), seen, -1);
      continue;
    }
    seen = now;
    work();
  }
}

// Ends every worker's loop (between jobs: the caller is the one thread that runs them).
extern "C" __attribute__((export_name("thread_stop"))) void kioku_thread_stop() {
  using namespace kioku;
  stopping.store(1, std::memory_order_release);
  generation.fetch_add(1, std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(address(generation), ~0u);
}

// Called by a worker's script after its thread_run threw (a trap, a failed check in a task): the
// task it held counts as lost, so the caller stops waiting for it, and the pool stops for good.
extern "C" __attribute__((export_name("thread_lost"))) void kioku_thread_lost() {
  using namespace kioku;
  if (counted) workers.fetch_sub(1, std::memory_order_relaxed);
  counted = false;
  if (holding) lostTasks.fetch_add(1, std::memory_order_release);
  holding = false;
  abandon();
}

// Called on the caller's instance when a worker ended without a word (terminated): the pool stops
// for good. Returns whether it was still running.
extern "C" __attribute__((export_name("thread_abandon"))) int32_t kioku_thread_abandon() {
  const bool running = !kioku::abandoned.load(std::memory_order_acquire);
  kioku::abandon();
  return running;
}

// Whether the pool has stopped for good (a worker was lost).
extern "C" __attribute__((export_name("thread_abandoned"))) int32_t kioku_thread_abandoned() {
  return kioku::abandoned.load(std::memory_order_acquire);
}

// Sets stallMs (tests shorten it).
extern "C" __attribute__((export_name("thread_stall_ms"))) void kioku_thread_stall_ms(int32_t ms) {
  kioku::stallMs.store(ms, std::memory_order_relaxed);
}

extern "C" __attribute__((export_name("thread_caller_may_wait"))) void kioku_thread_caller_may_wait(int32_t may) {
  kioku::callerMayWait.store(may, std::memory_order_relaxed);
}

extern "C" __attribute__((export_name("thread_worker_tasks"))) int32_t kioku_thread_worker_tasks() {
  return kioku::workerTasks.load(std::memory_order_relaxed);
}

extern "C" __attribute__((export_name("thread_tls_bytes"))) uint32_t kioku_thread_tls_bytes() {
  return static_cast<uint32_t>(__builtin_wasm_tls_size());
}

// The heap (wasi-libc's dlmalloc, built without threads) behind one lock: the linker routes every
// call to these functions here (--wrap in scripts/build-wasm.sh). A worker allocates only when its
// GEMM scratch grows.
namespace {
std::atomic_flag heapLock = ATOMIC_FLAG_INIT;
struct HeapLock {
  HeapLock() {
    while (heapLock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~HeapLock() { heapLock.clear(std::memory_order_release); }
};
}  // namespace

extern "C" {
void* __real_malloc(size_t);
void __real_free(void*);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void**, size_t, size_t);
void* __wrap_malloc(size_t n) {
  HeapLock lock;
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  HeapLock lock;
  __real_free(p);
}
void* __wrap_calloc(size_t n, size_t size) {
  HeapLock lock;
  return __real_calloc(n, size);
}
void* __wrap_realloc(void* p, size_t n) {
  HeapLock lock;
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(size_t align, size_t n) {
  HeapLock lock;
  return __real_aligned_alloc(align, n);
}
int __wrap_posix_memalign(void** p, size_t align, size_t n) {
  HeapLock lock;
  return __real_posix_memalign(p, align, n);
}
}  // extern "C"

#endif

// The threads that take part in large products now (backend reports it).
extern "C" __attribute__((export_name("thread_count"))) int32_t kioku_thread_count() {
  return kioku::wasm::threadCount();
}
