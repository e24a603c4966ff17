// Fused GRU over a whole sequence, one layer and one direction, with the signatures of the JS
// reference (src/backend/js/gru.ts, which states the equations; gates packed r, z, n).
//
// x: (T, B, E)  wIh: (G, E)  wHh: (G, H)  bIh, bHh: (G)  G = 3H
// h0, hN: (B, H)  lengths: (B) or null  out: (T, B, H)
// gates: (T, B, 4H) saved r, z, n and W_hn h + b_hn per step
//
// As in lstm.cc: one GEMM for the input projection, batch slices on the pool's threads through
// the time loop (the pre-packed W_hh product then fused gate math), weight gradients as GEMMs.
#include "fastmath.h"
#include "gemm.h"
#include "kernels.h"
#include "recurrent.h"

namespace kioku {
namespace {

KIOKU_CLONES void cellForward(long H, float* __restrict g, const float* __restrict hw, const float* __restrict bHn,
                              float* __restrict h, float* __restrict out) {
  const long H2 = 2 * H, G = 3 * H;
  for (long j = 0; j < H; j++) {
    const float r = fastSigmoid(g[j] + hw[j]);
    const float z = fastSigmoid(g[H + j] + hw[H + j]);
    const float hn = hw[H2 + j] + (bHn ? bHn[j] : 0.f);
    const float n = fastTanh(g[H2 + j] + r * hn);
    const float hv = (1 - z) * n + z * h[j];
    g[j] = r;
    g[H + j] = z;
    g[H2 + j] = n;
    g[G + j] = hn;
    h[j] = hv;
    out[j] = hv;
  }
}

// dh: the state's gradient (replaced by the direct path d ⊙ z); writes the input-side (dgx) and
// recurrent-side (dgh) pre-activation gradients, which differ only in the n block.
KIOKU_CLONES void cellBackward(long H, const float* __restrict g, const float* __restrict hPrev,
                               const float* __restrict dOut, float* __restrict dh, float* __restrict dgx,
                               float* __restrict dgh) {
  const long H2 = 2 * H, G = 3 * H;
  for (long j = 0; j < H; j++) {
    const float d = dh[j] + (dOut ? dOut[j] : 0.f);
    const float r = g[j], z = g[H + j], n = g[H2 + j], hn = g[G + j];
    const float dN = d * (1 - z) * (1 - n * n);
    const float dR = dN * hn * r * (1 - r);
    const float dZ = d * (hPrev[j] - n) * z * (1 - z);
    dgx[j] = dR;
    dgx[H + j] = dZ;
    dgx[H2 + j] = dN;
    dgh[j] = dR;
    dgh[H + j] = dZ;
    dgh[H2 + j] = dN * r;
    dh[j] = d * z;
  }
}

Napi::Value GruForward(const Napi::CallbackInfo& info) {
  const char* fn = "gruForward";
  Napi::Env env = info.Env();
  expectArgs(info, 15, fn);
  const long T = intArg(info, 0, fn, "T"), B = intArg(info, 1, fn, "B"), E = intArg(info, 2, fn, "E");
  const long H = intArg(info, 3, fn, "H");
  checkSizes(info, fn, T, B, E, H, 4);
  const long G = 3 * H, S = 4 * H, rows = T * B;
  const F32 x = f32Need(info, 4, fn, "x", rows * E);
  const F32 wIh = f32Need(info, 5, fn, "wIh", G * E);
  const F32 wHh = f32Need(info, 6, fn, "wHh", G * H);
  const F32 bIh = f32OrNull(info, 7, fn, "bIh", G);
  const F32 bHh = f32OrNull(info, 8, fn, "bHh", G);
  const F32 h0 = f32Need(info, 9, fn, "h0", B * H);
  bool hasLengths = false;
  const Lengths lens = lengthsArg(info, 10, fn, B, T, &hasLengths);
  const bool reverse = boolArg(info, 11, fn, "reverse");
  const F32 out = f32Need(info, 12, fn, "out", rows * H);
  const F32 hN = f32Need(info, 13, fn, "hN", B * H);
  const F32 gates = f32Need(info, 14, fn, "gates", rows * S);

  // b_hr and b_hz fold into the input projection; b_hn stays inside the reset product.
  const bool bias = fillBias(rows, G, bIh.data, bHh.data, 2 * H, gates.data, S);
  std::memcpy(hN.data, h0.data, B * H * sizeof(float));
  if (hasLengths) std::memset(out.data, 0, rows * H * sizeof(float));
  if (rows == 0) return env.Undefined();
  const float* bHn = bHh.data ? bHh.data + 2 * H : nullptr;
  Workspace hw(B * G);  // the step's recurrent product (B, G)

  if (T == 1 && B <= kSmallM) {
    // One step of a small batch (streaming), on this thread: the r and z rows of W_ih x and W_hh h
    // in one pass into the gates (their recurrent part in hw is then 0); the n rows apart, as
    // W_hn h + b_hn is gated by r.
    for (long b = 0; b < B; b++) {
      float* g = gates.data + b * S;
      float* hwb = hw.data() + b * G;
      const float* xb = x.data + b * E;
      const float* hb = hN.data + b * H;
      if (!bias) std::memset(g, 0, G * sizeof(float));
      if (lens[b] == 0) {
        // A sample of length 0 keeps its pre-activations, as the reference leaves them.
        sgemv(G, wIh.data, E, xb, E, nullptr, 0, nullptr, 0, g, true);
        continue;
      }
      sgemv(2 * H, wIh.data, E, xb, E, wHh.data, H, hb, H, g, true);
      sgemv(H, wIh.data + 2 * H * E, E, xb, E, nullptr, 0, nullptr, 0, g + 2 * H, true);
      std::memset(hwb, 0, 2 * H * sizeof(float));
      sgemv(H, wHh.data + 2 * H * H, H, hb, H, nullptr, 0, nullptr, 0, hwb + 2 * H, false);
      cellForward(H, g, hwb, bHn, hN.data + b * H, out.data + b * H);
    }
    return env.Undefined();
  }

  sgemmParallel(false, true, rows, G, E, x.data, E, wIh.data, E, gates.data, S, bias);
  const Slices sl = sliceBatch(B);
  PackedB whh;  // W_hhᵀ: (H × G)
  packB(true, H, G, wHh.data, H, std::min(B, sl.chunk), whh);
  runTasks(sl.count, [&](int task) {
    const long b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
    for (long s = 0; s < T; s++) {
      sgemmPacked(b1 - b0, hN.data + b0 * H, H, whh, hw.data() + b0 * G, G, false);
      for (long b = b0; b < b1; b++) {
        const long t = timeAt(s, lens[b], reverse);
        if (t < 0) continue;
        const long tb = t * B + b;
        cellForward(H, gates.data + tb * S, hw.data() + b * G, bHn, hN.data + b * H, out.data + tb * H);
      }
    }
  });
  return env.Undefined();
}

Napi::Value GruBackward(const Napi::CallbackInfo& info) {
  const char* fn = "gruBackward";
  Napi::Env env = info.Env();
  expectArgs(info, 20, fn);
  const long T = intArg(info, 0, fn, "T"), B = intArg(info, 1, fn, "B"), E = intArg(info, 2, fn, "E");
  const long H = intArg(info, 3, fn, "H");
  checkSizes(info, fn, T, B, E, H, 4);
  const long G = 3 * H, S = 4 * H, rows = T * B;
  const F32 x = f32Need(info, 4, fn, "x", rows * E);
  const F32 wIh = f32Need(info, 5, fn, "wIh", G * E);
  const F32 wHh = f32Need(info, 6, fn, "wHh", G * H);
  const F32 h0 = f32Need(info, 7, fn, "h0", B * H);
  bool hasLengths = false;
  const Lengths lens = lengthsArg(info, 8, fn, B, T, &hasLengths);
  const bool reverse = boolArg(info, 9, fn, "reverse");
  const F32 out = f32Need(info, 10, fn, "out", rows * H);
  const F32 gates = f32Need(info, 11, fn, "gates", rows * S);
  const F32 dOut = f32OrNull(info, 12, fn, "dOut", rows * H);
  const F32 dhN = f32OrNull(info, 13, fn, "dhN", B * H);
  const F32 dx = f32OrNull(info, 14, fn, "dx", rows * E);
  const F32 dh0 = f32OrNull(info, 15, fn, "dh0", B * H);
  const F32 dWih = f32OrNull(info, 16, fn, "dWih", G * E);
  const F32 dWhh = f32OrNull(info, 17, fn, "dWhh", G * H);
  const F32 dbIh = f32OrNull(info, 18, fn, "dbIh", G);
  const F32 dbHh = f32OrNull(info, 19, fn, "dbHh", G);

  const long n = std::max<long>(rows * G, 1);
  std::unique_ptr<float[]> dGx(new float[n]), dGh(new float[n]);
  std::vector<float> dh(B * H, 0.f);
  if (dhN.data) std::memcpy(dh.data(), dhN.data, B * H * sizeof(float));
  for (long b = 0; b < B; b++)
    for (long t = lens[b]; t < T; t++) {
      std::memset(dGx.get() + (t * B + b) * G, 0, G * sizeof(float));
      std::memset(dGh.get() + (t * B + b) * G, 0, G * sizeof(float));
    }
  if (rows > 0) {
    const Slices sl = sliceBatch(B);
    PackedB whh;  // W_hh: (G × H)
    packB(false, G, H, wHh.data, H, std::min(B, sl.chunk), whh);
    std::unique_ptr<float[]> dgStep(new float[B * G]);
    runTasks(sl.count, [&](int task) {
      const long b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
      for (long s = T - 1; s >= 0; s--) {
        for (long b = b0; b < b1; b++) {
          float* dgb = dgStep.get() + b * G;
          const long t = timeAt(s, lens[b], reverse);
          if (t < 0) {
            std::memset(dgb, 0, G * sizeof(float));
            continue;
          }
          const long tb = t * B + b;
          const long pt = prevTime(t, lens[b], reverse);
          const float* hPrev = pt < 0 ? h0.data + b * H : out.data + (pt * B + b) * H;
          cellBackward(H, gates.data + tb * S, hPrev, dOut.data ? dOut.data + tb * H : nullptr, dh.data() + b * H,
                       dGx.get() + tb * G, dgb);
          std::memcpy(dGh.get() + tb * G, dgb, G * sizeof(float));
        }
        sgemmPacked(b1 - b0, dgStep.get() + b0 * G, G, whh, dh.data() + b0 * H, H, true);
      }
    });
  }
  if (dh0.data)
    for (long i = 0; i < B * H; i++) dh0.data[i] += dh[i];
  if (rows == 0) return env.Undefined();
  if (dx.data) sgemmParallel(false, false, rows, E, G, dGx.get(), G, wIh.data, E, dx.data, E, true);
  if (dWih.data) sgemmParallel(true, false, G, E, rows, dGx.get(), G, x.data, E, dWih.data, E, true);
  if (dWhh.data) {
    std::unique_ptr<float[]> prev = previousStates(T, B, H, h0.data, out.data, lens, reverse);
    sgemmParallel(true, false, G, H, rows, dGh.get(), G, prev.get(), H, dWhh.data, H, true);
  }
  columnSumsInto(rows, G, dGx.get(), G, dbIh.data, nullptr);
  columnSumsInto(rows, G, dGh.get(), G, dbHh.data, nullptr);
  return env.Undefined();
}

}  // namespace

void registerGru(Napi::Env env, Napi::Object exports) {
  exports.Set("gruForward", Napi::Function::New(env, GruForward, "gruForward"));
  exports.Set("gruBackward", Napi::Function::New(env, GruBackward, "gruBackward"));
}

}  // namespace kioku
