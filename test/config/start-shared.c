// The same stop before main with the shared runtime: its constructor runs
// when the library is loaded, whether or not the program calls into it.
//
// RUN: %clang_plain %s -o %t.exe -L%rt_lib -Wl,--no-as-needed -lpydron_rt -Wl,-rpath,%rt_lib
// RUN: env PYDRON_CONF=%S/Inputs/cores-zero.json %t.exe > %t.out 2>&1 || echo "exit=$?" >> %t.out
// RUN: FileCheck %s < %t.out
// CHECK-NOT: main ran
// CHECK: pydron: {{.*}}cores-zero.json:3:36: workers[0].cores: expected a positive integer, got 0
// CHECK: exit=2
//
// RUN: env PYDRON_CONF=%S/Inputs/valid-multicore.json %t.exe | FileCheck %s --check-prefix=OK
// OK: main ran
#include <stdio.h>

int main(void) {
  printf("main ran\n");
  return 0;
}
