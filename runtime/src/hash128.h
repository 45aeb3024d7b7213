/* hash128.h - a fast 128-bit content hash (non-cryptographic).
 *
 * Used by the master to tell whether a read-only interval a worker already
 * holds still has the same content (ship.c). See hash128.c for why this is
 * not SHA-256. */
#ifndef PYDRON_HASH128_H
#define PYDRON_HASH128_H

#include <stddef.h>
#include <stdint.h>

struct pydron_hash {
  uint64_t lo, hi;
};

struct pydron_hash pydron_hash128(const void *data, size_t n);

static inline int pydron_hash_equal(struct pydron_hash a, struct pydron_hash b) {
  return a.lo == b.lo && a.hi == b.hi;
}

#endif /* PYDRON_HASH128_H */
