// kioku's native backend: the N-API entry points. Every kernel of the contract marked native
// (generated/contract.h) is bound by one generic entry point that reads its positional arguments
// into the kernel's struct, runs the generated checks and calls the kernel; init, info and setIsa
// control the thread pool and the instruction set; bind and runBound let a caller run a kernel again
// on arguments read once; freezeRecurrent and frozen.<forward> run a frozen layer's forwards on
// weights copied and packed once.
#include <napi.h>

#include <string>

#include "frozen_weights.h"
#include "gemm/pack.h"
#include "generated/contract.h"
#include "napi_reader.h"
#include "pool.h"
#include "saved_scratch.h"
#include "simd.h"

namespace kioku {
namespace {

[[noreturn]] void rethrow(Napi::Env env, const ArgError& e) {
  if (e.kind() == ArgError::Type) throw Napi::TypeError::New(env, e.what());
  throw Napi::RangeError::New(env, e.what());
}

template <class Args, void (*Kernel)(const Args&)>
Napi::Value entry(const Napi::CallbackInfo& info) {
  try {
    NapiReader reader(info, Args::kName, Args::kCount);
    Args args;
    args.read(reader);
    check(args);
    runKernel<Args, Kernel>(args);
  } catch (const ArgError& e) {
    rethrow(info.Env(), e);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), std::string(Args::kName) + ": out of memory");
  }
  return info.Env().Undefined();
}

// ---- bound calls: a kernel's arguments read once, the kernel run again on them ----
// A streaming step calls the same kernel on the same arrays at every step, and reading its 13
// typed arrays through N-API costs about a fifth of a batch-1 step. bind.<kernel>(…) reads and
// checks the arguments and returns a handle; runBound(handle) checks them again (an Int32Array's
// values may have changed) and runs the kernel without reading them. The caller
// (src/backend/native/bound.ts) keeps the arrays alive and unchanged in length while it uses the handle.

struct Bound {
  virtual ~Bound() = default;
  virtual void run() const = 0;
  virtual const char* name() const = 0;
};

template <class Args, void (*Kernel)(const Args&)>
struct BoundKernel final : Bound {
  Args args;
  void run() const override {
    check(args);
    runKernel<Args, Kernel>(args);
  }
  const char* name() const override { return Args::kName; }
};

// Marks handles made here, so that runBound never takes another external for one.
constexpr napi_type_tag kBoundTag = {0x6b696f6b75626e64ULL, 0x2d68616e646c6521ULL};

template <class Args, void (*Kernel)(const Args&)>
Napi::Value bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* bound = new BoundKernel<Args, Kernel>;
  try {
    NapiReader reader(info, Args::kName, Args::kCount);
    bound->args.read(reader);
    check(bound->args);
  } catch (const ArgError& e) {
    delete bound;
    rethrow(env, e);
  }
  Napi::External<Bound> handle =
      Napi::External<Bound>::New(env, bound, [](Napi::Env, Bound* b) { delete b; });
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, handle, &kBoundTag), Napi::Value());
  return handle;
}

// runBound(handle): runs the kernel a bind call read.
Napi::Value RunBound(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool tagged = false;
  if (info.Length() < 1 || !info[0].IsExternal() ||
      napi_check_object_type_tag(env, info[0], &kBoundTag, &tagged) != napi_ok || !tagged)
    throw Napi::TypeError::New(env, "runBound: handle must be what a bind function returned");
  const Bound* bound = info[0].As<Napi::External<Bound>>().Data();
  try {
    bound->run();
  } catch (const ArgError& e) {
    rethrow(env, e);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, std::string(bound->name()) + ": out of memory");
  }
  return env.Undefined();
}

// ---- frozen recurrent weights (frozen_weights.h) ----
// freezeRecurrent(G, E, R, H, P, wIh, wHh, bIh, bHh, wHr) copies one layer and direction's weights
// and packs them, and returns a handle; frozen.lstmForward(…the kernel's arguments…, handle) (and
// gruForward, rnnForward) checks the arguments as the kernel does, then runs it on the handle's
// copy and packs, whatever the weight arrays passed hold. A served model freezes its layers once
// (src/nn/rnn.ts), so its forwards stop packing W_ihᵀ and W_hhᵀ on every call.

constexpr napi_type_tag kFrozenTag = {0x6b696f6b7566727aULL, 0x2d77656967687473ULL};

Napi::Value FreezeRecurrent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FrozenWeights* frozen = nullptr;
  try {
    NapiReader r(info, "freezeRecurrent", 10);
    int64_t G = 0, E = 0, R = 0, H = 0, P = 0;
    InF32 wIh, wHh, bIh, bHh, wHr;
    r.dim(G, "G"); r.dim(E, "E"); r.dim(R, "R"); r.dim(H, "H"); r.dim(P, "P");
    r.array(wIh, "wIh", false); r.array(wHh, "wHh", false); r.array(bIh, "bIh", true);
    r.array(bHh, "bHh", true); r.array(wHr, "wHr", true);
    const Checker c{"freezeRecurrent"};
    c.atLeast("G", G, 1); c.atLeast("H", H, 1);
    c.length("wIh", wIh, double(G) * E); c.length("wHh", wHh, double(G) * R);
    c.lengthIfGiven("bIh", bIh, G); c.lengthIfGiven("bHh", bHh, G); c.length("wHr", wHr, double(P) * H);
    if (R != (P > 0 ? P : H)) throwRange("freezeRecurrent: R must be P when P > 0, else H");
    frozen = new FrozenWeights(G, E, R, H, P, wIh, wHh, bIh, bHh, wHr);
  } catch (const ArgError& e) {
    rethrow(env, e);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "freezeRecurrent: out of memory");
  }
  // The engine is told what the handle holds, so that dropped handles are collected in time.
  Napi::MemoryManagement::AdjustExternalMemory(env, frozen->bytes());
  Napi::External<FrozenWeights> handle = Napi::External<FrozenWeights>::New(env, frozen, [](Napi::Env e, FrozenWeights* w) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -w->bytes());
    delete w;
  });
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, handle, &kFrozenTag), Napi::Value());
  return handle;
}

// A kernel's entry for frozen weights: its arguments, then the handle freezeRecurrent returned.
template <class Args, void (*Kernel)(const Args&)>
Napi::Value frozenEntry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool tagged = false;
  const Napi::Value h = info.Length() > Args::kCount ? info[Args::kCount] : env.Undefined();
  if (!h.IsExternal() || napi_check_object_type_tag(env, h, &kFrozenTag, &tagged) != napi_ok || !tagged)
    throw Napi::TypeError::New(env, std::string(Args::kName) + ": the last argument must be what freezeRecurrent returned");
  try {
    NapiReader reader(info, Args::kName, Args::kCount);
    Args args;
    args.read(reader);
    check(args);
    const FrozenWeights& frozen = *h.As<Napi::External<FrozenWeights>>().Data();
    frozen.use(args);
    FrozenPackScope scope(frozen.packs(), FrozenWeights::kPacks);
    runKernel<Args, Kernel>(args);
  } catch (const ArgError& e) {
    rethrow(env, e);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, std::string(Args::kName) + ": out of memory");
  }
  return env.Undefined();
}

// init(threads): sizes the thread pool (the caller passes os.availableParallelism() or
// KIOKU_NUM_THREADS).
Napi::Value Init(const Napi::CallbackInfo& info) {
  try {
    NapiReader reader(info, "init", 1);
    int64_t threads = 0;
    reader.dim(threads, "threads");
    if (threads < 1 || threads > 256)
      throwRange("init: threads must be between 1 and 256, got " + std::to_string(threads));
    poolResize(static_cast<int>(threads));
  } catch (const ArgError& e) {
    rethrow(info.Env(), e);
  }
  return info.Env().Undefined();
}

constexpr Isa kIsas[] = {Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Neon};

// info(): { isa, detectedIsa, isas (those this build and CPU run, lowest first), threads,
// frozenPackUses (products a frozen layer's packs served, gemm/pack.h) }.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isaName(activeIsa()));
  o.Set("detectedIsa", isaName(detectIsa()));
  Napi::Array isas = Napi::Array::New(env);
  for (Isa isa : kIsas)
    if (isaAvailable(isa)) isas.Set(isas.Length(), isaName(isa));
  o.Set("isas", isas);
  o.Set("threads", poolSize());
  o.Set("frozenPackUses", static_cast<double>(frozenPackUses()));
  return o;
}

// setIsa(name): the instruction set every SIMD kernel uses from now on (KIOKU_ISA; tests lower
// it to run every path).
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  std::string supported;
  for (Isa isa : kIsas) {
    if (!isaAvailable(isa)) continue;
    if (name == isaName(isa)) {
      setActiveIsa(isa);
      return env.Undefined();
    }
    supported += (supported.empty() ? "" : ", ") + std::string(isaName(isa));
  }
  throw Napi::RangeError::New(env, "setIsa: name must be one of " + supported + " on this machine, got '" + name + "'");
}

}  // namespace

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
#define KIOKU_BIND(name, Args) exports.Set(#name, Napi::Function::New(env, entry<Args, name>, #name));
  KIOKU_NATIVE_KERNELS(KIOKU_BIND)
#undef KIOKU_BIND
  Napi::Object bindFns = Napi::Object::New(env);
#define KIOKU_BIND(name, Args) bindFns.Set(#name, Napi::Function::New(env, bind<Args, name>, #name));
  KIOKU_NATIVE_KERNELS(KIOKU_BIND)
#undef KIOKU_BIND
  exports.Set("bind", bindFns);
  exports.Set("runBound", Napi::Function::New(env, RunBound, "runBound"));
  exports.Set("freezeRecurrent", Napi::Function::New(env, FreezeRecurrent, "freezeRecurrent"));
  Napi::Object frozenFns = Napi::Object::New(env);
  frozenFns.Set("lstmForward", Napi::Function::New(env, frozenEntry<LstmForwardArgs, lstmForward>, "lstmForward"));
  frozenFns.Set("gruForward", Napi::Function::New(env, frozenEntry<GruForwardArgs, gruForward>, "gruForward"));
  frozenFns.Set("rnnForward", Napi::Function::New(env, frozenEntry<RnnForwardArgs, rnnForward>, "rnnForward"));
  exports.Set("frozen", frozenFns);
  return exports;
}

}  // namespace kioku

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return kioku::InitModule(env, exports); }

NODE_API_MODULE(kioku, InitAddon)
