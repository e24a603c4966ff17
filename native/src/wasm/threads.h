// How many threads take part in the WebAssembly build's large products: 1 in the one-thread
// builds; in the threaded build the caller plus every worker instance that has started, until a
// worker is lost (pool.cc).
#pragma once

namespace kioku {
namespace wasm {

int threadCount();

// Ends the current call because a worker was lost holding part of it (abi.cc: through the host's
// kioku.fail, kind 4).
[[noreturn]] void failWorkerLost(const char* message);

}  // namespace wasm
}  // namespace kioku
