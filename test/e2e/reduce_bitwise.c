// Folded products and bitwise recurrences: a wrapping product of odd
// numbers, and/or/xor over hashed values, each in its own loop and all three
// in one loop.
// RUN: %e2e %s | FileCheck %s
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static uint64_t mix64(uint64_t x) {
  for (int k = 0; k < 4; k++) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
  }
  return x;
}

PYDRON_SCHEDULE uint64_t product_odd(const uint64_t *a, long n) {
  uint64_t p = 3;
  // CHECK: reduce_bitwise.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    p *= mix64(a[i]) | 1u;
  return p;
}

PYDRON_SCHEDULE unsigned product_int(const unsigned *a, int n) {
  unsigned p = 1;
  // CHECK: reduce_bitwise.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    p *= a[i] | 1u;
  return p;
}

PYDRON_SCHEDULE uint64_t all_and(const uint64_t *a, long n) {
  uint64_t r = ~0ULL;
  // CHECK: reduce_bitwise.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    r &= mix64(a[i]) | 0xfff0ff0fff00ff0fULL;
  return r;
}

PYDRON_SCHEDULE uint32_t all_or(const uint64_t *a, long n) {
  uint32_t r = 0;
  // CHECK: reduce_bitwise.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    r |= (uint32_t)mix64(a[i]) & 0x8421248u;
  return r;
}

PYDRON_SCHEDULE uint64_t all_xor(const uint64_t *a, long n) {
  uint64_t r = 0x0123456789abcdefULL;
  // CHECK: reduce_bitwise.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    r ^= mix64(a[i] + (uint64_t)i);
  return r;
}

PYDRON_SCHEDULE void three_folds(const uint64_t *a, long n, uint64_t out[3]) {
  uint64_t x = 0, o = 0, an = ~0ULL;
  // CHECK: reduce_bitwise.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    uint64_t h = mix64(a[i] * 31u);
    x ^= h;
    o |= h & 0x1000000100000001ULL;
    an &= h | 0x7ffffffffffffffeULL;
  }
  out[0] = x;
  out[1] = o;
  out[2] = an;
}

int main(void) {
  const long n = 300000;
  uint64_t *a = malloc(n * sizeof *a);
  unsigned *u = malloc(n * sizeof *u);
  for (long i = 0; i < n; i++) {
    a[i] = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
    u[i] = (unsigned)(a[i] >> 17);
  }
  printf("product64: %016llx\n", (unsigned long long)product_odd(a, n));
  printf("product32: %08x\n", product_int(u, (int)n));
  printf("and:       %016llx\n", (unsigned long long)all_and(a, n));
  printf("or:        %08x\n", all_or(a, n));
  printf("xor:       %016llx\n", (unsigned long long)all_xor(a, n));
  uint64_t t[3];
  three_folds(a, n, t);
  printf("three:     %016llx %016llx %016llx\n", (unsigned long long)t[0],
         (unsigned long long)t[1], (unsigned long long)t[2]);
  free(a);
  free(u);
  return 0;
}
