/* fold.c - identities and combining of folded recurrences.
 *
 * Every chunk folds its iterations into its own partial buffer, which starts
 * at the identity of each slot; the partials are then combined into the
 * caller's result left to right, in iteration order. With these identities
 * and that order the result is bit for bit the sequential one for integer
 * and select folds (float add/mul are reassociated only with `reassoc`).
 * Slots may be unaligned inside the buffer, so values move with memcpy. */
#include "fold.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned type_size(unsigned type) {
  switch (type) {
  case PYDRON_TYPE_I8: return 1;
  case PYDRON_TYPE_I16: return 2;
  case PYDRON_TYPE_I32: case PYDRON_TYPE_F32: return 4;
  case PYDRON_TYPE_I64: case PYDRON_TYPE_F64: return 8;
  default: return 0;
  }
}

static int is_float(unsigned type) {
  return type == PYDRON_TYPE_F32 || type == PYDRON_TYPE_F64;
}

static int op_valid_for(unsigned op, unsigned type) {
  switch (op) {
  case PYDRON_FOLD_ADD: case PYDRON_FOLD_MUL:
    return 1;
  case PYDRON_FOLD_AND: case PYDRON_FOLD_OR: case PYDRON_FOLD_XOR:
  case PYDRON_FOLD_SMIN: case PYDRON_FOLD_SMAX:
  case PYDRON_FOLD_UMIN: case PYDRON_FOLD_UMAX:
    return !is_float(type);
  case PYDRON_FOLD_SEL_GT: case PYDRON_FOLD_SEL_GE:
  case PYDRON_FOLD_SEL_LT: case PYDRON_FOLD_SEL_LE:
    return is_float(type);
  case PYDRON_FOLD_LAST:
    return 1;
  default:
    return 0;
  }
}

int pydron_fold_validate(const struct pydron_loop *loop, char *why,
                         size_t why_len) {
  if (loop->num_folds && !loop->folds) {
    snprintf(why, why_len, "%u folds but no fold table", loop->num_folds);
    return -1;
  }
  for (uint32_t i = 0; i < loop->num_folds; i++) {
    const struct pydron_fold *f = &loop->folds[i];
    unsigned size = type_size(f->type);
    if (!size) {
      snprintf(why, why_len, "fold %u has unknown type %u", i, f->type);
      return -1;
    }
    if (!op_valid_for(f->op, f->type)) {
      snprintf(why, why_len, "fold %u has op %u, invalid for type %u", i,
               f->op, f->type);
      return -1;
    }
    if ((uint64_t)f->offset + size > loop->partial_size) {
      snprintf(why, why_len,
               "fold %u at offset %u (%u bytes) is outside the %u-byte "
               "partial buffer", i, f->offset, size, loop->partial_size);
      return -1;
    }
  }
  return 0;
}

/* Integers are handled as zero-extended 64-bit words: the low bits of
 * unsigned add/mul/and/or/xor are the same at every width, which gives the
 * wrapping the ABI asks for without signed overflow. */
static uint64_t load_int(const unsigned char *p, unsigned size) {
  uint8_t v8; uint16_t v16; uint32_t v32; uint64_t v64;
  switch (size) {
  case 1: memcpy(&v8, p, 1); return v8;
  case 2: memcpy(&v16, p, 2); return v16;
  case 4: memcpy(&v32, p, 4); return v32;
  default: memcpy(&v64, p, 8); return v64;
  }
}

static void store_int(unsigned char *p, unsigned size, uint64_t v) {
  uint8_t v8 = (uint8_t)v; uint16_t v16 = (uint16_t)v;
  uint32_t v32 = (uint32_t)v;
  switch (size) {
  case 1: memcpy(p, &v8, 1); break;
  case 2: memcpy(p, &v16, 2); break;
  case 4: memcpy(p, &v32, 4); break;
  default: memcpy(p, &v, 8); break;
  }
}

/* The signed value of a `size`-byte word; flipping the sign bit maps signed
 * order onto unsigned order, which avoids implementation-defined casts. */
static uint64_t signed_key(uint64_t v, unsigned size) {
  return v ^ ((uint64_t)1 << (size * 8 - 1));
}

static uint64_t int_identity(unsigned op, unsigned size) {
  uint64_t ones = size == 8 ? UINT64_MAX : (((uint64_t)1 << (size * 8)) - 1);
  uint64_t sign = (uint64_t)1 << (size * 8 - 1);
  switch (op) {
  case PYDRON_FOLD_MUL: return 1;
  case PYDRON_FOLD_AND: return ones;
  case PYDRON_FOLD_SMIN: return ones >> 1; /* largest signed value */
  case PYDRON_FOLD_SMAX: return sign;      /* smallest signed value */
  case PYDRON_FOLD_UMIN: return ones;
  default: return 0; /* ADD, OR, XOR, UMAX */
  }
}

static uint64_t int_combine(unsigned op, unsigned size, uint64_t a,
                            uint64_t p) {
  switch (op) {
  case PYDRON_FOLD_ADD: return a + p;
  case PYDRON_FOLD_MUL: return a * p;
  case PYDRON_FOLD_AND: return a & p;
  case PYDRON_FOLD_OR: return a | p;
  case PYDRON_FOLD_XOR: return a ^ p;
  case PYDRON_FOLD_SMIN:
    return signed_key(p, size) < signed_key(a, size) ? p : a;
  case PYDRON_FOLD_SMAX:
    return signed_key(p, size) > signed_key(a, size) ? p : a;
  case PYDRON_FOLD_UMIN: return p < a ? p : a;
  case PYDRON_FOLD_UMAX: return p > a ? p : a;
  default: return a;
  }
}

/* -0.0 is the identity of addition: -0.0 + x == x for every x, +0.0 and
 * -0.0 included, so a sum of -0.0 values stays -0.0. The select folds start
 * at the infinity no element can beat; NaN never wins an ordered compare. */
static double float_identity(unsigned op) {
  switch (op) {
  case PYDRON_FOLD_ADD: return -0.0;
  case PYDRON_FOLD_MUL: return 1.0;
  case PYDRON_FOLD_SEL_GT: case PYDRON_FOLD_SEL_GE: return -INFINITY;
  default: return INFINITY; /* SEL_LT, SEL_LE */
  }
}

/* `acc = p OP acc ? p : acc`, as the sequential select does with p being
 * the later value: GT/LT keep the first of equal values, GE/LE the last. */
#define FLOAT_COMBINE(T)                                                       \
  static T combine_##T(unsigned op, T a, T p) {                                \
    switch (op) {                                                              \
    case PYDRON_FOLD_ADD: return a + p;                                        \
    case PYDRON_FOLD_MUL: return a * p;                                        \
    case PYDRON_FOLD_SEL_GT: return p > a ? p : a;                             \
    case PYDRON_FOLD_SEL_GE: return p >= a ? p : a;                            \
    case PYDRON_FOLD_SEL_LT: return p < a ? p : a;                             \
    case PYDRON_FOLD_SEL_LE: return p <= a ? p : a;                            \
    default: return a;                                                         \
    }                                                                          \
  }
FLOAT_COMBINE(float)
FLOAT_COMBINE(double)

void pydron_fold_identity(const struct pydron_loop *loop, void *partial) {
  unsigned char *buf = partial;
  memset(buf, 0, loop->partial_size);
  for (uint32_t i = 0; i < loop->num_folds; i++) {
    const struct pydron_fold *f = &loop->folds[i];
    unsigned char *slot = buf + f->offset;
    if (f->type == PYDRON_TYPE_F32) {
      float v = (float)float_identity(f->op);
      memcpy(slot, &v, sizeof v);
    } else if (f->type == PYDRON_TYPE_F64) {
      double v = float_identity(f->op);
      memcpy(slot, &v, sizeof v);
    } else {
      unsigned size = type_size(f->type);
      store_int(slot, size, int_identity(f->op, size));
    }
  }
}

void pydron_fold_combine(const struct pydron_loop *loop, void *acc,
                         const void *p) {
  unsigned char *a = acc;
  const unsigned char *b = p;
  for (uint32_t i = 0; i < loop->num_folds; i++) {
    const struct pydron_fold *f = &loop->folds[i];
    if (f->op == PYDRON_FOLD_LAST) { /* the later chunk's value wins */
      unsigned size = f->type == PYDRON_TYPE_F32   ? 4
                      : f->type == PYDRON_TYPE_F64 ? 8
                                                   : type_size(f->type);
      memcpy(a + f->offset, b + f->offset, size);
      continue;
    }
    if (f->type == PYDRON_TYPE_F32) {
      float x, y;
      memcpy(&x, a + f->offset, sizeof x);
      memcpy(&y, b + f->offset, sizeof y);
      x = combine_float(f->op, x, y);
      memcpy(a + f->offset, &x, sizeof x);
    } else if (f->type == PYDRON_TYPE_F64) {
      double x, y;
      memcpy(&x, a + f->offset, sizeof x);
      memcpy(&y, b + f->offset, sizeof y);
      x = combine_double(f->op, x, y);
      memcpy(a + f->offset, &x, sizeof x);
    } else {
      unsigned size = type_size(f->type);
      uint64_t x = load_int(a + f->offset, size);
      uint64_t y = load_int(b + f->offset, size);
      store_int(a + f->offset, size, int_combine(f->op, size, x, y));
    }
  }
}
