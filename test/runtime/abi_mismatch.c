// A module or loop built for another ABI version, or a malformed
// descriptor, stops the program at registration with a message naming the
// module (and loop), not with a crash in the middle of a loop.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: not --crash %t module 2>&1 | FileCheck %s --check-prefix=MODULE
// RUN: not --crash %t loop 2>&1 | FileCheck %s --check-prefix=LOOP
// RUN: not --crash %t fold 2>&1 | FileCheck %s --check-prefix=FOLD
// RUN: not --crash %t offset 2>&1 | FileCheck %s --check-prefix=OFFSET
// RUN: not --crash %t chunk 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not --crash %t chain 2>&1 | FileCheck %s --check-prefix=CHAIN
// RUN: %t ok | FileCheck %s --check-prefix=OK
// MODULE: pydron: module app.c#1234 was built for Pydron ABI version 99, but this runtime (libpydron_rt) implements ABI version {{[0-9]+}}; rebuild it with the matching plugin and runtime
// LOOP: pydron: module app.c#1234, loop app.c#1234:0 (test at {{.*}}rt_test.h:1:1): loop descriptor has ABI version 7, runtime implements {{[0-9]+}}
// FOLD: pydron: module app.c#1234, loop app.c#1234:0 ({{.*}}): fold 0 has op 3, invalid for type 6
// OFFSET: pydron: module app.c#1234, loop app.c#1234:0 ({{.*}}): fold 0 at offset 4 (8 bytes) is outside the 8-byte partial buffer
// CHUNK: pydron: module app.c#1234, loop app.c#1234:0 ({{.*}}): loop has no chunk function
// CHAIN: pydron: module app.c#1234, loop app.c#1234:0 ({{.*}}): loop has 8-byte chain values and 0-byte chain state but no chain function
// OK: registered
#include "rt_test.h"

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)lo; (void)hi; (void)env; (void)partial;
}

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: abi_mismatch WHAT");
  const char *what = argv[1];
  static struct pydron_fold fold = {PYDRON_FOLD_ADD, PYDRON_TYPE_F64, 0};
  static struct pydron_loop loop;
  loop = rt_loop("app.c#1234:0", chunk, 8, &fold, 1, 0, 0);
  static const struct pydron_loop *table[] = {&loop};
  static struct pydron_module module = {PYDRON_ABI_VERSION, 1, "app.c#1234",
                                        table};
  if (!strcmp(what, "module"))
    module.abi_version = 99;
  else if (!strcmp(what, "loop"))
    loop.abi_version = 7;
  else if (!strcmp(what, "fold"))
    fold.op = PYDRON_FOLD_AND; /* AND of doubles */
  else if (!strcmp(what, "offset"))
    fold.offset = 4;
  else if (!strcmp(what, "chunk"))
    loop.chunk = NULL;
  else if (!strcmp(what, "chain"))
    loop.value_size = 8; /* values for a chain that is not there */
  pydron_register_module(&module);
  puts("registered");
  return 0;
}
