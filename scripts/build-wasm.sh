#!/usr/bin/env bash
# Builds the WebAssembly backend from the native kernel sources (npm run build:wasm):
#   native/wasm/kioku-simd128.wasm   WebAssembly SIMD128 (every engine with SIMD)
#   native/wasm/kioku-relaxed.wasm   the same with relaxed-SIMD fused multiply-add
#   native/wasm/kioku-simd128-threads.wasm, kioku-relaxed-threads.wasm   the same two with atomics on
#                                    an imported shared memory, instantiated once per worker thread
#                                    (native/src/wasm/pool.cc, src/backend/wasm/threads.ts)
# Toolchain: Debian 12's clang-19 and lld-19 with wasi-libc and libc++ for wasm32 (no Emscripten):
#   apt-get install -y clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 \
#     libclang-rt-19-dev-wasm32
# The flags below are pinned and paths are mapped, so a rebuild is byte-identical to the committed
# files (.ci/run compares them). Each module also carries a custom section `kioku-source`: the
# SHA-256 of the sources it was built from (sourceHash below), which the tests recompute.
#   scripts/build-wasm.sh           build into native/wasm/
#   scripts/build-wasm.sh --check   build into a temporary folder and fail if the committed files differ
#   scripts/build-wasm.sh --hash    print the source hash only
#   scripts/build-wasm.sh --variant DIR FLAG…   build into DIR with extra compiler flags (kernel
#                                   variants for bench/wasm-ab.ts, e.g. -DKIOKU_WASM_TILE_ROWS=3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The sources one build compiles, and the headers they may include: everything under native/src
# but the N-API addon's own files and the threaded pool.
sourceFiles() {
  find native/src -type f \( -name '*.cc' -o -name '*.h' \) \
    ! -name addon.cc ! -name napi_reader.h ! -path native/src/pool.cc | LC_ALL=C sort
  echo scripts/build-wasm.sh
}

# SHA-256 over `sha256sum` of each source file in order (test/wasm/binaries.test.ts recomputes it).
sourceHash() {
  # shellcheck disable=SC2046
  sha256sum $(sourceFiles) | sha256sum | cut -d' ' -f1
}

if [[ "${1:-}" == "--hash" ]]; then
  sourceHash
  exit 0
fi

cxx=clang++-19
ld=wasm-ld-19
for tool in "$cxx" "$ld"; do
  if ! command -v "$tool" >/dev/null; then
    echo "build:wasm: $tool not found; install the toolchain listed in scripts/build-wasm.sh" >&2
    exit 2
  fi
done
lib=/usr/lib/wasm32-wasi
cxxlib=/usr/lib/llvm-19/lib/wasm32-wasi
builtins=/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a

out="$root/native/wasm"
check=0
variant=()
if [[ "${1:-}" == "--check" ]]; then
  check=1
  out="$(mktemp -d "${TMPDIR:-/tmp}/kioku-wasm.XXXXXX")"
elif [[ "${1:-}" == "--variant" ]]; then
  mkdir -p "$2"
  out="$(cd "$2" && pwd)"
  variant=("${@:3}")
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/kioku-wasm-obj.XXXXXX")"
trap 'rm -rf "$work"; if [[ $check == 1 ]]; then rm -rf "$out"; fi' EXIT

# Features every engine with SIMD128 has (Chrome 91, Firefox 89, Safari 16.4, Node 16.4).
features=(-mcpu=mvp -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext -mmutable-globals)
cflags=(--target=wasm32-wasi --sysroot=/usr -std=c++17 -O3 -DNDEBUG -fexceptions -fno-math-errno
  -ffile-prefix-map="$root"=. -Inative/src "${features[@]}")
sources=(adam.cc elementwise.cc embedding.cc gemm/driver.cc gemm/pack.cc masked_pool.cc permute.cc recurrent/recurrent.cc
  simd.cc wasm/abi.cc wasm/entry.cc wasm/macro_kernel.cc wasm/memcmp.cc wasm/pool.cc)
hash="$(sourceHash)"

# The threaded builds' memory is shared and imported (each worker instance gets the same one); the
# heap's functions go through pool.cc's lock, since wasi-libc's malloc has none. Debian's libc and
# libc++ for wasm32 are built without atomics, which wasm-ld would refuse beside shared memory: their
# code runs on the calling thread only (argument checks, messages), a worker runs GEMM tasks and
# the locked heap, so the feature check is off.
threadLink=(--shared-memory --import-memory --export-memory --no-check-features)
for fn in malloc free calloc realloc aligned_alloc posix_memalign; do threadLink+=("--wrap=$fn"); done

# build NAME LINKFLAGS… -- [extra compiler flags]: compiles every source and links
# native/wasm/kioku-NAME.wasm.
build() {
  local name="$1" link=()
  shift
  while [[ "$1" != "--" ]]; do
    link+=("$1")
    shift
  done
  shift
  local dir="$work/$name" objects=()
  mkdir -p "$dir"
  "$cxx" "${cflags[@]}" "$@" -DKIOKU_ISA_SCALAR -c native/src/simd_kernels.cc -o "$dir/simd_portable.o" &
  "$cxx" "${cflags[@]}" "$@" -c native/src/simd_kernels.cc -o "$dir/simd_vector.o" &
  objects+=("$dir/simd_portable.o" "$dir/simd_vector.o")
  for src in "${sources[@]}"; do
    local obj="$dir/${src//\//_}.o"
    "$cxx" "${cflags[@]}" "$@" -c "native/src/$src" -o "$obj" &
    objects+=("$obj")
  done
  local pid
  for pid in $(jobs -p); do wait "$pid"; done
  "$ld" --no-entry --gc-sections --strip-all -z stack-size=1048576 --initial-memory=4194304 \
    --max-memory=4294967296 --export=__stack_pointer "${link[@]}" \
    "${objects[@]}" "$cxxlib/libc++.a" "$cxxlib/libc++abi.a" "$lib/libc.a" "$lib/libm.a" \
    "$builtins" -o "$dir/kioku.wasm"
  node scripts/wasm-section.mjs "$dir/kioku.wasm" kioku-source "$hash" "$out/kioku-$name.wasm"
}

names=(simd128 relaxed simd128-threads relaxed-threads)
build simd128 -- "${variant[@]}"
build relaxed -- -mrelaxed-simd "${variant[@]}"
build simd128-threads "${threadLink[@]}" -- -matomics "${variant[@]}"
build relaxed-threads "${threadLink[@]}" -- -matomics -mrelaxed-simd "${variant[@]}"

if [[ $check == 1 ]]; then
  for name in "${names[@]}"; do
    if ! cmp -s "$out/kioku-$name.wasm" "native/wasm/kioku-$name.wasm"; then
      echo "build:wasm: native/wasm/kioku-$name.wasm differs from a rebuild of the sources; run npm run build:wasm and commit" >&2
      exit 1
    fi
  done
  echo "build:wasm: the committed modules are what the sources build"
else
  ls -l "$out"/*.wasm
fi
