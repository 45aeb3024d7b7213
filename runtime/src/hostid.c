/* hostid.c - build id, architecture and CPU features of this process, and
 * the master's check of a worker's hello.
 *
 * A worker runs chunk functions compiled into the master's executable, so
 * it must run the same executable (build id), on the same architecture,
 * with every instruction-set extension the master has: the program may
 * have been built with -march=native. Folds are bit-identical only when
 * the same libm code runs too, and glibc's libm picks its exp/log/pow/sin
 * variants by FMA and AVX2 (ifuncs), so those must be equal on both sides,
 * not just present on the worker. */
#include "hostid.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "hash128.h"
#include "pydron_abi.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* ---- build id ------------------------------------------------------------ */

static char build_id[129];
static pthread_once_t build_id_once = PTHREAD_ONCE_INIT;

static int note_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  char *out = arg;
  /* The first object is the main program. */
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE)
      continue;
    const unsigned char *p =
        (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
    size_t off = 0, len = ph->p_memsz;
    while (off + sizeof(ElfW(Nhdr)) <= len) {
      const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(p + off);
      size_t name = (nh->n_namesz + 3u) & ~3u, desc = (nh->n_descsz + 3u) & ~3u;
      const unsigned char *n = p + off + sizeof *nh;
      if (off + sizeof *nh + name + desc > len)
        break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
          memcmp(n, "GNU", 4) == 0 && nh->n_descsz > 0 &&
          nh->n_descsz <= 64) {
        for (size_t k = 0; k < nh->n_descsz; k++)
          sprintf(out + 2 * k, "%02x", n[name + k]);
        return 1;
      }
      off += sizeof *nh + name + desc;
    }
  }
  return 1; /* only the main program */
}

static void build_id_init(void) {
  dl_iterate_phdr(note_cb, build_id);
  if (build_id[0])
    return;
  /* No note (linked with --build-id=none): hash the file itself. */
  FILE *f = fopen("/proc/self/exe", "rb");
  if (!f) {
    snprintf(build_id, sizeof build_id, "unknown");
    return;
  }
  size_t cap = 1 << 20, n = 0;
  unsigned char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) {
    snprintf(build_id, sizeof build_id, "unknown");
    return;
  }
  struct pydron_hash h = pydron_hash128(buf, n);
  free(buf);
  snprintf(build_id, sizeof build_id, "exe-%016llx%016llx",
           (unsigned long long)h.hi, (unsigned long long)h.lo);
}

const char *pydron_hostid_build_id(void) {
  pthread_once(&build_id_once, build_id_init);
  return build_id;
}

/* ---- architecture and CPU features ---------------------------------------- */

#if defined(__x86_64__)
#define ARCH_NAME "x86_64"
#elif defined(__i386__)
#define ARCH_NAME "i386"
#elif defined(__aarch64__)
#define ARCH_NAME "aarch64"
#elif defined(__riscv)
#define ARCH_NAME "riscv"
#elif defined(__powerpc64__)
#define ARCH_NAME "ppc64"
#else
#define ARCH_NAME "unknown"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARCH_ENDIAN "le"
#else
#define ARCH_ENDIAN "be"
#endif

struct feature {
  unsigned word, bit;
  const char *name;
  int libm; /* glibc's libm dispatches on it: must be equal on both sides */
};

#if defined(__x86_64__) || defined(__i386__)
/* Word 0: cpuid(1) edx | ecx << 32; word 1: cpuid(7,0) ebx | ecx << 32;
 * word 2: cpuid(7,0) edx | cpuid(0x80000001) ecx << 32; word 3: XCR0. */
#define NWORDS 4
static const struct feature features[] = {
    {0, 23, "mmx", 0},       {0, 25, "sse", 0},
    {0, 26, "sse2", 0},      {0, 32 + 0, "sse3", 0},
    {0, 32 + 1, "pclmulqdq", 0}, {0, 32 + 9, "ssse3", 0},
    {0, 32 + 12, "fma", 1},  {0, 32 + 13, "cx16", 0},
    {0, 32 + 19, "sse4.1", 0}, {0, 32 + 20, "sse4.2", 0},
    {0, 32 + 22, "movbe", 0}, {0, 32 + 23, "popcnt", 0},
    {0, 32 + 25, "aes", 0},  {0, 32 + 28, "avx", 0},
    {0, 32 + 29, "f16c", 0}, {0, 32 + 30, "rdrand", 0},
    {1, 3, "bmi1", 0},       {1, 5, "avx2", 1},
    {1, 8, "bmi2", 0},       {1, 16, "avx512f", 0},
    {1, 17, "avx512dq", 0},  {1, 18, "rdseed", 0},
    {1, 19, "adx", 0},       {1, 21, "avx512ifma", 0},
    {1, 28, "avx512cd", 0},  {1, 29, "sha", 0},
    {1, 30, "avx512bw", 0},  {1, 31, "avx512vl", 0},
    {1, 32 + 1, "avx512vbmi", 0}, {1, 32 + 6, "avx512vbmi2", 0},
    {1, 32 + 8, "gfni", 0},  {1, 32 + 9, "vaes", 0},
    {1, 32 + 10, "vpclmulqdq", 0}, {1, 32 + 11, "avx512vnni", 0},
    {1, 32 + 12, "avx512bitalg", 0}, {1, 32 + 14, "avx512vpopcntdq", 0},
    {2, 23, "avx512fp16", 0}, {2, 32 + 5, "lzcnt", 0},
    {2, 32 + 6, "sse4a", 0}, {2, 32 + 16, "fma4", 1},
    {3, 1, "os-sse-state", 0}, {3, 2, "os-avx-state", 0},
    {3, 5, "os-avx512-state", 0},
};

static void read_features(uint64_t *w) {
  unsigned a, b, c, d, max = __get_cpuid_max(0, NULL);
  w[0] = w[1] = w[2] = w[3] = 0;
  if (max >= 1 && __get_cpuid(1, &a, &b, &c, &d)) {
    w[0] = (uint64_t)d | (uint64_t)c << 32;
    if (c & (1u << 27)) { /* OSXSAVE: XCR0 readable */
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      w[3] = (uint64_t)lo | (uint64_t)hi << 32;
    }
  }
  if (max >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    w[1] = (uint64_t)b | (uint64_t)c << 32;
    w[2] = d;
  }
  if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u &&
      __get_cpuid(0x80000001u, &a, &b, &c, &d))
    w[2] |= (uint64_t)c << 32;
}
#else
/* Elsewhere: the kernel's hardware capability words. */
#define NWORDS 2
static const struct feature features[] = {{0, 0, NULL, 0}};
static void read_features(uint64_t *w) {
  w[0] = getauxval(AT_HWCAP);
#ifdef AT_HWCAP2
  w[1] = getauxval(AT_HWCAP2);
#else
  w[1] = 0;
#endif
}
#endif

void pydron_hostid_fill(struct proto_hello *h) {
  h->version = PROTO_VERSION;
  h->abi_version = PYDRON_ABI_VERSION;
  snprintf(h->build_id, sizeof h->build_id, "%s", pydron_hostid_build_id());
  snprintf(h->arch, sizeof h->arch, "%s-linux-%s%u", ARCH_NAME, ARCH_ENDIAN,
           (unsigned)(8 * sizeof(void *)));
  if (gethostname(h->host, sizeof h->host - 1) != 0)
    snprintf(h->host, sizeof h->host, "?");
  h->host[sizeof h->host - 1] = 0;
  h->nfeatures = NWORDS;
  read_features(h->features);
}

/* Appends the names of the bits in `bits` of word w ("0x..." for bits
 * without a name). */
static void names(char *out, size_t cap, unsigned w, uint64_t bits) {
  size_t n = strlen(out);
  for (unsigned bit = 0; bit < 64; bit++) {
    if (!(bits >> bit & 1))
      continue;
    const char *name = NULL;
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
      if (features[i].name && features[i].word == w && features[i].bit == bit)
        name = features[i].name;
    if (n + 40 >= cap)
      return;
    if (name)
      n += (size_t)snprintf(out + n, cap - n, " %s", name);
    else
      n += (size_t)snprintf(out + n, cap - n, " word%u.bit%u", w, bit);
  }
}

int pydron_hostid_check(const struct proto_hello *m,
                        const struct proto_hello *w, char *why,
                        size_t why_len) {
  if (w->version != m->version) {
    snprintf(why, why_len, "protocol version: worker %u, master %u",
             w->version, m->version);
    return -1;
  }
  if (w->abi_version != m->abi_version) {
    snprintf(why, why_len, "Pydron ABI version: worker %u, master %u",
             w->abi_version, m->abi_version);
    return -1;
  }
  if (strcmp(w->arch, m->arch) != 0) {
    snprintf(why, why_len, "architecture: worker %s, master %s", w->arch,
             m->arch);
    return -1;
  }
  if (strcmp(w->build_id, m->build_id) != 0) {
    snprintf(why, why_len, "executable build id: worker %s, master %s (the "
             "worker runs a different build of the program)", w->build_id,
             m->build_id);
    return -1;
  }
  if (w->nfeatures != m->nfeatures) {
    snprintf(why, why_len, "CPU feature words: worker %u, master %u",
             w->nfeatures, m->nfeatures);
    return -1;
  }
  char lacks[512] = "", differ[256] = "";
  for (unsigned k = 0; k < m->nfeatures && k < PROTO_MAX_FEATURES; k++) {
    uint64_t known = 0, libm = 0;
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
      if (!features[i].name || features[i].word != k)
        continue;
      known |= 1ull << features[i].bit;
      if (features[i].libm)
        libm |= 1ull << features[i].bit;
    }
#if !(defined(__x86_64__) || defined(__i386__))
    known = ~0ull; /* HWCAP words: every bit is a feature */
#endif
    uint64_t missing = m->features[k] & known & ~w->features[k];
    uint64_t extra = w->features[k] & libm & ~m->features[k];
    names(lacks, sizeof lacks, k, missing);
    names(differ, sizeof differ, k, extra);
  }
  if (lacks[0]) {
    snprintf(why, why_len, "CPU features: the worker (%s) lacks%s, which "
             "the master (%s) has", w->host, lacks, m->host);
    return -1;
  }
  if (differ[0]) {
    snprintf(why, why_len, "CPU features: the worker (%s) has%s, the master "
             "(%s) has not; libm would run different code and results "
             "could differ", w->host, differ, m->host);
    return -1;
  }
  return 0;
}
