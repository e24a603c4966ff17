#!/usr/bin/env bash
# Builds bench/native/kernels.cc with the native kernels (as scripts/kernel-test.sh does, -O3 -g)
# into ${1:-/tmp/kioku-kernels-bench}: `bash bench/native/build.sh [out]`, then `out lstm-fwd 21 2`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-/tmp/kioku-kernels-bench}"
work="$(mktemp -d "${TMPDIR:-/tmp}/kioku-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
flags=(-O3 -g -fno-omit-frame-pointer -std=c++17 -pthread -fno-math-errno -I"$root/native/src")
objects=()
pids=()
for v in "portable:-DKIOKU_ISA_SCALAR" "avx2:-mavx2 -mfma" "avx512:-mavx512f -mavx2 -mfma"; do
  name="${v%%:*}"
  read -r -a isa_flags <<<"${v#*:}"
  c++ "${flags[@]}" "${isa_flags[@]}" -c "$root/native/src/simd_kernels.cc" -o "$work/simd_$name.o" &
  pids+=($!)
  objects+=("$work/simd_$name.o")
done
for src in native/src/simd.cc native/src/pool.cc native/src/gemm/driver.cc native/src/gemm/pack.cc \
  native/src/recurrent/recurrent.cc native/src/adam.cc bench/native/kernels.cc; do
  obj="$work/$(basename "$src" .cc).o"
  c++ "${flags[@]}" -c "$root/$src" -o "$obj" &
  pids+=($!)
  objects+=("$obj")
done
for pid in "${pids[@]}"; do wait "$pid"; done
c++ "${flags[@]}" "${objects[@]}" -o "$out"
