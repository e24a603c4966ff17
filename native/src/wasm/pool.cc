// The thread pool of the WebAssembly build (pool.h): one thread, every task on the caller.
#include "../pool.h"

namespace kioku {

void poolResize(int) {}
int poolSize() { return 1; }
void poolRun(int tasks, const std::function<void(int)>& fn) {
  for (int t = 0; t < tasks; t++) fn(t);
}

}  // namespace kioku
