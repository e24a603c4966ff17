// A small fixed thread pool: run(tasks, fn) calls fn(0..tasks-1) on the caller and the workers
// and returns when all are done. Tasks are claimed one at a time, the caller claiming too, and the
// caller waits only for tasks another thread has claimed, never for a thread to wake. Workers spin
// briefly before sleeping, because the recurrent kernels hand out many short jobs back to back.
#pragma once

#include <functional>

namespace kioku {

void poolResize(int threads);
int poolSize();
void poolRun(int tasks, const std::function<void(int)>& fn);
// The same without waking sleeping workers: only those still spinning from a recent job take
// part, so a job of a few microseconds never pays for a wake-up (a batch-1 streaming step).
void poolRunSpinning(int tasks, const std::function<void(int)>& fn);

}  // namespace kioku
