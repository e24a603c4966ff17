// How many threads take part in the WebAssembly build's large products: 1 in the one-thread
// builds; in the threaded build the caller plus every worker instance that has started (pool.cc).
#pragma once

namespace kioku {
namespace wasm {

int threadCount();

}  // namespace wasm
}  // namespace kioku
