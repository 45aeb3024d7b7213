// Malformed PYDRON_READS / PYDRON_WRITES are warnings that name the
// function and say what is wrong; the annotation is then ignored.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null 2>&1 | FileCheck %s --implicit-check-not=warning:
// RUN: %clang_plain -O0 -g -Xclang -disable-O0-optnone -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes=pydron-prepare -disable-output %t.ll 2>&1 | FileCheck %s --implicit-check-not=warning:
#include <pydron.h>

// CHECK-DAG: warning: {{.*}}PYDRON_WRITES on 'position_zero' ignored: '#0' is not a parameter position (1..2)
PYDRON_FUNCTIONAL void position_zero(double *out, int n) PYDRON_WRITES(#0, double, n);
void position_zero(double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = 0.5;
}

// CHECK-DAG: warning: {{.*}}PYDRON_WRITES on 'position_too_big' ignored: '#3' is not a parameter position (1..2)
PYDRON_FUNCTIONAL void position_too_big(double *out, int n) PYDRON_WRITES(#3, double, n);
void position_too_big(double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = 0.5;
}

// CHECK-DAG: warning: {{.*}}PYDRON_READS on 'not_a_pointer' ignored: parameter '#2' is not a pointer
PYDRON_FUNCTIONAL double not_a_pointer(const double *in, int n) PYDRON_READS(#2, double, n);
double not_a_pointer(const double *in, int n) { return in[0] * n; }

// CHECK-DAG: warning: {{.*}}PYDRON_WRITES on 'unknown_name' ignored: no parameter is named 'output'
PYDRON_FUNCTIONAL void unknown_name(double *out, int n) PYDRON_WRITES(output, double, n);
void unknown_name(double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = 0.5;
}

// CHECK-DAG: warning: {{.*}}PYDRON_WRITES on 'count_not_integer' ignored: count 'in': parameter 'in' is not an integer
PYDRON_FUNCTIONAL void count_not_integer(const double *in, double *out) PYDRON_WRITES(#2, double, in);
void count_not_integer(const double *in, double *out) { out[0] = in[0]; }

// CHECK-DAG: warning: {{.*}}PYDRON_WRITES on 'count_unknown' ignored: count 'm * 2': no parameter is named 'm'
PYDRON_FUNCTIONAL void count_unknown(double *out, int n) PYDRON_WRITES(out, double, m * 2);
void count_unknown(double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = 0.5;
}

// Well-formed ones give no warning.
PYDRON_FUNCTIONAL void fine(const double *in, double *out, int n)
    PYDRON_READS(in, double, n) PYDRON_WRITES(#2, double, (n) * 1);
void fine(const double *in, double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = in[i];
}
