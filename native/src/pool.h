// A small fixed thread pool: run(tasks, fn) calls fn(0..tasks-1) on the caller and the workers
// and returns when all are done. Workers spin briefly before sleeping, because the recurrent
// kernels hand out many short jobs back to back.
#pragma once

#include <functional>

namespace kioku {

void poolResize(int threads);
int poolSize();
void poolRun(int tasks, const std::function<void(int)>& fn);

}  // namespace kioku
