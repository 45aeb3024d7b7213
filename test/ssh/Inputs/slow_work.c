// work() for slow.c: sleeps delay_us, then a little pure arithmetic on
// (i, round). Kept in a file of its own (see slow.c).
#include <errno.h>
#include <math.h>
#include <time.h>

double work(long i, long round, long delay_us) {
  if (delay_us > 0) {
    struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
      ;
  }
  double x = (double)(i + 1) + 0.25 * (double)round;
  for (int k = 0; k < 2000; k++)
    x = sin(x) * 1.5 + cos(0.5 * x) + 1e-3 * (double)k;
  return x + (double)(i * 7 + round);
}
