/* image.c - static storage of the loaded modules (see image.h). */
#include "image.h"

#include <link.h>
#include <stdio.h>
#include <string.h>

struct query {
  uintptr_t lo, hi;
  const char *name;
  struct image_module *out;
  int first, found;
};

/* Shared objects are matched by file name without the directory: a
 * remote worker loads them from its run directory (ssh_deploy.c), under
 * the same names. */
static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static void fill(struct dl_phdr_info *info, const char *name,
                 struct image_module *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", name);
  m->base = info->dlpi_addr;
  m->lo = UINTPTR_MAX;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
      continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
    if (a < m->lo)
      m->lo = a;
    if (b > m->hi)
      m->hi = b;
    if (m->nseg < IMAGE_MAX_SEGMENTS) {
      m->seg[m->nseg].lo = a;
      m->seg[m->nseg].hi = b;
      m->seg[m->nseg].writable = (ph->p_flags & PF_W) != 0;
      m->nseg++;
    }
  }
}

static int cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct query *q = arg;
  /* The first object is the main program, whatever its dlpi_name says. */
  const char *name = q->first ? "" : info->dlpi_name ? info->dlpi_name : "";
  int first = q->first;
  q->first = 0;
  if (!first && !name[0])
    return 0; /* the vdso and other unnamed objects */
  if (q->name) {
    if (strcmp(base_name(q->name), base_name(name)) != 0 ||
        !q->name[0] != !name[0])
      return 0;
    fill(info, name, q->out);
    q->found = 1;
    return 1;
  }
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
    if (q->lo >= a && q->hi <= b) {
      fill(info, name, q->out);
      q->found = 1;
      return 1;
    }
  }
  return 0;
}

int pydron_image_find(uintptr_t lo, uintptr_t hi, struct image_module *out) {
  struct query q = {lo, hi, NULL, out, 1, 0};
  dl_iterate_phdr(cb, &q);
  return q.found ? 0 : -1;
}

int pydron_image_by_name(const char *name, struct image_module *out) {
  struct query q = {0, 0, name, out, 1, 0};
  dl_iterate_phdr(cb, &q);
  return q.found ? 0 : -1;
}

int pydron_image_segment(const struct image_module *m, uintptr_t lo,
                         uintptr_t hi) {
  for (int i = 0; i < m->nseg; i++)
    if (lo >= m->seg[i].lo && hi <= m->seg[i].hi)
      return m->seg[i].writable;
  return -1;
}
