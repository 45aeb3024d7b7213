// A broken configuration stops a program before main: the error on stderr,
// exit status 2, nothing from main. Linked with the static runtime, as
// pydron-cc links it; the call to pydron_config_threads_global stands for
// the pool's, which is what pulls the configuration code in.
//
// RUN: %clang_plain %s -o %t.exe %rt_link
//
// RUN: env PYDRON_CONF=%S/Inputs/broken-cores.json %t.exe > %t.schema 2>&1 || echo "exit=$?" >> %t.schema
// RUN: FileCheck %s --check-prefix=SCHEMA < %t.schema
// SCHEMA-NOT: main ran
// SCHEMA: pydron: {{.*}}broken-cores.json:3:36: workers[0].cores: expected a positive integer, got -2; give the number of threads to run chunks on, or leave "cores" out to use every core
// SCHEMA-NEXT: pydron: stopping before main; fix the configuration (`pydron-config` shows which file is used and why), or set PYDRON_DISABLE=1 to run without Pydron
// SCHEMA-NEXT: exit=2
//
// RUN: env PYDRON_CONF=%S/Inputs/syntax-trailing-comma.json %t.exe > %t.syntax 2>&1 || echo "exit=$?" >> %t.syntax
// RUN: FileCheck %s --check-prefix=SYNTAX < %t.syntax
// SYNTAX-NOT: main ran
// SYNTAX: pydron: {{.*}}syntax-trailing-comma.json:4:3: not valid JSON: unexpected token near ']'
// SYNTAX: exit=2
//
// RUN: env PYDRON_CONF=%t.nowhere.json %t.exe > %t.missing 2>&1 || echo "exit=$?" >> %t.missing
// RUN: FileCheck %s --check-prefix=MISSING < %t.missing
// MISSING-NOT: main ran
// MISSING: pydron: PYDRON_CONF={{.*}}nowhere.json: no such file
// MISSING: exit=2
//
// Valid, but not runnable by this version: also stops before main.
//
// A broken ./pydron.conf counts as much as $PYDRON_CONF.
// RUN: rm -rf %t.dir && mkdir -p %t.dir/home %t.dir/cwd
// RUN: cp %S/Inputs/broken-cores.json %t.dir/cwd/pydron.conf
// RUN: cd %t.dir/cwd && env HOME=%t.dir/home %t.exe > %t.cwd 2>&1 || echo "exit=$?" >> %t.cwd
// RUN: FileCheck %s --check-prefix=CWD < %t.cwd
// CWD-NOT: main ran
// CWD: pydron: {{.*}}/cwd/pydron.conf:3:36: workers[0].cores: expected a positive integer, got -2
// CWD: exit=2
//
// PYDRON_DISABLE=1 gets past a broken file: the file is not read.
// RUN: env PYDRON_CONF=%S/Inputs/broken-cores.json PYDRON_DISABLE=1 %t.exe | FileCheck %s --check-prefix=DISABLED
// DISABLED: main ran: threads=1 disabled=1
//
// Worker mode (PYDRON_WORKER set) leaves the configuration to the master.
// RUN: env PYDRON_CONF=%S/Inputs/broken-cores.json PYDRON_WORKER=1 %t.exe | FileCheck %s --check-prefix=WORKER
// WORKER: main ran: threads=0 disabled=0
#include <stdio.h>

int pydron_config_threads_global(void);
int pydron_config_disabled_global(void);

int main(void) {
  printf("main ran: threads=%d disabled=%d\n", pydron_config_threads_global(),
         pydron_config_disabled_global());
  return 0;
}
