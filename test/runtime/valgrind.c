// The runtime under valgrind (memcheck): no invalid access, no leak (the
// pool's threads are joined and its memory freed at exit). The runtime is
// compiled in with DWARF 4: valgrind 3.19 cannot read clang 19's DWARF 5.
// RUN: %clang -O1 -gdwarf-4 -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/Inputs %s %rt_sources -lpthread -lm -o %t
// RUN: if command -v valgrind > /dev/null; then env PYDRON_WORKERS=4 valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible -q %t; else echo "valgrind is not installed: running without it" >&2; env PYDRON_WORKERS=4 %t; fi | FileCheck %s
// CHECK: ok
#include "stress_main.h"

int main(void) { return stress_main(6); }
