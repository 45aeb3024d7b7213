/* image.h - the loaded modules of this process (executable and shared
 * objects) as dl_iterate_phdr sees them: where their static storage is.
 *
 * A chunk may read or write a global variable directly by its symbol (a
 * functional callee inlined into the chunk does), not only through an env
 * pointer. A worker runs the same executable, so its copy of that global
 * sits at the same offset from its module's base: shipped memory inside a
 * module's image is put there (ship.c, ship_worker.c), not into a fresh
 * mapping. */
#ifndef PYDRON_IMAGE_H
#define PYDRON_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_SEGMENTS 16
#define IMAGE_MAX_NAME 1024

struct image_module {
  char name[IMAGE_MAX_NAME]; /* "" for the main program */
  uintptr_t base;            /* load bias (dlpi_addr) */
  uintptr_t lo, hi;          /* span of its PT_LOAD segments */
  int nseg;
  struct {
    uintptr_t lo, hi;
    int writable;
  } seg[IMAGE_MAX_SEGMENTS];
};

/* The module whose image holds [lo, hi); 0, or -1 when none does. */
int pydron_image_find(uintptr_t lo, uintptr_t hi, struct image_module *out);
/* The module of this name ("" = the main program; shared objects match by
 * file name, whatever their directory); 0 or -1. */
int pydron_image_by_name(const char *name, struct image_module *out);
/* 1 when [lo, hi) lies in one writable segment of m, 0 in one read-only
 * segment, -1 otherwise. */
int pydron_image_segment(const struct image_module *m, uintptr_t lo,
                         uintptr_t hi);

#endif /* PYDRON_IMAGE_H */
