/* config_fuzz.c - libFuzzer target for the pydron.conf parser.
 *
 * Build (test/fuzz/config.test does this):
 *   clang-19 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I runtime/include -I runtime/src config_fuzz.c <runtime sources> \
 *     -ljansson -lpthread -lm
 * Run: ./config_fuzz -dict=test/fuzz/config.dict CORPUS test/config/Inputs
 *
 * Each input is one configuration file. It goes through both entry points:
 *  - the whole file path: written to a memfd and read by
 *    pydron_config_parse_file("/proc/self/fd/N") (read_whole, the schema,
 *    the permission check for secrets: a memfd's mode is 0777), then
 *    pydron_config_check_available, pydron_config_threads and the dump of
 *    every entry (secrets masked) when it parsed;
 *  - the buffer: pydron_schema_parse on exactly the input's bytes (not
 *    NUL-terminated: a copy of exactly `size` bytes, so ASan sees any read
 *    past the end), which also locates the line and column of schema errors.
 * Any crash, sanitizer report, leak, or an error message that is not
 * NUL-terminated within its buffer is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "schema.h"

static FILE *devnull;

static void check_error(const struct pydron_config_error *err) {
  /* The message must be a string inside its buffer. */
  if (!memchr(err->text, '\0', sizeof err->text))
    abort();
}

static void use(const struct pydron_config *cfg) {
  for (size_t i = 0; i < cfg->nworkers; i++)
    pydron_config_dump_worker(devnull, &cfg->workers[i]);
  (void)pydron_config_threads(cfg);
  (void)pydron_config_effective_threads(cfg, 0, 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  devnull = fopen("/dev/null", "w");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0; /* the parser's own 1 MiB limit is checked by the config tests */

  /* 1. the buffer, exactly `size` bytes */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  struct pydron_config cfg;
  struct pydron_config_error err;
  char secret_at[128];
  memset(&cfg, 0, sizeof cfg);
  memset(&err, 0, sizeof err);
  secret_at[0] = '\0';
  if (pydron_schema_parse("fuzz.json", text, size, &cfg, &err, secret_at,
                          sizeof secret_at) == 0)
    use(&cfg);
  else
    check_error(&err);
  pydron_config_free(&cfg);
  free(text);

  /* 2. the file path, through a memfd */
  int fd = memfd_create("pydron-conf-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  size_t off = 0;
  while (off < size) {
    ssize_t w = write(fd, data + off, size - off);
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  memset(&cfg, 0, sizeof cfg);
  memset(&err, 0, sizeof err);
  if (pydron_config_parse_file(path, &cfg, &err) == 0) {
    use(&cfg);
    if (pydron_config_check_available(&cfg, &err) != 0)
      check_error(&err);
  } else {
    check_error(&err);
  }
  pydron_config_free(&cfg);
  close(fd);
  return 0;
}
