// The MPI bridge on its own (lit runs it; see the comment below).
// RUN: %clang -O2 -D_GNU_SOURCE -DPYDRON_HAVE_MPI=1 -I/usr/lib/x86_64-linux-gnu/openmpi/include -I%src_root/runtime/src %s %src_root/runtime/src/mpi_bridge.c %src_root/runtime/src/env.c -pthread -ldl -o %t
// RUN: %t detect
// RUN: %mpirun -np 3 %t echo | FileCheck %s
// CHECK: bridge_unit: OK
// No libmpi at link time: the bridge loads it.
// RUN: not grep -q libmpi <(ldd %t)
/* bridge_unit.c - the MPI bridge (runtime/src/mpi_bridge.c) on its own,
 * without the scheduler: byte streams between rank 0 and every other rank
 * through the bridge's sockets.
 *
 * README. Build (no -lmpi: the bridge dlopens libmpi.so.40):
 *   clang-19 -O2 -D_GNU_SOURCE -DPYDRON_HAVE_MPI=1 \
 *     -I/usr/lib/x86_64-linux-gnu/openmpi/include -Iruntime/src \
 *     test/mpi/bridge_unit.c runtime/src/mpi_bridge.c runtime/src/env.c \
 *     -pthread -o bridge_unit
 * Run (as root add --allow-run-as-root; --oversubscribe on a small box):
 *   mpirun --oversubscribe --mca btl self,vader -np 3 ./bridge_unit echo
 *     rank 0 sends 1 KiB, 10 MiB and 100 MiB to each worker rank, which
 *     echoes them; bytes are checked; then every stream is closed and
 *     each rank finalizes. Prints "bridge_unit: OK" (exit 0).
 *   mpirun ... -np 3 ./bridge_unit kill
 *     rank 2 raises SIGKILL in the middle of the 10 MiB echo. Rank 0 must
 *     not hang: it sees end of stream on rank 2's fd, or mpirun ends the
 *     job (Open MPI 4.1's default: it kills every rank and fails).
 *   mpirun ... -np 2 ./bridge_unit bench
 *     round trip of 64 bytes (rank 0 -> 1 -> 0) and 100 MiB each way.
 *   mpirun ... -np 3 ./bridge_unit hold
 *     rank 0 finishes while it still holds rank 1's stream open: the
 *     bridge warns after 2 s, ends the streams, and every rank exits.
 *   ./bridge_unit detect   (not under mpirun) expects no MPI detected.
 *
 * Stream format (test only): header {u32 op, u32 seed, u64 len}, then len
 * bytes for ECHO and SINK; the worker answers ECHO with the same frame,
 * SINK with {ACK, 0, len}, SOURCE with {DATA, seed, len} + len bytes. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpi_bridge.h"

enum { ECHO = 1, SINK = 2, SOURCE = 3, ACK = 4, DATA = 5 };
struct hdr {
  uint32_t op, seed;
  uint64_t len;
};

#define CHUNK (256u << 10)
static const char *mode = "echo";
static int my_rank;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what) {
  fprintf(stderr, "bridge_unit rank %d: %s\n", my_rank, what);
  exit(1);
}

/* 1, 0 at end of stream before any byte, -1 error/truncated. */
static int read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return got == 0 && r == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static void write_full(int fd, const void *buf, size_t n) {
  while (n) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      die("write failed (stream closed?)");
    buf = (const char *)buf + w;
    n -= (size_t)w;
  }
}

/* Byte `off` of the pattern with `seed`. */
static inline uint8_t pat(uint32_t seed, uint64_t off) {
  uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull ^ seed;
  return (uint8_t)(x >> ((off & 7) * 8));
}

static void fill(uint8_t *b, size_t n, uint32_t seed, uint64_t off) {
  for (size_t i = 0; i < n; i++)
    b[i] = pat(seed, off + i);
}

static void send_pattern(int fd, uint32_t seed, uint64_t len) {
  static _Thread_local uint8_t b[CHUNK];
  for (uint64_t off = 0; off < len; off += CHUNK) {
    size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
    fill(b, n, seed, off);
    write_full(fd, b, n);
  }
}

/* Reads len bytes; checks them against the pattern unless check is 0. */
static int recv_pattern(int fd, uint32_t seed, uint64_t len, int check) {
  static _Thread_local uint8_t b[CHUNK];
  for (uint64_t off = 0; off < len; off += CHUNK) {
    size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
    if (read_full(fd, b, n) != 1)
      return -1;
    for (size_t i = 0; check && i < n; i++)
      if (b[i] != pat(seed, off + i)) {
        fprintf(stderr, "bridge_unit: byte %llu of stream seed %u is wrong\n",
                (unsigned long long)(off + i), seed);
        return -2;
      }
  }
  return 0;
}

/* ---- worker ranks: serve until end of stream ---------------------------- */

static int serve(void) {
  char why[512];
  int fd = pydron_mpi_master_fd(why, sizeof why);
  if (fd < 0)
    die(why);
  static uint8_t b[CHUNK];
  struct hdr h;
  int r;
  while ((r = read_full(fd, &h, sizeof h)) == 1) {
    if (h.op == ECHO) {
      write_full(fd, &h, sizeof h);
      for (uint64_t off = 0; off < h.len; off += CHUNK) {
        size_t n = h.len - off < CHUNK ? (size_t)(h.len - off) : CHUNK;
        if (read_full(fd, b, n) != 1)
          die("truncated ECHO");
        if (!strcmp(mode, "kill") && my_rank == 2 && off >= (5u << 20)) {
          struct timespec ts;
          clock_gettime(CLOCK_REALTIME, &ts);
          fprintf(stderr, "bridge_unit rank 2: raising SIGKILL at %lld.%03ld\n",
                  (long long)ts.tv_sec, ts.tv_nsec / 1000000);
          raise(SIGKILL);
        }
        write_full(fd, b, n);
      }
    } else if (h.op == SINK) {
      if (recv_pattern(fd, h.seed, h.len, 0) != 0)
        die("truncated SINK");
      struct hdr a = {ACK, 0, h.len};
      write_full(fd, &a, sizeof a);
    } else if (h.op == SOURCE) {
      struct hdr a = {DATA, h.seed, h.len};
      write_full(fd, &a, sizeof a);
      send_pattern(fd, h.seed, h.len);
    } else {
      die("unknown op");
    }
  }
  if (r < 0)
    die("truncated header");
  close(fd);
  pydron_mpi_finish();
  return 0;
}

/* ---- rank 0 -------------------------------------------------------------- */

static const uint64_t sizes[] = {1u << 10, 10u << 20, 100u << 20};
#define NSIZES 3

struct link {
  int rank, fd;
  int result; /* 0 ok, 1 stream ended early, -1 wrong bytes */
  double t_end;
};

static void *writer(void *arg) {
  struct link *l = arg;
  for (int i = 0; i < NSIZES; i++) {
    struct hdr h = {ECHO, (uint32_t)(l->rank * 16 + i), sizes[i]};
    if (write(l->fd, &h, sizeof h) != sizeof h)
      return NULL; /* the reader reports it */
    static _Thread_local uint8_t b[CHUNK];
    for (uint64_t off = 0; off < h.len; off += CHUNK) {
      size_t n = h.len - off < CHUNK ? (size_t)(h.len - off) : CHUNK;
      fill(b, n, h.seed, off);
      for (size_t d = 0; d < n;) {
        ssize_t w = write(l->fd, b + d, n - d);
        if (w <= 0)
          return NULL;
        d += (size_t)w;
      }
    }
  }
  return NULL;
}

static void *reader(void *arg) {
  struct link *l = arg;
  l->result = 0;
  for (int i = 0; i < NSIZES && !l->result; i++) {
    struct hdr h;
    if (read_full(l->fd, &h, sizeof h) != 1 || h.op != ECHO ||
        h.len != sizes[i]) {
      l->result = 1;
      break;
    }
    int r = recv_pattern(l->fd, h.seed, h.len, 1);
    l->result = r == 0 ? 0 : r == -1 ? 1 : -1;
  }
  l->t_end = now_s();
  if (l->result == 1) { /* when, to compare with the killed rank's clock */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(stderr,
            "bridge_unit rank 0: end of stream from rank %d at "
            "%lld.%03ld\n",
            l->rank, (long long)ts.tv_sec, ts.tv_nsec / 1000000);
  }
  return NULL;
}

static int master_echo(int size) {
  struct link *l = calloc((size_t)size, sizeof *l);
  pthread_t *tw = calloc((size_t)size, sizeof *tw),
            *tr = calloc((size_t)size, sizeof *tr);
  char why[512];
  double t0 = now_s();
  for (int r = 1; r < size; r++) {
    l[r].rank = r;
    if ((l[r].fd = pydron_mpi_worker_fd(r, why, sizeof why)) < 0)
      die(why);
    pthread_create(&tw[r], NULL, writer, &l[r]);
    pthread_create(&tr[r], NULL, reader, &l[r]);
  }
  int bad = 0;
  for (int r = 1; r < size; r++) {
    pthread_join(tr[r], NULL);
    if (l[r].result)
      shutdown(l[r].fd, SHUT_RDWR); /* unblock its writer */
    pthread_join(tw[r], NULL);
    close(l[r].fd);
    printf("bridge_unit: rank %d: %s after %.2f s\n", r,
           l[r].result == 0   ? "1 KiB, 10 MiB, 100 MiB echoed, bytes checked"
           : l[r].result == 1 ? "stream ended early (end of stream seen)"
                              : "WRONG BYTES",
           l[r].t_end - t0);
    fflush(stdout);
    bad |= l[r].result != 0 &&
           !(l[r].result == 1 && r == 2 && !strcmp(mode, "kill"));
  }
  const char *e = pydron_mpi_error();
  if (e)
    printf("bridge_unit: bridge error: %s\n", e);
  return bad;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int master_bench(void) {
  char why[512];
  int fd = pydron_mpi_worker_fd(1, why, sizeof why);
  if (fd < 0)
    die(why);
  enum { N = 2000, WARM = 200 };
  static double rtt[N];
  uint8_t msg[sizeof(struct hdr) + 64] = {0}, back[sizeof msg];
  struct hdr h = {ECHO, 7, 64};
  memcpy(msg, &h, sizeof h);
  for (int i = 0; i < N + WARM; i++) {
    double t = now_s();
    write_full(fd, msg, sizeof msg);
    if (read_full(fd, back, sizeof back) != 1)
      die("echo failed");
    if (i >= WARM)
      rtt[i - WARM] = now_s() - t;
  }
  double sum = 0, min = 1e9;
  for (int i = 0; i < N; i++) {
    sum += rtt[i];
    min = rtt[i] < min ? rtt[i] : min;
  }
  qsort(rtt, N, sizeof rtt[0], cmp);
  printf("bench: 64 B round trip rank 0 -> 1 -> 0: median %.1f us, mean "
         "%.1f us, min %.1f us, p99 %.1f us (%d trips)\n",
         rtt[N / 2] * 1e6, sum / N * 1e6, min * 1e6, rtt[N * 99 / 100] * 1e6,
         N);
  const uint64_t len = 100u << 20;
  for (int rep = 0; rep < 2; rep++) {
    double t = now_s();
    struct hdr s = {SINK, 3, len}, a;
    write_full(fd, &s, sizeof s);
    send_pattern(fd, 3, len);
    if (read_full(fd, &a, sizeof a) != 1 || a.op != ACK || a.len != len)
      die("SINK failed");
    double t1 = now_s() - t;
    t = now_s();
    s = (struct hdr){SOURCE, 4, len};
    write_full(fd, &s, sizeof s);
    if (read_full(fd, &a, sizeof a) != 1 || a.op != DATA ||
        recv_pattern(fd, 4, len, 0) != 0)
      die("SOURCE failed");
    double t2 = now_s() - t;
    printf("bench: 100 MiB rank 0 -> 1: %.3f s (%.0f MiB/s); rank 1 -> 0: "
           "%.3f s (%.0f MiB/s)\n",
           t1, 100 / t1, t2, 100 / t2);
  }
  close(fd);
  return 0;
}

/* kill mode, rank 0: when mpirun's SIGTERM comes (to report it) */
static void on_term(int sig) {
  char b[96];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int n = snprintf(b, sizeof b,
                   "bridge_unit rank 0: signal %d at "
                   "%lld.%03ld\n",
                   sig, (long long)ts.tv_sec, ts.tv_nsec / 1000000);
  (void)!write(2, b, (size_t)n);
  _exit(128 + sig);
}

int main(int argc, char **argv) {
  int rank, size;
  char why[512];
  if (argc > 1)
    mode = argv[1];
  int under = pydron_mpi_detect(&rank, &size);
  if (!strcmp(mode, "detect")) {
    printf("bridge_unit: detect: %d (rank %d of %d)\n", under, rank, size);
    return under;
  }
  if (!under)
    die("not started by mpirun with 2 or more ranks");
  my_rank = rank;
  if (pydron_mpi_start(why, sizeof why) != 0)
    die(why);
  if (pydron_mpi_rank() != rank || pydron_mpi_size() != size)
    die("rank or size differs from the environment's");
  if (rank > 0)
    return serve();
  if (!strcmp(mode, "kill"))
    signal(SIGTERM, on_term);
  double t = now_s();
  if (!strcmp(mode, "hold")) { /* finish with rank 1's fd still open */
    if (pydron_mpi_worker_fd(1, why, sizeof why) < 0)
      die(why);
    pydron_mpi_finish();
    printf("bridge_unit: OK (hold: finished in %.2f s)\n", now_s() - t);
    return 0;
  }
  int bad = !strcmp(mode, "bench") ? master_bench() : master_echo(size);
  pydron_mpi_finish();
  printf("bridge_unit: %s (finished in %.2f s)\n", bad ? "FAILED" : "OK",
         now_s() - t);
  return bad;
}
