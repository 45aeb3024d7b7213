// Bad PYDRON_WORKERS / PYDRON_DISABLE values stop the program before main
// with a clear message and exit status 2; good ones are accepted.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=abc %t > %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_WORKERS=0 %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_WORKERS=-3 %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_WORKERS=4x %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env "PYDRON_WORKERS= 4" %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_WORKERS=99999999999999999999 %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_WORKERS=5000 %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_DISABLE=yes %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: env PYDRON_WORKERS=3 %t >> %t.out 2>&1; echo "exit=$?" >> %t.out
// RUN: FileCheck %s < %t.out
// CHECK: pydron: PYDRON_WORKERS=abc is not a positive integer
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_WORKERS=0 is not a positive integer
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_WORKERS=-3 is not a positive integer
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_WORKERS=4x is not a positive integer
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_WORKERS= 4 is not a positive integer
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_WORKERS=99999999999999999999 is too large (at most 4096)
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_WORKERS=5000 is too large (at most 4096)
// CHECK-NEXT: exit=2
// CHECK-NEXT: pydron: PYDRON_DISABLE=yes must be 0 or 1
// CHECK-NEXT: exit=2
// CHECK-NEXT: main ran
// CHECK-NEXT: exit=0
#include "rt_test.h"

int main(void) {
  /* The runtime is linked in (as generated code would pull it in). */
  CHECK(pydron_parallel_for(NULL, 0, NULL, NULL) == 0, "NULL loop ran");
  puts("main ran");
  return 0;
}
