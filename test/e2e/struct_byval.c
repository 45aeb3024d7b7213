// Structs passed and returned by value through functional functions: a
// struct of three doubles (passed in memory, returned through sret), a small
// struct of two floats (passed in registers), and an array of structs.
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
  double x, y, z;
} vec3;

typedef struct {
  float re, im;
} cfloat;

PYDRON_FUNCTIONAL static vec3 cross(vec3 a, vec3 b) {
  vec3 r = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
  return r;
}

PYDRON_FUNCTIONAL static double dot(vec3 a, vec3 b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}

/* Rodrigues' rotation of p about the unit axis k by angle t. */
PYDRON_FUNCTIONAL vec3 rotate(vec3 p, vec3 k, double t) {
  double c = cos(t), s = sin(t), d = dot(k, p) * (1.0 - c);
  vec3 kp = cross(k, p);
  vec3 r = {p.x * c + kp.x * s + k.x * d, p.y * c + kp.y * s + k.y * d,
            p.z * c + kp.z * s + k.z * d};
  return r;
}

PYDRON_FUNCTIONAL static cfloat csq(cfloat z) {
  cfloat r = {z.re * z.re - z.im * z.im, 2.0f * z.re * z.im};
  return r;
}

PYDRON_SCHEDULE void rotate_all(const vec3 *in, vec3 *out, long n, vec3 axis,
                                double step) {
  // CHECK: struct_byval.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = rotate(in[i], axis, step * (double)(i % 360));
}

PYDRON_SCHEDULE void lengths(const vec3 *v, double *len, long n) {
  // CHECK: struct_byval.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    len[i] = sqrt(dot(v[i], v[i]));
}

PYDRON_SCHEDULE void square_all(cfloat *z, int n) {
  // CHECK: struct_byval.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    z[i] = csq(csq(z[i]));
}

int main(void) {
  const long n = 200000;
  vec3 *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  double *len = malloc(n * sizeof *len);
  cfloat *z = malloc(n * sizeof *z);
  for (long i = 0; i < n; i++) {
    vec3 p = {(double)(i % 100) - 50.0, (double)(i % 77) * 0.5,
              (double)(i % 13) - 6.0};
    in[i] = p;
    cfloat c = {(float)(i % 19) / 19.0f, (float)(i % 23) / -23.0f};
    z[i] = c;
  }
  double norm = sqrt(1.0 + 4.0 + 9.0);
  vec3 axis = {1.0 / norm, 2.0 / norm, 3.0 / norm};
  rotate_all(in, out, n, axis, M_PI / 180.0);
  printf("rotated: %016llx out[1]=(%a, %a, %a)\n",
         (unsigned long long)fnv(out, n * sizeof *out), out[1].x, out[1].y,
         out[1].z);
  lengths(out, len, n);
  printf("lengths: %016llx\n", (unsigned long long)fnv(len, n * sizeof *len));
  square_all(z, (int)n);
  printf("squared: %016llx z[1]=(%a, %a)\n",
         (unsigned long long)fnv(z, n * sizeof *z), (double)z[1].re,
         (double)z[1].im);
  free(in);
  free(out);
  free(len);
  free(z);
  return 0;
}
