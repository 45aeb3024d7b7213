// The runtime's own sources built with ThreadSanitizer into the test:
// no data race in the pool, the scheduler, the folds or the registry.
// RUN: %clang -fsanitize=thread -O1 -g -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/Inputs %s %rt_sources -lpthread -lm -o %t
// RUN: env TSAN_OPTIONS=halt_on_error=1:exitcode=66 PYDRON_WORKERS=4 %t | FileCheck %s
// RUN: env TSAN_OPTIONS=halt_on_error=1:exitcode=66 PYDRON_WORKERS=2 %t | FileCheck %s
// CHECK: ok
#include "stress_main.h"

int main(void) { return stress_main(20); }
