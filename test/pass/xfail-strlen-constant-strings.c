// XFAIL: *
// BUG (quality): strlen of constant strings (string literals, a const
// table of them) cannot conflict with any write: writing to constant memory
// is undefined. Without restrict on 'out' the plugin still rejects the loop
// ("'strlen' reading through a value has an address that is not affine in
// the loop counter ('strlen' reads a string of unknown length)"): it does
// not ask alias analysis whether the read is of constant memory
// (AA.pointsToConstantMemory / getModRefInfoMask). DESIGN.md lists "strlen
// on a read-only string" as pure. Expected: parallel (local-only is fine).
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s
#include <pydron.h>
#include <string.h>

static const char *const names[4] = {"a", "bb", "ccc", "dddd"};
static const char greeting[] = "hello, world";

PYDRON_SCHEDULE void name_lengths(size_t *out, int n) {
  // CHECK: xfail-strlen-constant-strings.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'strlen')
  for (int i = 0; i < n; i++)
    out[i] = strlen(names[i & 3]);
}

PYDRON_SCHEDULE void suffix_lengths(size_t *out, const int *k, int n) {
  // CHECK: xfail-strlen-constant-strings.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'strlen')
  for (int i = 0; i < n; i++)
    out[i] = strlen(greeting + (k[i] & 7));
}
