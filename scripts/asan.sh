#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer in a scratch copy of the repository (the
# regular build in native/build is left alone) and runs the native test suite against it.
# Node itself is not instrumented, so the ASan runtime is preloaded; leak detection is off
# because V8 keeps allocations alive until exit. Any ASan report fails the run. Then the C++
# kernel test binary (scripts/kernel-test.sh) runs under ASan and UBSan, leaks included.
#   usage: scripts/asan.sh [vitest paths…]   (default: test/native test/reliability)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kioku-asan.XXXXXX")"
trap 'rm -rf "$work"' EXIT

libasan="$(${CXX:-g++} -print-file-name=libasan.so)"
if [[ ! -e "$libasan" ]]; then
  echo "asan: libasan.so not found (install the compiler's AddressSanitizer runtime)" >&2
  exit 2
fi

# node-gyp's JavaScript entry: npm's copy (`npm run` names it in npm_config_node_gyp), else the one
# bundled with npm. (The node-gyp on npm run's PATH is a shell wrapper, not a script node can run.)
gyp="${npm_config_node_gyp:-}"
if [[ ! -f "$gyp" ]]; then
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
fi
if [[ ! -f "$gyp" ]]; then
  echo "asan: node-gyp not found (looked for npm's bundled copy at $gyp)" >&2
  exit 2
fi

# Build against the headers of the running node when they are installed (no download).
nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}"
gyp_args=(rebuild --jobs max)
[[ -e "$nodedir/include/node/node.h" ]] && gyp_args+=("--nodedir=$nodedir")

cp -r "$root/native" "$root/src" "$root/test" "$work/"
cp "$root/package.json" "$root/tsconfig.json" "$root/vitest.config.ts" "$work/"
for shared in node_modules fixtures scripts bench; do ln -s "$root/$shared" "$work/$shared"; done
rm -rf "$work/native/build"

flags='-fsanitize=address -fno-omit-frame-pointer -g -O1'
echo "asan: building the addon in $work/native"
(cd "$work/native" && CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS='-fsanitize=address' \
  node "$gyp" "${gyp_args[@]}" >"$work/build.log" 2>&1) || {
  tail -40 "$work/build.log" >&2
  exit 1
}
if ! nm -D "$work/native/build/Release/kioku.node" | grep __asan_init >/dev/null; then
  echo "asan: the addon was built without AddressSanitizer" >&2
  exit 1
fi

tests=("$@")
[[ ${#tests[@]} -eq 0 ]] && tests=(test/native test/reliability)
log="$work/asan.log"
echo "asan: running ${tests[*]}"
set +e
(cd "$work" && LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$work/asan-report" \
  KIOKU_BACKEND=native npx vitest run "${tests[@]}" 2>&1 | tee "$log")
status=${PIPESTATUS[0]}
set -e
reports=("$work"/asan-report*)
if [[ -e "${reports[0]}" ]]; then
  echo "asan: AddressSanitizer reported errors:" >&2
  cat "${reports[@]}" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "asan: tests failed (exit $status)" >&2
  exit "$status"
fi
echo "asan: no AddressSanitizer reports; native tests passed"

# The kernels without N-API, on every instruction set, under AddressSanitizer and UBSan too.
echo "asan: the C++ kernel test under AddressSanitizer and UndefinedBehaviorSanitizer"
KIOKU_TEST_CXXFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g' \
  ASAN_OPTIONS=detect_leaks=1 bash "$root/scripts/kernel-test.sh"
