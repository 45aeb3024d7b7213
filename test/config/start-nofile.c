// No configuration file anywhere: the program starts, every core is used
// (threads 0 for the pool), from one implicit multicore entry.
// REQUIRES: no-etc-pydron-conf
//
// RUN: %clang_plain -I%src_root/runtime/src %s -o %t.exe %rt_link
// RUN: rm -rf %t.dir && mkdir -p %t.dir/home %t.dir/cwd
// RUN: cd %t.dir/cwd && env HOME=%t.dir/home %t.exe | FileCheck %s
// CHECK: threads=0 implicit=1 workers=1 type=multicore
#include <stdio.h>

#include "config.h"

int main(void) {
  const struct pydron_config *cfg = pydron_config_global();
  printf("threads=%d implicit=%d workers=%zu type=%s\n",
         pydron_config_threads_global(), cfg->implicit, cfg->nworkers,
         pydron_worker_type_name(cfg->workers[0].type));
  return 0;
}
