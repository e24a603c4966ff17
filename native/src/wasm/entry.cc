// kioku's WebAssembly entry points: the same kernels as the native addon (addon.cc), one export per
// native kernel of the contract, each reading its positional arguments from a block of slots in
// linear memory (linear_reader.h), running the generated checks and calling the kernel (a recurrent
// forward given null for its saved state works in scratch of the module's memory that the JS side
// never copies: saved_scratch.h). Plus the
// module's allocator, for the JS side's argument arena. The kernels use SIMD128 (simd.cc detects
// it); the portable table is linked in as on every platform, unused.
#include <cstdint>
#include <cstdlib>

#include "../generated/contract.h"
#include "../saved_scratch.h"
#include "linear_reader.h"

namespace kioku {
namespace {

template <class Args, void (*Kernel)(const Args&)>
void entry(const double* slots) {
  LinearReader reader(slots);
  Args args;
  args.read(reader);
  check(args);
  runKernel<Args, Kernel>(args);
}

}  // namespace
}  // namespace kioku

#define KIOKU_EXPORT(name) extern "C" __attribute__((export_name(name)))

#define KIOKU_WASM_ENTRY(name, Args) \
  KIOKU_EXPORT(#name) void kioku_##name(const double* slots) { kioku::entry<kioku::Args, kioku::name>(slots); }
KIOKU_NATIVE_KERNELS(KIOKU_WASM_ENTRY)
#undef KIOKU_WASM_ENTRY

// 16-byte aligned blocks for the argument arena; 0 when memory cannot grow that far.
KIOKU_EXPORT("alloc") void* kioku_alloc(uint32_t bytes) { return std::aligned_alloc(16, (bytes + 15) / 16 * 16); }
KIOKU_EXPORT("free") void kioku_free(void* p) { std::free(p); }

// Runs the static constructors once, before any other export (what a WASI reactor's crt1 would
// do, without its exit-time stdio).
extern "C" void __wasm_call_ctors();
KIOKU_EXPORT("_initialize") void kioku_initialize() { __wasm_call_ctors(); }
