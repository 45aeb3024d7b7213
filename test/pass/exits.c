// Loop structure: one exit, and a trip count computable when the loop
// starts. break/return/goto give a second exit; while loops with a
// data-dependent condition have no trip count.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE int search_break(const int *a, int n, int key) {
  int found = -1;
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop not parallelized: the loop has more than one exit (a break, return or goto leaves it) at exits.c:[[@LINE+2]]:9
  for (int i = 0; i < n; i++)
    if (a[i] == key) {
      found = i;
      break;
    }
  return found;
}

PYDRON_SCHEDULE int return_inside(double *a, int n) {
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop not parallelized: the loop has more than one exit (a break, return or goto leaves it) at exits.c:[[@LINE+2]]:9
  for (int i = 0; i < n; i++) {
    if (a[i] < 0)
      return i;
    a[i] = f(a[i]);
  }
  return -1;
}

PYDRON_SCHEDULE void goto_out(double *a, int n) {
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop not parallelized: the loop has more than one exit
  for (int i = 0; i < n; i++) {
    if (a[i] < 0)
      goto out;
    a[i] = f(a[i]);
  }
out:;
}

// The exit depends on the data the loop computes.
PYDRON_SCHEDULE int while_converge(double *a, double eps) {
  int i = 0;
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop not parallelized: the number of iterations cannot be computed when the loop starts at exits.c:[[@LINE+1]]:3
  while (a[i] > eps) {
    a[i] = f(a[i]);
    i++;
  }
  return i;
}

struct node {
  struct node *next;
  double v;
};

PYDRON_SCHEDULE void list_walk(struct node *p) {
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop not parallelized: the number of iterations cannot be computed when the loop starts
  for (; p; p = p->next)
    p->v = f(p->v);
}

// i <= n never ends when n == UINT_MAX: the trip count needs a run-time
// check; the plugin does not parallelize it (either reason will do).
PYDRON_SCHEDULE void unsigned_le(double *a, unsigned n) {
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (unsigned i = 0; i <= n; i++)
    a[i] = f(a[i]);
}

// Counted while and do-while loops are fine.
PYDRON_SCHEDULE void while_counted(double *a, int n) {
  int i = 0;
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  while (i < n) {
    a[i] = f(a[i]);
    i++;
  }
}

PYDRON_SCHEDULE void do_while(double *a, int n) {
  int i = 0;
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  do {
    a[i] = f(a[i]);
    i++;
  } while (i < n);
}

// The bound is loaded once: *len cannot change in the loop (a double store
// cannot modify an int under C's aliasing rules).
PYDRON_SCHEDULE void loaded_bound(double *a, const int *len) {
  // CHECK: exits.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < *len; i++)
    a[i] = f(a[i]);
}
