// fork: the parent runs a parallel loop (so the runtime's threads exist),
// forks; the child runs a parallel loop, prints and exits with a status
// derived from its result; the parent waits, prints the child's status and
// runs a parallel loop again.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

PYDRON_FUNCTIONAL static double w(double x, double k) {
  return exp(-x * k) + sqrt(x) * k;
}

PYDRON_SCHEDULE void weigh(const double *in, double *out, long n, double k) {
  // CHECK: fork_child.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = w(in[i], k);
}

int main(void) {
  const long n = 300000;
  double *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  for (long i = 0; i < n; i++)
    in[i] = (double)(i % 10007) / 1000.0;
  weigh(in, out, n, 0.5);
  printf("parent before fork: %016llx\n",
         (unsigned long long)fnv(out, n * sizeof *out));
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork failed\n");
    return 1;
  }
  if (pid == 0) {
    weigh(in, out, n, 2.0);
    uint64_t h = fnv(out, n * sizeof *out);
    printf("child:              %016llx\n", (unsigned long long)h);
    fflush(stdout);
    _exit((int)(h % 200) + 1);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    printf("waitpid failed\n");
    return 1;
  }
  printf("child exited: %d status %d\n", WIFEXITED(status),
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  weigh(in, out, n, 3.0);
  printf("parent after fork:  %016llx\n",
         (unsigned long long)fnv(out, n * sizeof *out));
  free(in);
  free(out);
  return 0;
}
