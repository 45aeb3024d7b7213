// What the runtime holds after start: the pool's thread count from
// pydron_config_threads_global (the file's cores, overridden by
// PYDRON_WORKERS, both overridden by PYDRON_DISABLE=1) and the loaded
// configuration for the parts that start workers.
//
// RUN: %clang_plain -I%src_root/runtime/src %s -o %t.exe %rt_link
// RUN: env PYDRON_CONF=%S/Inputs/three-cores.json %t.exe | FileCheck %s --check-prefix=FILE
// FILE: threads=3 disabled=0 file={{.*}}three-cores.json workers=1
// RUN: env PYDRON_CONF=%S/Inputs/three-cores.json PYDRON_WORKERS=5 %t.exe | FileCheck %s --check-prefix=WORKERS
// WORKERS: threads=5 disabled=0 file={{.*}}three-cores.json workers=1
// RUN: env PYDRON_CONF=%S/Inputs/three-cores.json PYDRON_WORKERS=5 PYDRON_DISABLE=1 %t.exe | FileCheck %s --check-prefix=DISABLE
// DISABLE: threads=1 disabled=1 file=(not loaded)
// RUN: env PYDRON_CONF=%S/Inputs/valid-defaults.json %t.exe | FileCheck %s --check-prefix=ALL
// ALL: threads=0 disabled=0 file={{.*}}valid-defaults.json workers=1
// RUN: env PYDRON_CONF=%S/Inputs/valid-legacy-keys.json %t.exe | FileCheck %s --check-prefix=LEGACY
// LEGACY: threads=3 disabled=0 file={{.*}}valid-legacy-keys.json workers=1
#include <stdio.h>

#include "config.h"

int main(void) {
  const struct pydron_config *cfg = pydron_config_global();
  printf("threads=%d disabled=%d ", pydron_config_threads_global(),
         pydron_config_disabled_global());
  if (cfg)
    printf("file=%s workers=%zu\n", cfg->file ? cfg->file : "(none)",
           cfg->nworkers);
  else
    printf("file=(not loaded)\n");
  return 0;
}
