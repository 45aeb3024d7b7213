/* remote_rx.c - the receiver: one thread that listens to every worker.
 *
 * It lives as long as the process (starting a thread costs more than a
 * whole round trip to a worker) and, with or without a loop running:
 *  - reads every worker's frames without blocking (a worker stopped in
 *    the middle of a frame must not stop the master), handing results and
 *    errors to the run it serves (remote_sched.c) and discarding late
 *    answers to attempts already given up;
 *  - sends each worker a heartbeat every quarter lease; workers answer
 *    them, so a worker that stays silent for a whole lease (stopped, hung
 *    in the kernel, behind a cut link) is "stalled": its chunks go back to
 *    be run elsewhere and it gets no more until it is heard from again;
 *  - notices when this process itself was stopped (Ctrl-Z, a debugger):
 *    a tick that comes much later than asked for gives every worker a
 *    fresh lease instead of blaming them for the master's own silence.
 *    Workers whose own lease on the master expired meanwhile have exited;
 *    they are lost and restarted (remote.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "remote.h"

void pydron_remote_rx_wake(struct remote_set *set) {
  if (set->rx_wake[1] >= 0) {
    ssize_t n = write(set->rx_wake[1], "w", 1);
    (void)n; /* a full pipe wakes the receiver as well */
  }
}

void pydron_remote_rx_serve(struct remote_set *set, struct remote_run *run) {
  pthread_mutex_lock(&set->rx_lock);
  pthread_mutex_lock(&set->lock);
  set->run = run;
  pthread_mutex_unlock(&set->lock);
  pthread_mutex_unlock(&set->rx_lock);
}

static uint64_t peek_u64(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  if (n >= 8)
    for (int i = 0; i < 8; i++)
      v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Called with set->lock held: 1 when `attempt` was given up on w (its
 * answer is late and discarded), which forgets it. */
static int take_abandoned(struct remote_worker *w, uint64_t attempt) {
  for (size_t i = 0; i < w->nabandoned; i++)
    if (w->abandoned[i] == attempt) {
      w->abandoned[i] = w->abandoned[--w->nabandoned];
      return 1;
    }
  return 0;
}

/* One whole frame of w (rx_lock held). */
static void on_frame(struct remote_set *set, struct remote_worker *w,
                     uint64_t now) {
  uint16_t type = w->reader.type;
  const uint8_t *p = w->reader.payload;
  size_t n = w->reader.length;
  char why[200];
  if (type == PROTO_HEARTBEAT)
    return;
  if (type != PROTO_RESULT && type != PROTO_ERROR) {
    snprintf(why, sizeof why, "it sent an unexpected %s message",
             proto_type_name(type));
    pthread_mutex_lock(&set->lock);
    pydron_remote_lost(set, w, why);
    pthread_mutex_unlock(&set->lock);
    return;
  }
  uint64_t attempt = peek_u64(p, n);
  pthread_mutex_lock(&set->lock);
  if (attempt && take_abandoned(w, attempt)) {
    w->outstanding--;
    set->faults.late_discarded++;
    pthread_cond_broadcast(&set->cond);
    pthread_mutex_unlock(&set->lock);
    return;
  }
  struct remote_run *run = set->run;
  if (!run) {
    snprintf(why, sizeof why, "it sent a %s for attempt %llu while no loop "
             "runs", proto_type_name(type), (unsigned long long)attempt);
    pydron_remote_lost(set, w, why);
    pthread_mutex_unlock(&set->lock);
    return;
  }
  pthread_mutex_unlock(&set->lock);
  remote_run_frame(run, w, type, p, n, now);
}

/* Reads what w has sent (rx_lock held). */
static void drain(struct remote_set *set, struct remote_worker *w, int gen,
                  uint64_t now) {
  char err[512];
  for (;;) {
    pthread_mutex_lock(&set->lock);
    int ok = w->alive && w->gen == gen;
    pthread_mutex_unlock(&set->lock);
    if (!ok)
      return;
    uint64_t before = w->reader.bytes_read;
    int got = proto_read_frame(w->fd, &w->reader, err, sizeof err);
    if (w->reader.bytes_read != before) {
      w->last_heard = now;
      pthread_mutex_lock(&set->lock);
      if (w->stalled && w->alive && w->gen == gen) {
        w->stalled = 0;
        fprintf(stderr, "pydron: %s answers again; what it was given up "
                        "on is discarded when it arrives\n", w->label);
        pthread_cond_broadcast(&set->cond);
      }
      pthread_mutex_unlock(&set->lock);
    }
    if (got == 2)
      return;
    if (got <= 0) {
      pthread_mutex_lock(&set->lock);
      pydron_remote_lost(set, w, got == 0 ? "it closed the connection"
                                          : err);
      pthread_mutex_unlock(&set->lock);
      return;
    }
    on_frame(set, w, now);
    proto_reader_next(&w->reader);
  }
}

/* Called with set->lock held: w was silent for a lease. */
static void stall(struct remote_set *set, struct remote_worker *w,
                  uint64_t silent) {
  w->stalled = 1;
  set->faults.stalls++;
  fprintf(stderr, "pydron: %s (pid %d) sent nothing for %.1f s (the lease "
                  "is %.0f s): its chunks run elsewhere, and its late "
                  "answers will be discarded\n", w->label, (int)w->hello.pid,
          silent / 1e9, set->lease_ns / 1e9);
  if (set->run)
    remote_run_take_back(set->run, w, 1);
  pthread_cond_broadcast(&set->cond);
}

/* A heartbeat to every live worker whose stream is free (a task being
 * written is traffic enough). rx_lock held. */
static void heartbeats(struct remote_set *set, uint64_t value) {
  uint8_t frame[PROTO_HEADER_BYTES + 8];
  struct pbuf b = {0};
  proto_put_heartbeat(&b, value);
  if (b.failed || b.len != sizeof frame) {
    pbuf_free(&b);
    return;
  }
  memcpy(frame, b.p, sizeof frame);
  pbuf_free(&b);
  for (int i = 0; i < set->nworkers; i++) {
    struct remote_worker *w = &set->workers[i];
    if (pthread_mutex_trylock(&w->wlock) != 0)
      continue;
    pthread_mutex_lock(&set->lock);
    int ok = w->alive, gen = w->gen;
    pthread_mutex_unlock(&set->lock);
    int r = ok ? pydron_remote_send_locked(set, w, gen, frame, sizeof frame, 1)
               : 0;
    pthread_mutex_unlock(&w->wlock);
    if (r == REMOTE_SEND_GONE) {
      pydron_remote_peer_gone(set, w, gen);
    } else if (r < 0 && r != REMOTE_SEND_LOST) {
      pthread_mutex_lock(&set->lock);
      if (w->gen == gen)
        pydron_remote_lost(set, w, "it takes no heartbeat");
      pthread_mutex_unlock(&set->lock);
    }
  }
}

static void *rx_main(void *arg) {
  struct remote_set *set = arg;
  int cap = set->nworkers + 1;
  struct pollfd *pfd = calloc((size_t)cap, sizeof *pfd);
  int *who = calloc((size_t)cap, sizeof *who);
  int *gens = calloc((size_t)cap, sizeof *gens);
  if (!pfd || !who || !gens) {
    fprintf(stderr, "pydron: out of memory in the receiver of worker "
                    "messages\n");
    abort();
  }
  uint64_t last_tick = pydron_remote_now(), last_beat = 0, beats = 0;
  int timeout_ms = (int)(set->heartbeat_ns / 1000000u);
  if (timeout_ms < 50)
    timeout_ms = 50;
  for (;;) {
    int k = 0;
    pfd[k].fd = set->rx_wake[0];
    pfd[k].events = POLLIN;
    who[k++] = -1;
    pthread_mutex_lock(&set->lock);
    for (int i = 0; i < set->nworkers; i++)
      if (set->workers[i].alive) {
        pfd[k].fd = set->workers[i].fd;
        pfd[k].events = POLLIN;
        gens[k] = set->workers[i].gen;
        who[k++] = i;
      }
    pthread_mutex_unlock(&set->lock);
    int pr = poll(pfd, (nfds_t)k, timeout_ms);
    if (pr < 0 && errno != EINTR) {
      fprintf(stderr, "pydron: poll failed in the receiver of worker "
                      "messages: %s\n", strerror(errno));
      abort();
    }
    uint64_t now = pydron_remote_now();
    pthread_mutex_lock(&set->rx_lock);
    if (now - last_tick > set->lease_ns / 2) {
      /* This thread did not run for half a lease: the whole process was
       * stopped (or starved). The workers were not silent; we were. */
      pthread_mutex_lock(&set->lock);
      set->faults.master_pauses++;
      for (int i = 0; i < set->nworkers; i++)
        set->workers[i].last_heard = now;
      pthread_mutex_unlock(&set->lock);
      fprintf(stderr, "pydron: this process did not run for %.1f s "
                      "(stopped?); its workers get a fresh lease, and "
                      "those that ended meanwhile are restarted\n",
              (now - last_tick) / 1e9);
    }
    last_tick = now;
    if (pr > 0 && pfd[0].revents) {
      char sink[64];
      while (read(set->rx_wake[0], sink, sizeof sink) > 0)
        ;
    }
    for (int i = 1; pr > 0 && i < k; i++)
      if (pfd[i].revents)
        drain(set, &set->workers[who[i]], gens[i], now);
    pthread_mutex_lock(&set->lock);
    for (int i = 0; i < set->nworkers; i++) {
      struct remote_worker *w = &set->workers[i];
      /* last_heard may be later than now: a worker (re)started after
       * this thread read the clock. */
      if (w->alive && !w->stalled && now > w->last_heard &&
          now - w->last_heard > set->lease_ns)
        stall(set, w, now - w->last_heard);
    }
    pthread_mutex_unlock(&set->lock);
    if (now - last_beat >= set->heartbeat_ns) {
      heartbeats(set, ++beats);
      last_beat = now;
    }
    pthread_mutex_unlock(&set->rx_lock);
  }
  return NULL;
}

int pydron_remote_rx_start(struct remote_set *set) {
  if (pipe2(set->rx_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    set->rx_wake[0] = set->rx_wake[1] = -1;
    return -1;
  }
  pthread_t tid;
  if (pydron_start_detached(rx_main, set, &tid) != 0) {
    close(set->rx_wake[0]);
    close(set->rx_wake[1]);
    set->rx_wake[0] = set->rx_wake[1] = -1;
    return -1;
  }
  pthread_setname_np(tid, "pydron-rx");
  set->rx_started = 1;
  return 0;
}
