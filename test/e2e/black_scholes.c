// Black-Scholes option pricing over an array of option structs (a struct
// read per iteration, two outputs per option through a functional callee
// with output parameters), and the portfolio value as a folded sum of
// integer cents.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

typedef struct {
  double spot, strike, rate, vol, years;
} option;

PYDRON_FUNCTIONAL static double cnd(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }

PYDRON_FUNCTIONAL static void price(const option *o, double *call, double *put) {
  double sq = o->vol * sqrt(o->years);
  double d1 = (log(o->spot / o->strike) + (o->rate + 0.5 * o->vol * o->vol) * o->years) / sq;
  double d2 = d1 - sq;
  double disc = o->strike * exp(-o->rate * o->years);
  *call = o->spot * cnd(d1) - disc * cnd(d2);
  *put = disc * cnd(-d2) - o->spot * cnd(-d1);
}

PYDRON_SCHEDULE void price_all(const option *opts, double *calls, double *puts,
                               long n) {
  // CHECK: black_scholes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    price(&opts[i], &calls[i], &puts[i]);
}

PYDRON_SCHEDULE long long cents(const double *calls, const double *puts,
                                long n) {
  long long total = 0;
  // CHECK: black_scholes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    total += llround(calls[i] * 100.0) - llround(puts[i] * 100.0);
  return total;
}

int main(void) {
  const long n = 200000;
  option *o = malloc(n * sizeof *o);
  double *calls = malloc(n * sizeof *calls), *puts = malloc(n * sizeof *puts);
  for (long i = 0; i < n; i++) {
    o[i].spot = 50.0 + (double)(i % 101);
    o[i].strike = 60.0 + (double)((i * 7) % 83);
    o[i].rate = 0.01 + (double)(i % 5) * 0.005;
    o[i].vol = 0.1 + (double)(i % 9) * 0.05;
    o[i].years = 0.25 + (double)(i % 12) * 0.25;
  }
  price_all(o, calls, puts, n);
  printf("calls: %016llx calls[1]=%a\n",
         (unsigned long long)fnv(calls, n * sizeof *calls), calls[1]);
  printf("puts:  %016llx puts[1]=%a\n",
         (unsigned long long)fnv(puts, n * sizeof *puts), puts[1]);
  printf("net cents: %lld\n", cents(calls, puts, n));
  free(o);
  free(calls);
  free(puts);
  return 0;
}
