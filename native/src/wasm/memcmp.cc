// memcmp for the WebAssembly build, in place of wasi-libc's, which compares a byte at a time: the
// search for repeated input rows (recurrent/distinct_rows.h) confirms every hash match with a
// memcmp of a whole row, which at the seed's shape (some 2,800 repeats of 512 bytes per forward)
// cost about 3% of an inference. This one compares 16 bytes at a time and the first differing
// block byte by byte; wasm-ld takes it before libc.a's.
#include <stddef.h>
#include <wasm_simd128.h>

extern "C" int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(a);
  const unsigned char* q = static_cast<const unsigned char*>(b);
  for (; n >= 16; n -= 16, p += 16, q += 16)
    if (!wasm_i8x16_all_true(wasm_i8x16_eq(wasm_v128_load(p), wasm_v128_load(q)))) break;
  for (; n > 0; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}
