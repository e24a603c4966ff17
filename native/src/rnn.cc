// Fused Elman RNN over a whole sequence, one layer and one direction, with the signatures of the
// JS reference (src/backend/js/rnn.ts): h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or relu.
//
// x: (T, B, E)  wIh: (H, E)  wHh: (H, H)  bIh, bHh: (H)  h0, hN: (B, H)  lengths: (B) or null
// out: (T, B, H), also the saved state for backward (act′ is a function of act's value).
#include "fastmath.h"
#include "gemm.h"
#include "kernels.h"
#include "recurrent.h"

namespace kioku {
namespace {

KIOKU_CLONES void cellForward(long H, bool relu, float* __restrict o, const float* __restrict hw,
                              float* __restrict h) {
  if (relu) {
    for (long j = 0; j < H; j++) {
      const float v = o[j] + hw[j];
      const float y = v < 0 ? 0.f : v;  // NaN stays NaN, as in PyTorch
      o[j] = y;
      h[j] = y;
    }
  } else {
    for (long j = 0; j < H; j++) {
      const float y = fastTanh(o[j] + hw[j]);
      o[j] = y;
      h[j] = y;
    }
  }
}

KIOKU_CLONES void cellBackward(long H, bool relu, const float* __restrict y, const float* __restrict dOut,
                               float* __restrict dh, float* __restrict dPre) {
  for (long j = 0; j < H; j++) {
    const float d = dh[j] + (dOut ? dOut[j] : 0.f);
    dPre[j] = relu ? (y[j] > 0 ? d : 0.f) : d * (1 - y[j] * y[j]);
    dh[j] = 0.f;
  }
}

Napi::Value RnnForward(const Napi::CallbackInfo& info) {
  const char* fn = "rnnForward";
  Napi::Env env = info.Env();
  expectArgs(info, 15, fn);
  const long T = intArg(info, 0, fn, "T"), B = intArg(info, 1, fn, "B"), E = intArg(info, 2, fn, "E");
  const long H = intArg(info, 3, fn, "H");
  const bool relu = boolArg(info, 4, fn, "relu");
  checkSizes(info, fn, T, B, E, H, 1);
  const long rows = T * B;
  const F32 x = f32Need(info, 5, fn, "x", rows * E);
  const F32 wIh = f32Need(info, 6, fn, "wIh", H * E);
  const F32 wHh = f32Need(info, 7, fn, "wHh", H * H);
  const F32 bIh = f32OrNull(info, 8, fn, "bIh", H);
  const F32 bHh = f32OrNull(info, 9, fn, "bHh", H);
  const F32 h0 = f32Need(info, 10, fn, "h0", B * H);
  bool hasLengths = false;
  const Lengths lens = lengthsArg(info, 11, fn, B, T, &hasLengths);
  const bool reverse = boolArg(info, 12, fn, "reverse");
  const F32 out = f32Need(info, 13, fn, "out", rows * H);
  const F32 hN = f32Need(info, 14, fn, "hN", B * H);

  const bool bias = fillBias(rows, H, bIh.data, bHh.data, H, out.data, H);
  std::memcpy(hN.data, h0.data, B * H * sizeof(float));
  if (T == 1 && B <= kSmallM) {
    // One step of a small batch (streaming): out holds the bias, hw gets each sample's input and
    // recurrent products in one pass over W_ih and W_hh, on this thread.
    if (!bias) std::memset(out.data, 0, B * H * sizeof(float));
    Workspace hw(B * H);
    for (long b = 0; b < B; b++) {
      if (lens[b] == 0) continue;
      sgemv(H, wIh.data, E, x.data + b * E, E, wHh.data, H, hN.data + b * H, H, hw.data() + b * H, false);
      cellForward(H, relu, out.data + b * H, hw.data() + b * H, hN.data + b * H);
    }
  } else if (rows > 0) {
    sgemmParallel(false, true, rows, H, E, x.data, E, wIh.data, E, out.data, H, bias);
    const Slices sl = sliceBatch(B);
    PackedB whh;  // W_hhᵀ: (H × H)
    packB(true, H, H, wHh.data, H, std::min(B, sl.chunk), whh);
    Workspace hw(B * H);
    runTasks(sl.count, [&](int task) {
      const long b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
      for (long s = 0; s < T; s++) {
        sgemmPacked(b1 - b0, hN.data + b0 * H, H, whh, hw.data() + b0 * H, H, false);
        for (long b = b0; b < b1; b++) {
          const long t = timeAt(s, lens[b], reverse);
          if (t >= 0) cellForward(H, relu, out.data + (t * B + b) * H, hw.data() + b * H, hN.data + b * H);
        }
      }
    });
  }
  // Outputs past a sample's length are 0 (they held the input projection).
  for (long b = 0; b < B; b++)
    for (long t = lens[b]; t < T; t++) std::memset(out.data + (t * B + b) * H, 0, H * sizeof(float));
  return env.Undefined();
}

Napi::Value RnnBackward(const Napi::CallbackInfo& info) {
  const char* fn = "rnnBackward";
  Napi::Env env = info.Env();
  expectArgs(info, 20, fn);
  const long T = intArg(info, 0, fn, "T"), B = intArg(info, 1, fn, "B"), E = intArg(info, 2, fn, "E");
  const long H = intArg(info, 3, fn, "H");
  const bool relu = boolArg(info, 4, fn, "relu");
  checkSizes(info, fn, T, B, E, H, 1);
  const long rows = T * B;
  const F32 x = f32Need(info, 5, fn, "x", rows * E);
  const F32 wIh = f32Need(info, 6, fn, "wIh", H * E);
  const F32 wHh = f32Need(info, 7, fn, "wHh", H * H);
  const F32 h0 = f32Need(info, 8, fn, "h0", B * H);
  bool hasLengths = false;
  const Lengths lens = lengthsArg(info, 9, fn, B, T, &hasLengths);
  const bool reverse = boolArg(info, 10, fn, "reverse");
  const F32 out = f32Need(info, 11, fn, "out", rows * H);
  const F32 dOut = f32OrNull(info, 12, fn, "dOut", rows * H);
  const F32 dhN = f32OrNull(info, 13, fn, "dhN", B * H);
  const F32 dx = f32OrNull(info, 14, fn, "dx", rows * E);
  const F32 dh0 = f32OrNull(info, 15, fn, "dh0", B * H);
  const F32 dWih = f32OrNull(info, 16, fn, "dWih", H * E);
  const F32 dWhh = f32OrNull(info, 17, fn, "dWhh", H * H);
  const F32 dbIh = f32OrNull(info, 18, fn, "dbIh", H);
  const F32 dbHh = f32OrNull(info, 19, fn, "dbHh", H);

  std::unique_ptr<float[]> dPre(new float[std::max<long>(rows * H, 1)]);
  std::vector<float> dh(B * H, 0.f);
  if (dhN.data) std::memcpy(dh.data(), dhN.data, B * H * sizeof(float));
  for (long b = 0; b < B; b++)
    for (long t = lens[b]; t < T; t++) std::memset(dPre.get() + (t * B + b) * H, 0, H * sizeof(float));
  if (rows > 0) {
    const Slices sl = sliceBatch(B);
    PackedB whh;  // W_hh: (H × H)
    packB(false, H, H, wHh.data, H, std::min(B, sl.chunk), whh);
    std::unique_ptr<float[]> dStep(new float[B * H]);
    runTasks(sl.count, [&](int task) {
      const long b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
      for (long s = T - 1; s >= 0; s--) {
        for (long b = b0; b < b1; b++) {
          float* ds = dStep.get() + b * H;
          const long t = timeAt(s, lens[b], reverse);
          if (t < 0) {
            std::memset(ds, 0, H * sizeof(float));
            continue;
          }
          const long tb = t * B + b;
          cellBackward(H, relu, out.data + tb * H, dOut.data ? dOut.data + tb * H : nullptr, dh.data() + b * H, ds);
          std::memcpy(dPre.get() + tb * H, ds, H * sizeof(float));
        }
        sgemmPacked(b1 - b0, dStep.get() + b0 * H, H, whh, dh.data() + b0 * H, H, true);
      }
    });
  }
  if (dh0.data)
    for (long i = 0; i < B * H; i++) dh0.data[i] += dh[i];
  if (rows == 0) return env.Undefined();
  if (dx.data) sgemmParallel(false, false, rows, E, H, dPre.get(), H, wIh.data, E, dx.data, E, true);
  if (dWih.data) sgemmParallel(true, false, H, E, rows, dPre.get(), H, x.data, E, dWih.data, E, true);
  if (dWhh.data) {
    std::unique_ptr<float[]> prev = previousStates(T, B, H, h0.data, out.data, lens, reverse);
    sgemmParallel(true, false, H, H, rows, dPre.get(), H, prev.get(), H, dWhh.data, H, true);
  }
  columnSumsInto(rows, H, dPre.get(), H, dbIh.data, dbHh.data);
  return env.Undefined();
}

}  // namespace

void registerRnn(Napi::Env env, Napi::Object exports) {
  exports.Set("rnnForward", Napi::Function::New(env, RnnForward, "rnnForward"));
  exports.Set("rnnBackward", Napi::Function::New(env, RnnBackward, "rnnBackward"));
}

}  // namespace kioku
