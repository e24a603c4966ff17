// How the WebAssembly build fails: the libc++ of the toolchain has no exception support, so a C++
// `throw` (compiled with -fexceptions, which lowers it to __cxa_throw and drops every catch) lands
// here and becomes one call to the host's kioku.fail(kind, message), which throws a JS error with
// the same sentence the native addon gives. Nothing below the throw unwinds: the JS side restores
// the stack pointer, and a failed call may leak what the kernel had allocated (the TypeScript
// checks run first, so only a kernel's own second-line checks get here). operator new reports
// exhaustion the same way instead of trapping, and libc++'s verbose abort names its reason.
#include <cstdlib>
#include <cstring>
#include <new>
#include <typeinfo>

#include "../contract_types.h"
#include "threads.h"

extern "C" __attribute__((import_module("kioku"), import_name("fail"))) void kioku_host_fail(int32_t kind,
                                                                                            const char* message,
                                                                                            int32_t length);

namespace {

enum FailKind : int32_t { kTypeError = 0, kRangeError = 1, kOutOfMemory = 2, kInternal = 3, kWorkerLost = 4 };

[[noreturn]] void fail(int32_t kind, const char* message) {
  kioku_host_fail(kind, message, static_cast<int32_t>(std::strlen(message)));
  __builtin_trap();  // the host's fail always throws
}

}  // namespace

[[noreturn]] void kioku::wasm::failWorkerLost(const char* message) { fail(kWorkerLost, message); }

extern "C" {

// One exception object at a time: a throw ends the call.
void* __cxa_allocate_exception(size_t size) noexcept {
  alignas(16) static unsigned char slot[256];
  return size <= sizeof(slot) ? slot : std::malloc(size);
}

void __cxa_free_exception(void*) noexcept {}

// thread_local scratch (gemm/driver.cc) registers its destructor here; the module's one thread
// lives as long as the module, so there is nothing to run.
int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, void (*)(void*)) {
  if (*type == typeid(kioku::ArgError)) {
    const auto* e = static_cast<const kioku::ArgError*>(object);
    fail(e->kind() == kioku::ArgError::Type ? kTypeError : kRangeError, e->what());
  }
  if (*type == typeid(std::bad_alloc)) fail(kOutOfMemory, "out of memory");
  fail(kInternal, type->name());
}

// libc++abi's message for a pure virtual call or a bad typeinfo: the same report, without stdio.
[[noreturn]] void abort_message(const char* format, ...) { fail(kInternal, format); }

}  // extern "C"

_LIBCPP_BEGIN_NAMESPACE_STD
[[noreturn]] void __libcpp_verbose_abort(const char* format, ...) { fail(kInternal, format); }
_LIBCPP_END_NAMESPACE_STD

void* operator new(size_t size) {
  void* p = std::malloc(size ? size : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
