// A small fixed thread pool: run(tasks, fn) calls fn(0..tasks-1) on the caller and the workers
// and returns when all are done. Tasks are claimed one at a time, the caller claiming too, and the
// caller waits only for tasks another thread has claimed, never for a thread to wake. Workers spin
// briefly before sleeping, because the recurrent kernels hand out many short jobs back to back.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>

namespace kioku {

void poolResize(int threads);
int poolSize();
void poolRun(int tasks, const std::function<void(int)>& fn);
// The same without waking sleeping workers: only those still spinning from a recent job take
// part, so a job of a few microseconds never pays for a wake-up (a batch-1 streaming step).
void poolRunSpinning(int tasks, const std::function<void(int)>& fn);

// Below this much work (n·width elements) a second thread costs more than it saves.
constexpr int64_t kParallelElements = 1 << 16;

// body(lo, hi) over [0, n) in one range per thread when n·width is large, else inline.
template <class Body>
void splitRange(int64_t n, int64_t width, const Body& body) {
  const int tasks = n * width >= kParallelElements ? poolSize() : 1;
  if (tasks == 1) return body(int64_t{0}, n);
  const int64_t chunk = (n + tasks - 1) / tasks;
  poolRun(tasks, [&](int t) { body(std::min(n, t * chunk), std::min(n, (t + 1) * chunk)); });
}

}  // namespace kioku
