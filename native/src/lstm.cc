// Fused LSTM over a whole sequence, one layer and one direction, with the signatures of the JS
// reference (src/backend/js/lstm.ts, which states the equations). Native covers P = 0 (no
// projection); the TypeScript side sends P > 0 to the reference.
//
// x: (T, B, E)  wIh: (G, E)  wHh: (G, H)  bIh, bHh: (G)  G = 4H, gates packed i, f, g, o
// h0, c0, hN, cN: (B, H)  lengths: (B) or null  out: (T, B, H)  gates: (T, B, G)  cells: (T, B, H)
//
// The input projection of all steps is one GEMM. Samples of a batch never interact, so the time
// loop runs batch slices on the pool's threads independently, each step being a GEMM of the slice's
// states with the pre-packed W_hh followed by the fused gate math. Weight gradients are
// whole-sequence GEMMs after the loop.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "fastmath.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "recurrent.h"

namespace kioku {
namespace {

// One sample's step: g holds the input projection (replaced by the activated gates), hw the
// recurrent part, bias b_ih + b_hh; c is the running cell (updated), h the running state (written).
KIOKU_CLONES void cellForward(long H, float* __restrict g, const float* __restrict hw, const float* __restrict bias,
                              float* __restrict c, float* __restrict cellOut, float* __restrict h,
                              float* __restrict out) {
  for (long j = 0; j < H; j++) {
    const float ig = fastSigmoid(g[j] + hw[j] + bias[j]);
    const float fg = fastSigmoid(g[H + j] + hw[H + j] + bias[H + j]);
    const float gg = fastTanh(g[2 * H + j] + hw[2 * H + j] + bias[2 * H + j]);
    const float og = fastSigmoid(g[3 * H + j] + hw[3 * H + j] + bias[3 * H + j]);
    const float cv = fg * c[j] + ig * gg;
    g[j] = ig;
    g[H + j] = fg;
    g[2 * H + j] = gg;
    g[3 * H + j] = og;
    c[j] = cv;
    cellOut[j] = cv;
    const float hv = og * fastTanh(cv);
    h[j] = hv;
    out[j] = hv;
  }
}

// One sample's step backward: dh is the state's gradient, dc the cell's (updated to the previous
// cell's); writes the pre-activation gradients dg (G).
KIOKU_CLONES void cellBackward(long H, const float* __restrict g, const float* __restrict cell,
                               const float* __restrict cPrev, const float* __restrict dh, float* __restrict dc,
                               float* __restrict dg) {
  for (long j = 0; j < H; j++) {
    const float ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
    const float tc = fastTanh(cell[j]);
    const float dhj = dh[j];
    const float dcT = dc[j] + dhj * og * (1 - tc * tc);
    dc[j] = dcT * fg;
    dg[j] = dcT * gg * ig * (1 - ig);
    dg[H + j] = dcT * cPrev[j] * fg * (1 - fg);
    dg[2 * H + j] = dcT * ig * (1 - gg * gg);
    dg[3 * H + j] = dhj * tc * og * (1 - og);
  }
}

void checkDims(const Napi::CallbackInfo& info, const char* fn, long T, long B, long E, long H, long P) {
  if (P != 0)
    throwRange(info.Env(), std::string(fn) + ": P must be 0 natively (projections run on the JS kernel), got " +
                               std::to_string(P));
  checkSizes(info, fn, T, B, E, H, 4);
}

Napi::Value LstmForward(const Napi::CallbackInfo& info) {
  const char* fn = "lstmForward";
  Napi::Env env = info.Env();
  expectArgs(info, 21, fn);
  const long T = intArg(info, 0, fn, "T"), B = intArg(info, 1, fn, "B"), E = intArg(info, 2, fn, "E");
  const long H = intArg(info, 3, fn, "H"), P = intArg(info, 4, fn, "P");
  checkDims(info, fn, T, B, E, H, P);
  const long G = 4 * H;
  const F32 x = f32Need(info, 5, fn, "x", T * B * E);
  const F32 wIh = f32Need(info, 6, fn, "wIh", G * E);
  const F32 wHh = f32Need(info, 7, fn, "wHh", G * H);
  const F32 bIh = f32OrNull(info, 9, fn, "bIh", G);
  const F32 bHh = f32OrNull(info, 10, fn, "bHh", G);
  const F32 h0 = f32Need(info, 11, fn, "h0", B * H);
  const F32 c0 = f32Need(info, 12, fn, "c0", B * H);
  bool hasLengths = false;
  const Lengths lens = lengthsArg(info, 13, fn, B, T, &hasLengths);
  const bool reverse = boolArg(info, 14, fn, "reverse");
  const F32 out = f32Need(info, 15, fn, "out", T * B * H);
  const F32 hN = f32Need(info, 16, fn, "hN", B * H);
  const F32 cN = f32Need(info, 17, fn, "cN", B * H);
  const F32 gates = f32Need(info, 18, fn, "gates", T * B * G);
  const F32 cells = f32Need(info, 19, fn, "cells", T * B * H);

  const long rows = T * B;
  // b_ih + b_hh, then the step's recurrent product (B, G). The bias joins in the gate math rather
  // than as a pass over the whole (T·B, G) buffer.
  Workspace ws(G + B * G);
  float* bias = ws.data();
  float* hw = bias + G;
  for (long j = 0; j < G; j++) bias[j] = (bIh.data ? bIh.data[j] : 0.f) + (bHh.data ? bHh.data[j] : 0.f);
  std::memcpy(hN.data, h0.data, B * H * sizeof(float));
  std::memcpy(cN.data, c0.data, B * H * sizeof(float));
  if (hasLengths) std::memset(out.data, 0, T * B * H * sizeof(float));
  if (T == 0 || B == 0) return env.Undefined();

  if (T == 1 && B <= kSmallM) {
    // One step of a small batch (streaming): each sample's input and recurrent products in one
    // pass over W_ih and W_hh, on this thread.
    for (long b = 0; b < B; b++) {
      float* g = gates.data + b * G;
      if (lens[b] == 0) {
        // A sample of length 0 keeps its pre-activations, as the reference leaves them.
        sgemv(G, wIh.data, E, x.data + b * E, E, nullptr, 0, nullptr, 0, g, false);
        for (long j = 0; j < G; j++) g[j] += bias[j];
        continue;
      }
      sgemv(G, wIh.data, E, x.data + b * E, E, wHh.data, H, hN.data + b * H, H, hw, false);
      std::memset(g, 0, G * sizeof(float));
      cellForward(H, g, hw, bias, cN.data + b * H, cells.data + b * H, hN.data + b * H, out.data + b * H);
    }
    return env.Undefined();
  }

  sgemmParallel(false, true, rows, G, E, x.data, E, wIh.data, E, gates.data, G, false);
  // Steps past a sample's length keep their pre-activations, as the reference leaves them.
  for (long b = 0; b < B; b++)
    for (long t = lens[b]; t < T; t++) {
      float* row = gates.data + (t * B + b) * G;
      for (long j = 0; j < G; j++) row[j] += bias[j];
    }
  const Slices sl = sliceBatch(B);
  PackedB whh;  // W_hhᵀ: (H × G)
  packB(true, H, G, wHh.data, H, std::min(B, sl.chunk), whh);
  runTasks(sl.count, [&](int task) {
    const long b0 = task * sl.chunk, b1 = std::min(B, b0 + sl.chunk);
    for (long s = 0; s < T; s++) {
      sgemmPacked(b1 - b0, hN.data + b0 * H, H, whh, hw + b0 * G, G, false);
      for (long b = b0; b < b1; b++) {
        const long t = timeAt(s, lens[b], reverse);
        if (t < 0) continue;
        const long tb = t * B + b;
        cellForward(H, gates.data + tb * G, hw + b * G, bias, cN.data + b * H, cells.data + tb * H, hN.data + b * H,
                    out.data + tb * H);
      }
    }
  });
  return env.Undefined();
}

Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
  const char* fn = "lstmBackward";
  Napi::Env env = info.Env();
  expectArgs(info, 28, fn);
  const long T = intArg(info, 0, fn, "T"), B = intArg(info, 1, fn, "B"), E = intArg(info, 2, fn, "E");
  const long H = intArg(info, 3, fn, "H"), P = intArg(info, 4, fn, "P");
  checkDims(info, fn, T, B, E, H, P);
  const long G = 4 * H, rows = T * B;
  const F32 x = f32Need(info, 5, fn, "x", rows * E);
  const F32 wIh = f32Need(info, 6, fn, "wIh", G * E);
  const F32 wHh = f32Need(info, 7, fn, "wHh", G * H);
  const F32 h0 = f32Need(info, 9, fn, "h0", B * H);
  const F32 c0 = f32Need(info, 10, fn, "c0", B * H);
  bool hasLengths = false;
  const Lengths lens = lengthsArg(info, 11, fn, B, T, &hasLengths);
  const bool reverse = boolArg(info, 12, fn, "reverse");
  const F32 out = f32Need(info, 13, fn, "out", rows * H);
  const F32 gates = f32Need(info, 14, fn, "gates", rows * G);
  const F32 cells = f32Need(info, 15, fn, "cells", rows * H);
  const F32 dOut = f32OrNull(info, 17, fn, "dOut", rows * H);
  const F32 dhN = f32OrNull(info, 18, fn, "dhN", B * H);
  const F32 dcN = f32OrNull(info, 19, fn, "dcN", B * H);
  const F32 dx = f32OrNull(info, 20, fn, "dx", rows * E);
  const F32 dh0 = f32OrNull(info, 21, fn, "dh0", B * H);
  const F32 dc0 = f32OrNull(info, 22, fn, "dc0", B * H);
  const F32 dWih = f32OrNull(info, 23, fn, "dWih", G * E);
  const F32 dWhh = f32OrNull(info, 24, fn, "dWhh", G * H);
  const F32 dbIh = f32OrNull(info, 26, fn, "dbIh", G);
  const F32 dbHh = f32OrNull(info, 27, fn, "dbHh", G);

  std::unique_ptr<float[]> dGates(new float[std::max<long>(rows * G, 1)]);
  std::vector<float> dh(B * H, 0.f), dc(B * H, 0.f);
  if (dhN.data) std::memcpy(dh.data(), dhN.data, B * H * sizeof(float));
  if (dcN.data) std::memcpy(dc.data(), dcN.data, B * H * sizeof(float));
  // Steps past a sample's length have no gradient.
  for (long b = 0; b < B; b++)
    for (long t = lens[b]; t < T; t++) std::memset(dGates.get() + (t * B + b) * G, 0, G * sizeof(float));

  if (T > 0 && B > 0) {
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
          float* dhb = dh.data() + b * H;
          if (dOut.data)
            for (long j = 0; j < H; j++) dhb[j] += dOut.data[tb * H + j];
          const long pt = prevTime(t, lens[b], reverse);
          const float* cPrev = pt < 0 ? c0.data + b * H : cells.data + (pt * B + b) * H;
          cellBackward(H, gates.data + tb * G, cells.data + tb * H, cPrev, dhb, dc.data() + b * H, dgb);
          std::memcpy(dGates.get() + tb * G, dgb, G * sizeof(float));
          // The state's gradient now flows only through the recurrent product below.
          std::memset(dhb, 0, H * sizeof(float));
        }
        sgemmPacked(b1 - b0, dgStep.get() + b0 * G, G, whh, dh.data() + b0 * H, H, true);
      }
    });
  }
  if (dh0.data)
    for (long i = 0; i < B * H; i++) dh0.data[i] += dh[i];
  if (dc0.data)
    for (long i = 0; i < B * H; i++) dc0.data[i] += dc[i];
  if (rows == 0) return env.Undefined();
  if (dx.data) sgemmParallel(false, false, rows, E, G, dGates.get(), G, wIh.data, E, dx.data, E, true);
  if (dWih.data) sgemmParallel(true, false, G, E, rows, dGates.get(), G, x.data, E, dWih.data, E, true);
  if (dWhh.data) {
    std::unique_ptr<float[]> prev = previousStates(T, B, H, h0.data, out.data, lens, reverse);
    sgemmParallel(true, false, G, H, rows, dGates.get(), G, prev.get(), H, dWhh.data, H, true);
  }
  columnSumsInto(rows, G, dGates.get(), G, dbIh.data, dbHh.data);
  return env.Undefined();
}

}  // namespace

void registerLstm(Napi::Env env, Napi::Object exports) {
  exports.Set("lstmForward", Napi::Function::New(env, LstmForward, "lstmForward"));
  exports.Set("lstmBackward", Napi::Function::New(env, LstmBackward, "lstmBackward"));
}

}  // namespace kioku
