#!/usr/bin/env bash
# Builds the native kernels without N-API, with native/test/kernel_test.cc, and runs the binary on
# the PyTorch values of fixtures/kernels/kernels.txt for every instruction set it holds.
#   scripts/kernel-test.sh         this machine (npm run check:kernels)
#   scripts/kernel-test.sh arm64   cross-compiled for aarch64 and run under qemu-user
#                                  (npm run check:arm64; needs g++-aarch64-linux-gnu and qemu-user)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-host}"
work="$(mktemp -d "${TMPDIR:-/tmp}/kioku-kernels.XXXXXX")"
trap 'rm -rf "$work"' EXIT

flags=(-O2 -std=c++17 -pthread -fno-math-errno -I"$root/native/src")
# Extra flags for every compile and the link (scripts/asan.sh adds the sanitizers).
read -r -a extra <<<"${KIOKU_TEST_CXXFLAGS:-}"
flags+=("${extra[@]}")
run=()
case "$target" in
  host)
    cxx="${CXX:-c++}"
    arch="$(uname -m)"
    ;;
  arm64)
    cxx=aarch64-linux-gnu-g++
    arch=aarch64
    flags+=(-static)
    run=(qemu-aarch64)
    for tool in "$cxx" qemu-aarch64; do
      if ! command -v "$tool" >/dev/null; then
        echo "check:arm64: $tool not found; install it with: apt-get install -y g++-aarch64-linux-gnu qemu-user" >&2
        exit 2
      fi
    done
    ;;
  *)
    echo "usage: scripts/kernel-test.sh [host|arm64], got '$target'" >&2
    exit 2
    ;;
esac

# One object of the SIMD kernels per instruction set, as binding.gyp builds them.
variants=("portable:-DKIOKU_ISA_SCALAR")
case "$arch" in
  x86_64) variants+=("avx2:-mavx2 -mfma" "avx512:-mavx512f -mavx2 -mfma") ;;
  aarch64 | arm64) variants+=("neon:") ;;
esac

objects=()
pids=()
for v in "${variants[@]}"; do
  name="${v%%:*}"
  read -r -a isa_flags <<<"${v#*:}"
  "$cxx" "${flags[@]}" "${isa_flags[@]}" -c "$root/native/src/simd_kernels.cc" -o "$work/simd_$name.o" &
  pids+=($!)
  objects+=("$work/simd_$name.o")
done
for src in simd.cc pool.cc gemm/driver.cc gemm/pack.cc recurrent/recurrent.cc ../test/kernel_test.cc; do
  obj="$work/$(basename "$src" .cc).o"
  "$cxx" "${flags[@]}" -c "$root/native/src/$src" -o "$obj" &
  pids+=($!)
  objects+=("$obj")
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$cxx" "${flags[@]}" "${objects[@]}" -o "$work/kernel_test"
echo "kernel test: built for $arch with ${#variants[@]} instruction sets"
"${run[@]}" "$work/kernel_test" "$root/fixtures/kernels/kernels.txt"
