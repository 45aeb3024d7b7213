/* transport_unit.c - drives the SSH transport alone, without the scheduler:
 * starts one worker on the first "ssh" entry of a pydron.conf, reads its
 * hello frame through the transport's socket, and stops it.
 *
 * Built against libpydron_rt.a; it ships ITSELF to the host, and the
 * reference to pydron_worker_mode below links the runtime's worker mode,
 * so the shipped copy serves the protocol there.
 *
 * usage: transport_unit CONF [--kill] [--repeat N] [--threads N]
 *                            [--env NAME=value] [--no-hello] [--pause MS]
 *                            [--parallel N]
 * Prints one line per start:
 *   start OK label=u@h:p ms=123 pid=4567 threads=2 host=...
 * or "start FAILED: <why>" (exit 1). --kill stops with kill_now. --pause
 * waits MS milliseconds before stopping (e.g. for a test to SIGSTOP the
 * remote worker, so that only a kill ends it). --parallel N starts N
 * workers at once from N threads (as the scheduler does for N hosts; with
 * an empty cache they race to upload the same files), then stops them. */
#include <pthread.h>
// The script in the "SH:" lines below tests this against one loopback
// host (test/ssh/hosts.sh):
// a start reads the hello and a stop leaves nothing running, also with
// kill_now, without a pid, and for 2 workers started at once.
// To run (e.g. from a .test): sed -n 's|^// SH: \{0,1\}||p' %s > %t.sh && bash %t.sh %t %s
// SH: . "$PYDRON_SRC_ROOT/test/ssh/lib/common.sh"
// SH: "$CLANG" -O1 -std=c11 -D_GNU_SOURCE -I"$INC" -I"$SRC/runtime/src" "$2" \
// SH:   "$PYDRON_OBJ_ROOT/lib/libpydron_rt.a" -ljansson -lssh2 -lcrypto -lcurl -lz -ldl \
// SH:   -lpthread -lm -o "$T/tu"
// SH: hosts_up 1
// SH: conf "$T/c.json" --hosts 0
// SH: for mode in "" "--kill" "--kill --no-hello" "--parallel 2"; do
// SH:   say "transport_unit $mode"
// SH:   "$T/tu" "$T/c.json" $mode > "$T/out" 2> "$T/err" ||
// SH:     fail "transport_unit $mode: $(cat "$T/out" "$T/err")"
// SH:   grep -Eq "^(start|parallel 1) OK" "$T/out" || fail "no start: $(cat "$T/out")"
// SH:   gone 10
// SH: done
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "proto.h"
#include "transport_ssh.h"
#include "worker.h"

static double ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

struct par {
  const struct pydron_ssh_conf *conf;
  int fd;
  struct ssh_worker *w;
  double ms;
  char why[2048];
  int rc;
};

static void *par_start(void *arg) {
  struct par *p = arg;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  p->rc = pydron_transport_ssh_start(p->conf, 0, NULL, &p->fd, &p->w, p->why,
                                     sizeof p->why);
  if (p->rc == 0) {
    struct proto_reader rd;
    struct proto_hello h;
    memset(&rd, 0, sizeof rd);
    if (proto_read_frame(p->fd, &rd, p->why, sizeof p->why) != 1 ||
        rd.type != PROTO_HELLO ||
        proto_get_hello(rd.payload, rd.length, &h, p->why, sizeof p->why) != 0)
      p->rc = -1;
    else
      pydron_transport_ssh_set_pid(p->w, h.pid);
    proto_reader_free(&rd);
  }
  p->ms = ms_since(&t0);
  return NULL;
}

static int parallel(const struct pydron_ssh_conf *conf, int n) {
  struct par *ps = calloc((size_t)n, sizeof *ps);
  pthread_t *ts = calloc((size_t)n, sizeof *ts);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    ps[i].conf = conf;
    ps[i].fd = -1;
    pthread_create(&ts[i], NULL, par_start, &ps[i]);
  }
  for (int i = 0; i < n; i++) {
    pthread_join(ts[i], NULL);
    if (ps[i].rc == 0)
      printf("parallel %d OK hello_ms=%.0f\n", i, ps[i].ms);
    else
      printf("parallel %d FAILED: %s\n", i, ps[i].why);
    rc |= ps[i].rc != 0;
  }
  for (int i = 0; i < n; i++) {
    if (ps[i].fd >= 0)
      close(ps[i].fd);
    pydron_transport_ssh_stop(ps[i].w, 0);
  }
  free(ps);
  free(ts);
  return rc;
}

int main(int argc, char **argv) {
  if (pydron_worker_mode()) /* never reached: worker mode never runs main */
    return 0;
  if (argc < 2) {
    fprintf(stderr,
            "usage: %s CONF [--kill] [--repeat N] [--threads N] "
            "[--env NAME=value] [--no-hello] [--pause MS]\n",
            argv[0]);
    return 2;
  }
  int kill_now = 0, repeat = 1, threads = 0, hello = 1, pause_ms = 0;
  int npar = 0;
  const char *env[8] = {0};
  int nenv = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--kill"))
      kill_now = 1;
    else if (!strcmp(argv[i], "--no-hello"))
      hello = 0;
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--parallel") && i + 1 < argc)
      npar = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--pause") && i + 1 < argc)
      pause_ms = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--env") && i + 1 < argc && nenv < 7)
      env[nenv++] = argv[++i];
    else {
      fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  struct pydron_config cfg;
  struct pydron_config_error err;
  memset(&cfg, 0, sizeof cfg);
  if (pydron_config_parse_file(argv[1], &cfg, &err) != 0) {
    fprintf(stderr, "%s\n", err.text);
    return 2;
  }
  const struct pydron_ssh_conf *conf = NULL;
  for (size_t i = 0; i < cfg.nworkers && !conf; i++)
    if (cfg.workers[i].type == PYDRON_WORKER_SSH)
      conf = &cfg.workers[i].u.ssh;
  if (!conf) {
    fprintf(stderr, "%s: no ssh entry\n", argv[1]);
    return 2;
  }
  if (npar > 0) {
    int prc = parallel(conf, npar);
    pydron_config_free(&cfg);
    return prc;
  }
  int rc = 0;
  for (int r = 0; r < repeat && rc == 0; r++) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fd = -1;
    struct ssh_worker *w = NULL;
    char why[2048];
    if (pydron_transport_ssh_start(conf, threads, nenv ? env : NULL, &fd, &w,
                                   why, sizeof why) != 0) {
      printf("start FAILED: %s\n", why);
      rc = 1;
      break;
    }
    double start_ms = ms_since(&t0);
    struct proto_hello h;
    memset(&h, 0, sizeof h);
    if (hello) {
      struct proto_reader rd;
      memset(&rd, 0, sizeof rd);
      int got = proto_read_frame(fd, &rd, why, sizeof why);
      if (got != 1 || rd.type != PROTO_HELLO ||
          proto_get_hello(rd.payload, rd.length, &h, why, sizeof why) != 0) {
        printf("hello FAILED (%d): %s\n", got,
               got == 0 ? "end of stream" : why);
        rc = 1;
      } else {
        pydron_transport_ssh_set_pid(w, h.pid);
      }
      proto_reader_free(&rd);
    }
    double hello_ms = ms_since(&t0);
    if (rc == 0)
      printf("start OK label=%s start_ms=%.0f hello_ms=%.0f pid=%u "
             "threads=%u host=%s\n",
             pydron_transport_ssh_label(w), start_ms, hello_ms, h.pid,
             h.threads, h.host);
    fflush(stdout);
    if (pause_ms > 0)
      usleep((useconds_t)pause_ms * 1000);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);
    pydron_transport_ssh_stop(w, kill_now);
    printf("stop ms=%.0f\n", ms_since(&t1));
    fflush(stdout);
  }
  pydron_config_free(&cfg);
  return rc;
}
