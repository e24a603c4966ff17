// kioku's native backend: N-API entry points over the C++ kernels. Every entry point checks its
// arguments against the typed arrays it was given and works on their memory in place.
#include <napi.h>

#include <string>

#include "args.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"

namespace kioku {
namespace {

// init(threads): sizes the thread pool (the caller passes os.availableParallelism() or
// KIOKU_NUM_THREADS).
Napi::Value Init(const Napi::CallbackInfo& info) {
  expectArgs(info, 1, "init");
  const long threads = intArg(info, 0, "init", "threads");
  if (threads < 1 || threads > 256)
    throwRange(info.Env(), "init: threads must be between 1 and 256, got " + std::to_string(threads));
  poolResize(static_cast<int>(threads));
  return info.Env().Undefined();
}

// info(): { isa, detectedIsa, threads }.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", isaName(activeIsa()));
  o.Set("detectedIsa", isaName(detectIsa()));
  o.Set("threads", poolSize());
  return o;
}

// setIsa(name): lowers the instruction set in use (tests run every micro-kernel this way).
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  expectArgs(info, 1, "setIsa");
  const std::string name = strArg(info, 0, "setIsa", "name");
  const Isa best = detectIsa();
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    if (name != isaName(isa)) continue;
    if (static_cast<int>(isa) > static_cast<int>(best))
      throwRange(info.Env(), "setIsa: this CPU supports up to " + std::string(isaName(best)) + ", got '" + name + "'");
    setActiveIsa(isa);
    return info.Env().Undefined();
  }
  throwRange(info.Env(), "setIsa: name must be one of portable, avx2, avx512, got '" + name + "'");
}

// gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate), the
// signature of the JS kernel in src/backend/js/gemm.ts.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const char* fn = "gemm";
  Napi::Env env = info.Env();
  expectArgs(info, 15, fn);
  const bool ta = boolArg(info, 0, fn, "transA");
  const bool tb = boolArg(info, 1, fn, "transB");
  const long m = intArg(info, 2, fn, "m");
  const long n = intArg(info, 3, fn, "n");
  const long k = intArg(info, 4, fn, "k");
  const F32 a = f32Arg(info, 5, fn, "a");
  const long aOff = intArg(info, 6, fn, "aOff");
  const long lda = intArg(info, 7, fn, "lda");
  const F32 b = f32Arg(info, 8, fn, "b");
  const long bOff = intArg(info, 9, fn, "bOff");
  const long ldb = intArg(info, 10, fn, "ldb");
  const F32 c = f32Arg(info, 11, fn, "c");
  const long cOff = intArg(info, 12, fn, "cOff");
  const long ldc = intArg(info, 13, fn, "ldc");
  const bool accumulate = boolArg(info, 14, fn, "accumulate");
  if (n > 0 && m > 0) {
    checkMatrix(env, fn, "a", a, aOff, ta ? k : m, ta ? m : k, lda);
    checkMatrix(env, fn, "b", b, bOff, tb ? n : k, tb ? k : n, ldb);
  }
  checkMatrix(env, fn, "c", c, cOff, m, n, ldc);
  sgemmParallel(ta, tb, m, n, k, a.data + aOff, lda, b.data + bOff, ldb, c.data + cOff, ldc, accumulate);
  return env.Undefined();
}

// peakGflops(threads, seconds): measured FMA throughput of the active instruction set.
Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  expectArgs(info, 2, "peakGflops");
  long threads = intArg(info, 0, "peakGflops", "threads");
  if (threads < 1 || threads > poolSize())
    throwRange(info.Env(), "peakGflops: threads must be between 1 and the pool size " + std::to_string(poolSize()) +
                               ", got " + std::to_string(threads));
  const double seconds = numArg(info, 1, "peakGflops", "seconds");
  return Napi::Number::New(info.Env(), peakGflops(static_cast<int>(threads), seconds));
}

}  // namespace

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("peakGflops", Napi::Function::New(env, PeakGflops, "peakGflops"));
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  registerElementwise(env, exports);
  registerEmbedding(env, exports);
  registerAdam(env, exports);
  registerLstm(env, exports);
  registerGru(env, exports);
  registerRnn(env, exports);
  registerPermute(env, exports);
  return exports;
}

}  // namespace kioku

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return kioku::InitModule(env, exports); }

NODE_API_MODULE(kioku, InitAddon)
