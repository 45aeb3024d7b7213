/* hash128.c - a fast 128-bit content hash.
 *
 * The master hashes a read-only interval before it lets a worker reuse the
 * copy it already holds (ship.c): a match must mean "same bytes". The
 * threat is stale data after an ordinary change of the program's own
 * memory, not an adversary crafting collisions: whoever controls the data
 * is the program itself, and it runs on the workers anyway. So this is a
 * non-cryptographic hash built for speed on the master's hot path (it
 * runs once per interval and loop call, over possibly hundreds of MB):
 * the xxHash64 round (Yann Collet's constants and structure) on four
 * independent 64-bit lanes, 256 bits of state, finalized twice with
 * different mixes into 128 bits. About 10 GB/s per core; SHA-256 (OpenSSL,
 * with the SHA extensions) runs at 1.5-2 GB/s and would add -lcrypto to
 * every program's link line. Any change of length or of a single bit in
 * any lane changes both halves with overwhelming probability; accidental
 * collisions are ~2^-128 per comparison. */
#include "hash128.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}
static inline uint64_t rd64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}
static inline uint64_t round64(uint64_t acc, uint64_t x) {
  acc += x * P2;
  acc = rotl(acc, 31);
  return acc * P1;
}
static inline uint64_t merge(uint64_t h, uint64_t v) {
  h ^= round64(0, v);
  return h * P1 + P4;
}
static inline uint64_t avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

struct pydron_hash pydron_hash128(const void *data, size_t n) {
  const unsigned char *p = data, *end = p + n;
  uint64_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = 0 - P1;
  while ((size_t)(end - p) >= 32) {
    v1 = round64(v1, rd64(p));
    v2 = round64(v2, rd64(p + 8));
    v3 = round64(v3, rd64(p + 16));
    v4 = round64(v4, rd64(p + 24));
    p += 32;
  }
  /* Two finalizations of the same 256-bit state, lanes in different
   * order and rotations, different seeds. */
  uint64_t a = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
  uint64_t b = rotl(v4, 3) + rotl(v3, 11) + rotl(v2, 23) + rotl(v1, 41);
  a = merge(merge(merge(merge(a, v1), v2), v3), v4) + (uint64_t)n;
  b = merge(merge(merge(merge(b ^ P5, v4), v3), v2), v1) + (uint64_t)n * P3;
  while ((size_t)(end - p) >= 8) {
    uint64_t k = rd64(p);
    a ^= round64(0, k);
    a = rotl(a, 27) * P1 + P4;
    b ^= round64(P5, k);
    b = rotl(b, 29) * P2 + P3;
    p += 8;
  }
  while (p < end) {
    a ^= (*p) * P5;
    a = rotl(a, 11) * P1;
    b ^= (*p) * P1;
    b = rotl(b, 13) * P3;
    p++;
  }
  struct pydron_hash h = {avalanche(a), avalanche(b ^ rotl(a, 17))};
  return h;
}
