/* mpi_bridge.c - the one thread that carries Pydron's byte streams over MPI
 * (see mpi_bridge.h).
 *
 * Why a bridge: the scheduler (remote*.c) and the worker loop (worker.c)
 * read and write file descriptors, with poll, leases and EOF handling
 * already right for pipes and SSH channels (ssh_io.c does the same for
 * libssh2). MPI has no descriptors and, at the thread level we ask for,
 * must be called from one thread only. So one thread owns MPI and moves
 * bytes between each peer's socketpair end and MPI messages:
 *
 *   socket --(up: <= UP_SLOTS sends of <= FRAG bytes)--> MPI_Isend
 *   socket <-(down: <= DOWN_MAX bytes queued)-- MPI_Improbe + MPI_Imrecv
 *
 * One tag, so MPI's non-overtaking rule keeps the fragments in order; a
 * zero-length message is end of stream. Nothing blocks in MPI: the loop
 * tests requests and probes, then polls the sockets; MPI offers no
 * descriptor to wait on, so it spins (yielding) for SPIN_US after
 * activity, then sleeps longer each idle round, up to IDLE_MAX_US.
 * Back-pressure is end to end: a socket is read only while its peer has a free
 * send slot, and a peer is probed only while its down queue has room, so a
 * rendezvous send stays unmatched (and the sender stops reading its socket)
 * until there is.
 *
 * libmpi is dlopen'ed (RTLD_GLOBAL: Open MPI's plugins resolve symbols of
 * libmpi through the global scope) and every function and predefined
 * handle is looked up with dlsym. Open MPI's handles are addresses of
 * global objects (MPI_COMM_WORLD is &ompi_mpi_comm_world), so the macros
 * of mpi.h must never be used here: they would make libmpi a link-time
 * dependency. mpi.h is only read for its types, when the build found it
 * (PYDRON_HAVE_MPI). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpi_bridge.h"

#include "env.h"

#ifdef PYDRON_HAVE_MPI
#include <mpi.h>
#endif

static int env_long(const char *name, long lo, long hi, long *out) {
  return pydron_parse_long(getenv(name), lo, hi, out);
}

int pydron_mpi_detect(int *rank, int *size) {
  long r = -1, n = -1, step;
  *rank = 0;
  *size = 1;
  if (env_long("OMPI_COMM_WORLD_RANK", 0, 1 << 24, &r) == 0) { /* mpirun */
    env_long("OMPI_COMM_WORLD_SIZE", 1, 1 << 24, &n);
  } else if (env_long("PMIX_RANK", 0, 1 << 24, &r) == 0) { /* PMIx */
    if (env_long("PMIX_SIZE", 1, 1 << 24, &n) != 0 &&
        env_long("OMPI_COMM_WORLD_SIZE", 1, 1 << 24, &n) != 0 &&
        env_long("OMPI_UNIVERSE_SIZE", 1, 1 << 24, &n) != 0)
      env_long("SLURM_NTASKS", 1, 1 << 24, &n);
  } else if (env_long("PMI_RANK", 0, 1 << 24, &r) == 0) { /* MPICH, Intel */
    env_long("PMI_SIZE", 1, 1 << 24, &n);
  } else if (env_long("SLURM_STEP_ID", 0, 1L << 32, &step) == 0 &&
             env_long("SLURM_PROCID", 0, 1 << 24, &r) == 0) {
    /* srun (a batch script has SLURM_PROCID but no numeric step) */
    env_long("SLURM_NTASKS", 1, 1 << 24, &n);
  }
  if (r < 0 || n < 2 || r >= n)
    return 0;
  *rank = (int)r;
  *size = (int)n;
  return 1;
}

/* ---- the bridge's state ---------------------------------------------------
 * One bridge per process (MPI is initialized once): hence the globals. */

enum { B_IDLE, B_STARTING, B_RUNNING, B_FAILED, B_FINISHING, B_DONE };

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int state;
  char why[512]; /* B_FAILED: why */
  pthread_t thread;
  int rank, size;
  int npeers;
  int *user_fd; /* per peer: the caller's end until handed out, or -1 */
  int wake[2];  /* a byte here wakes the bridge thread */
  atomic_int finishing;
  int joinable; /* thread started and not joined */
} B = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .cond = PTHREAD_COND_INITIALIZER,
       .state = B_IDLE,
       .rank = -1,
       .size = -1,
       .wake = {-1, -1}};

static char *_Atomic last_error;

const char *pydron_mpi_error(void) { return atomic_load(&last_error); }

int pydron_mpi_rank(void) {
  pthread_mutex_lock(&B.lock);
  int r = B.state == B_RUNNING ? B.rank : -1;
  pthread_mutex_unlock(&B.lock);
  return r;
}

int pydron_mpi_size(void) {
  pthread_mutex_lock(&B.lock);
  int n = B.state == B_RUNNING ? B.size : -1;
  pthread_mutex_unlock(&B.lock);
  return n;
}

/* Hands out the caller's end of peer i's socketpair. */
static int take_fd(int i, const char *what, char *why, size_t why_len) {
  int fd = -1;
  pthread_mutex_lock(&B.lock);
  if (B.state != B_RUNNING)
    snprintf(why, why_len,
             "%s: MPI is not running (call pydron_mpi_start "
             "first; it must succeed and finish must not have run)",
             what);
  else if (i < 0 || i >= B.npeers)
    snprintf(why, why_len,
             "%s: no such peer in an MPI job of %d ranks "
             "(this is rank %d)",
             what, B.size, B.rank);
  else if (B.user_fd[i] < 0)
    snprintf(why, why_len,
             "%s: already handed out (an MPI rank cannot be "
             "restarted)",
             what);
  else {
    fd = B.user_fd[i];
    B.user_fd[i] = -1;
  }
  pthread_mutex_unlock(&B.lock);
  return fd;
}

int pydron_mpi_worker_fd(int rank, char *why, size_t why_len) {
  char what[64];
  snprintf(what, sizeof what, "MPI rank %d", rank);
  if (pydron_mpi_rank() > 0) {
    snprintf(why, why_len, "%s: only rank 0 (the master) has worker ranks",
             what);
    return -1;
  }
  return take_fd(rank - 1, what, why, why_len);
}

int pydron_mpi_master_fd(char *why, size_t why_len) {
  if (pydron_mpi_rank() == 0) {
    snprintf(why, why_len, "MPI rank 0 is the master: it has no master");
    return -1;
  }
  return take_fd(0, "MPI rank 0", why, why_len);
}

#ifndef PYDRON_HAVE_MPI

int pydron_mpi_start(char *why, size_t why_len) {
  snprintf(why, why_len,
           "this Pydron was built without MPI support (mpi.h "
           "was not found; install libopenmpi-dev and rebuild)");
  return -1;
}

void pydron_mpi_finish(void) {}

#else /* PYDRON_HAVE_MPI */

#define MPI_LIB "libmpi.so.40" /* Open MPI 4.x and 5.x */
#define FRAG                                                                   \
  (1u << 20)                /* bytes per message at most: far below            \
                               the 2^31 - 1 of an int count */
#define UP_SLOTS 4          /* sends in flight per peer */
#define DOWN_MAX (4u << 20) /* received bytes queued per peer */
#define SOCK_BUF (1 << 20)  /* socketpair buffers (capped by wmem_max) */
#define TAG 0x5059          /* "PY" */
/* Idle rounds. Measured on 2 cores, 2 ranks (vader): spinning 200 us after
 * activity gives a 14 us round trip (2-3 ms without: the answer waits for
 * a sleeping bridge) and costs bulk transfers ~30% (the spinning thread
 * competes with the program's); sched_yield keeps the tail short. */
#define SPIN_US 200
#define IDLE_MIN_US 10
#define IDLE_MAX_US 1000
#define FLUSH_MS 2000

/* Entry points and predefined handles, from dlsym. */
static struct {
  void *lib;
  __typeof__(MPI_Init_thread) *Init_thread;
  __typeof__(MPI_Comm_rank) *Comm_rank;
  __typeof__(MPI_Comm_size) *Comm_size;
  __typeof__(MPI_Comm_set_errhandler) *Comm_set_errhandler;
  __typeof__(MPI_Isend) *Isend;
  __typeof__(MPI_Test) *Test;
  __typeof__(MPI_Improbe) *Improbe;
  __typeof__(MPI_Imrecv) *Imrecv;
  __typeof__(MPI_Get_count) *Get_count;
  __typeof__(MPI_Error_string) *Error_string;
  __typeof__(MPI_Finalize) *Finalize;
  MPI_Comm world;
  MPI_Datatype byte;
  MPI_Errhandler errors_return;
} M;

struct msg { /* received, not yet written to the socket */
  struct msg *next;
  size_t off, len;
  char data[];
};

struct peer {
  int rank;
  int fd; /* the bridge's end (non-blocking), -1 once closed */
  /* up: socket -> MPI */
  char *buf[UP_SLOTS];
  MPI_Request req[UP_SLOTS];
  int busy[UP_SLOTS];
  int inflight; /* busy slots */
  int sock_eof; /* the socket will give no more bytes */
  int eof_sent; /* the zero-length message is posted */
  /* down: MPI -> socket */
  struct msg *head, *tail;
  size_t queued;
  int mpi_eof;      /* the peer's zero-length message arrived */
  int shut;         /* our socket end is shut down for writing */
  int discard;      /* nobody reads the socket: drop what arrives */
  int failed;       /* an MPI call failed for this peer */
  MPI_Request rreq; /* the receive in progress, if receiving */
  struct msg *rmsg; /* ... and its buffer */
  int receiving;
};

/* The bridge thread's only: */
static struct peer *peers;
static struct pollfd *pfd; /* wake pipe, then the sockets polled */
static int *who;           /* pfd[k] is peers[who[k]] */

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static long long now_ms(void) { return now_us() / 1000; }

static void mpi_text(int rc, char *out, size_t n) {
  char s[512]; /* MPI_MAX_ERROR_STRING is 256 in Open MPI */
  int len = 0;
  if (M.Error_string(rc, s, &len) != MPI_SUCCESS)
    snprintf(s, sizeof s, "MPI error %d", rc);
  snprintf(out, n, "%s", s);
}

static int load(char *why, size_t why_len) {
  M.lib = dlopen(MPI_LIB, RTLD_NOW | RTLD_GLOBAL);
  if (!M.lib) {
    snprintf(why, why_len,
             "cannot load %s (Open MPI): %s; install Open MPI "
             "(Debian: apt-get install openmpi-bin) on every host of the job",
             MPI_LIB, dlerror());
    return -1;
  }
  static const struct {
    const char *name;
    size_t off;
  } syms[] = {
#define S(f, field)                                                            \
  { f, offsetof(__typeof__(M), field) }
      S("MPI_Init_thread", Init_thread),
      S("MPI_Comm_rank", Comm_rank),
      S("MPI_Comm_size", Comm_size),
      S("MPI_Comm_set_errhandler", Comm_set_errhandler),
      S("MPI_Isend", Isend),
      S("MPI_Test", Test),
      S("MPI_Improbe", Improbe),
      S("MPI_Imrecv", Imrecv),
      S("MPI_Get_count", Get_count),
      S("MPI_Error_string", Error_string),
      S("MPI_Finalize", Finalize),
      S("ompi_mpi_comm_world", world),
      S("ompi_mpi_byte", byte),
      S("ompi_mpi_errors_return", errors_return),
#undef S
  };
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    void *p = dlsym(M.lib, syms[i].name);
    if (!p) {
      snprintf(why, why_len,
               "%s has no %s: not the Open MPI this Pydron "
               "supports (4.x or 5.x)",
               MPI_LIB, syms[i].name);
      return -1;
    }
    /* Functions and handles alike are pointers here. */
    memcpy((char *)&M + syms[i].off, &p, sizeof p);
  }
  return 0;
}

/* Closes our end of p's stream (its user sees EOF) and drops what it
 * would have received: after an MPI error, or at finish for a stream still
 * held open (then end of stream is still sent, once a slot is free). */
static void end_stream(struct peer *p) {
  if (p->fd >= 0)
    close(p->fd);
  p->fd = -1;
  p->sock_eof = p->mpi_eof = p->shut = p->discard = 1;
  while (p->head) {
    struct msg *m = p->head;
    p->head = m->next;
    free(m);
  }
  p->tail = NULL;
  p->queued = 0;
}

/* An MPI call failed for peer p: the scheduler (or worker) sees its
 * stream end; the reason stays for pydron_mpi_error. */
static void peer_fail(struct peer *p, const char *call, int rc) {
  char text[300], *msg = malloc(400);
  mpi_text(rc, text, sizeof text);
  if (msg) {
    snprintf(msg, 400, "MPI rank %d: %s: %s", p->rank, call, text);
    atomic_store(&last_error, msg); /* the old one leaks: once per rank */
  }
  fprintf(stderr, "pydron: MPI rank %d: %s: %s (its stream is closed)\n",
          p->rank, call, text);
  p->failed = 1;
  p->eof_sent = 1; /* nothing more to it */
  end_stream(p);
}

/* Posts buf[s] (len bytes; 0: end of stream). */
static void post(struct peer *p, int s, size_t len) {
  int rc =
      M.Isend(p->buf[s], (int)len, M.byte, p->rank, TAG, M.world, &p->req[s]);
  if (rc != MPI_SUCCESS) {
    peer_fail(p, "MPI_Isend", rc);
    return;
  }
  p->busy[s] = 1;
  p->inflight++;
}

static int free_slot(const struct peer *p) {
  for (int s = 0; s < UP_SLOTS; s++)
    if (!p->busy[s])
      return s;
  return -1;
}

/* Completed sends free their slots; messages are received while the down
 * queue has room. Returns 1 when something moved. */
static int mpi_step(struct peer *p) {
  int moved = 0;
  for (int s = 0; s < UP_SLOTS; s++) {
    int done = 0;
    if (!p->busy[s])
      continue;
    int rc = M.Test(&p->req[s], &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS && !p->failed)
      peer_fail(p, "MPI_Isend (completion)", rc);
    if (done || rc != MPI_SUCCESS) {
      p->busy[s] = 0;
      p->inflight--;
      moved = 1;
    }
  }
  /* One receive at a time per peer, never a blocking one: MPI_Mrecv of a
   * large message waits for its sender, forever if that rank died (seen
   * with vader's CMA copy: "Read -1, ... errno = 3", then a hang). */
  for (;;) {
    if (p->receiving) {
      int done = 0, rc = M.Test(&p->rreq, &done, MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS) {
        p->receiving = 0; /* the request is complete, with its error */
        free(p->rmsg);
        p->rmsg = NULL;
        if (!p->failed)
          peer_fail(p, "MPI_Imrecv (completion)", rc);
        return 1;
      }
      if (!done)
        break;
      struct msg *q = p->rmsg;
      p->receiving = 0;
      p->rmsg = NULL;
      moved = 1;
      if (q->len == 0 || p->discard) {
        p->mpi_eof |= q->len == 0;
        free(q);
        continue;
      }
      if (p->tail)
        p->tail->next = q;
      else
        p->head = q;
      p->tail = q;
      p->queued += q->len;
      continue;
    }
    if (p->mpi_eof || p->queued >= DOWN_MAX)
      break;
    int flag = 0, count = 0;
    MPI_Message m;
    MPI_Status st;
    int rc = M.Improbe(p->rank, TAG, M.world, &flag, &m, &st);
    if (rc != MPI_SUCCESS) {
      peer_fail(p, "MPI_Improbe", rc);
      return 1;
    }
    if (!flag)
      break;
    moved = 1;
    if ((rc = M.Get_count(&st, M.byte, &count)) != MPI_SUCCESS || count < 0) {
      peer_fail(p, "MPI_Get_count", rc != MPI_SUCCESS ? rc : MPI_ERR_COUNT);
      return 1;
    }
    struct msg *q = malloc(sizeof *q + (size_t)count);
    if (!q) {
      peer_fail(p, "receive buffer", MPI_ERR_NO_MEM);
      return 1;
    }
    *q = (struct msg){.len = (size_t)count};
    if ((rc = M.Imrecv(q->data, count, M.byte, &m, &p->rreq)) != MPI_SUCCESS) {
      free(q);
      peer_fail(p, "MPI_Imrecv", rc);
      return 1;
    }
    p->rmsg = q;
    p->receiving = 1; /* tested at once: small messages are complete */
  }
  return moved;
}

/* Socket side of peer p after poll said `ev`. Returns 1 when something
 * moved. */
static int sock_step(struct peer *p, short ev) {
  int moved = 0;
  /* down: queued messages into the socket */
  while (p->fd >= 0 && p->head && (ev & (POLLOUT | POLLERR | POLLHUP))) {
    struct msg *q = p->head;
    ssize_t w = send(p->fd, q->data + q->off, q->len - q->off,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && (errno == EAGAIN || errno == EINTR))
      break;
    if (w < 0) { /* the reader closed its end: drop from now on */
      p->discard = 1;
      w = (ssize_t)(q->len - q->off);
    }
    moved = 1;
    q->off += (size_t)w;
    p->queued -= (size_t)w;
    if (q->off == q->len) {
      p->head = q->next;
      if (!p->head)
        p->tail = NULL;
      free(q);
    }
  }
  if (p->fd >= 0 && p->mpi_eof && !p->head && !p->shut) {
    shutdown(p->fd, SHUT_WR); /* the reader sees end of stream */
    p->shut = 1;
    moved = 1;
  }
  /* up: the socket into MPI messages, while a slot is free */
  int s;
  while (p->fd >= 0 && !p->sock_eof && (ev & (POLLIN | POLLERR | POLLHUP)) &&
         (s = free_slot(p)) >= 0) {
    if (!p->buf[s] && !(p->buf[s] = malloc(FRAG)))
      break; /* try again later */
    size_t have = 0;
    while (have < FRAG) {
      ssize_t r = recv(p->fd, p->buf[s] + have, FRAG - have, MSG_DONTWAIT);
      if (r > 0) {
        have += (size_t)r;
        continue;
      }
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        p->sock_eof = 1; /* end of stream, or reset: the same to the peer */
      break;
    }
    if (have) {
      post(p, s, have);
      moved = 1;
    }
    if (p->fd < 0 || have < FRAG)
      break;
  }
  if (p->sock_eof && !p->eof_sent && (s = free_slot(p)) >= 0) {
    p->eof_sent = 1;
    post(p, s, 0);
    moved = 1;
  }
  /* both directions ended and flushed: the peer is done */
  if (p->fd >= 0 && p->sock_eof && p->eof_sent && !p->inflight && p->mpi_eof &&
      !p->head) {
    close(p->fd);
    p->fd = -1;
    moved = 1;
  }
  return moved;
}

static int start_fail(const char *fmt, int rc) {
  pthread_mutex_lock(&B.lock);
  char text[300] = "";
  if (rc)
    mpi_text(rc, text, sizeof text);
  snprintf(B.why, sizeof B.why, fmt, text);
  B.state = B_FAILED;
  pthread_cond_broadcast(&B.cond);
  pthread_mutex_unlock(&B.lock);
  return -1;
}

/* MPI_Init_thread and the socketpairs; publishes the outcome. */
static int bridge_init(void) {
  int provided = 0, rank = 0, size = 0, rc;
  /* This thread becomes MPI's main thread: it alone calls MPI. */
  rc = M.Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS)
    return start_fail("MPI_Init_thread failed: %s", rc);
  if (provided < MPI_THREAD_FUNNELED) {
    M.Finalize();
    return start_fail("the MPI library gives only MPI_THREAD_SINGLE%s; "
                      "Pydron needs MPI_THREAD_FUNNELED (its own threads "
                      "run beside the thread that calls MPI)",
                      0);
  }
  if ((rc = M.Comm_set_errhandler(M.world, M.errors_return)) != MPI_SUCCESS ||
      (rc = M.Comm_rank(M.world, &rank)) != MPI_SUCCESS ||
      (rc = M.Comm_size(M.world, &size)) != MPI_SUCCESS) {
    M.Finalize();
    return start_fail("setting up MPI_COMM_WORLD failed: %s", rc);
  }
  int npeers = size < 2 ? 0 : rank == 0 ? size - 1 : 1;
  peers = calloc((size_t)npeers + 1, sizeof *peers);
  pfd = calloc((size_t)npeers + 1, sizeof *pfd);
  who = calloc((size_t)npeers + 1, sizeof *who);
  int *user = calloc((size_t)npeers + 1, sizeof *user);
  if (!peers || !pfd || !who || !user ||
      pipe2(B.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    M.Finalize();
    return start_fail("out of memory or descriptors%s", 0);
  }
  for (int i = 0; i < npeers; i++) {
    int sv[2], sz = SOCK_BUF;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      /* the MPI job must go on for the other ranks: this peer is lost */
      user[i] = -1;
      peers[i].failed = 1;
      peers[i].fd = -1;
      continue;
    }
    for (int k = 0; k < 2; k++) {
      setsockopt(sv[k], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
      setsockopt(sv[k], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    }
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    peers[i].rank = rank == 0 ? i + 1 : 0;
    peers[i].fd = sv[0];
    user[i] = sv[1];
  }
  pthread_mutex_lock(&B.lock);
  B.rank = rank;
  B.size = size;
  B.npeers = npeers;
  B.user_fd = user;
  B.state = B_RUNNING;
  pthread_cond_broadcast(&B.cond);
  pthread_mutex_unlock(&B.lock);
  return 0;
}

static void *bridge_main(void *arg) {
  (void)arg;
  if (bridge_init() != 0)
    return NULL;
  long idle_us = 0;
  long long last_moved = 0;
  long long deadline = -1;
  int forced = 0;
  for (;;) {
    int moved = 0, open = 0, n = 0;
    for (int i = 0; i < B.npeers; i++)
      moved |= mpi_step(&peers[i]);
    {
      pfd[n++] = (struct pollfd){.fd = B.wake[0], .events = POLLIN};
      for (int i = 0; i < B.npeers; i++) {
        struct peer *p = &peers[i];
        short ev = (p->head ? POLLOUT : 0) |
                   (!p->sock_eof && p->inflight < UP_SLOTS ? POLLIN : 0);
        /* not without events: POLLHUP would wake us for nothing, forever */
        if (p->fd < 0 || !ev)
          continue;
        who[n] = i;
        pfd[n++] = (struct pollfd){.fd = p->fd, .events = ev};
      }
      /* MPI has nothing to wait on: sleep briefly, longer when idle */
      struct timespec ts = {0, idle_us * 1000L};
      if (!idle_us) /* spinning: let the program's threads run first */
        sched_yield();
      int r = ppoll(pfd, (nfds_t)n, &ts, NULL);
      if (r > 0 && (pfd[0].revents & POLLIN)) {
        char drain[64];
        while (read(B.wake[0], drain, sizeof drain) > 0) {
        }
      }
      for (int k = 1; r > 0 && k < n; k++)
        if (pfd[k].revents)
          moved |= sock_step(&peers[who[k]], pfd[k].revents);
    }
    for (int i = 0; i < B.npeers; i++) /* EOF bookkeeping, slots freed */
      moved |= sock_step(&peers[i], 0);
    /* Spin a little after activity (an answer often follows at once),
     * then sleep longer and longer up to IDLE_MAX_US. */
    long long t = now_us();
    if (moved)
      last_moved = t;
    idle_us = t - last_moved < SPIN_US    ? 0
              : idle_us < IDLE_MIN_US     ? IDLE_MIN_US
              : idle_us * 2 > IDLE_MAX_US ? IDLE_MAX_US
                                          : idle_us * 2;
    for (int i = 0; i < B.npeers; i++)
      open += peers[i].fd >= 0 || peers[i].inflight || peers[i].receiving;
    if (atomic_load(&B.finishing)) {
      if (deadline < 0)
        deadline = now_ms() + FLUSH_MS;
      if (!open)
        break;
      if (now_ms() > deadline && !forced) {
        /* a stream still held open: end it, or its rank never finalizes */
        fprintf(stderr,
                "pydron: MPI: %d stream(s) still open %d ms after "
                "pydron_mpi_finish (close the fds first); ending them\n",
                open, FLUSH_MS);
        for (int i = 0; i < B.npeers; i++)
          end_stream(&peers[i]);
        forced = 1;
        deadline = now_ms() + FLUSH_MS / 2;
      } else if (now_ms() > deadline) {
        fprintf(stderr,
                "pydron: MPI: %d send(s) to other ranks never "
                "completed; finalizing anyway (MPI_Finalize may wait for "
                "those ranks)\n",
                open);
        break;
      }
    }
  }
  M.Finalize();
  return NULL;
}

int pydron_mpi_start(char *why, size_t why_len) {
  pthread_mutex_lock(&B.lock);
  if (B.state == B_IDLE) {
    B.state = B_STARTING;
    pthread_mutex_unlock(&B.lock);
    char err[512];
    int ok = load(err, sizeof err) == 0;
    pthread_mutex_lock(&B.lock);
    if (!ok) {
      snprintf(B.why, sizeof B.why, "%s", err);
      B.state = B_FAILED;
    } else if ((errno = pthread_create(&B.thread, NULL, bridge_main, NULL)) !=
               0) {
      snprintf(B.why, sizeof B.why, "cannot start the MPI bridge thread: %s",
               strerror(errno));
      B.state = B_FAILED;
    } else {
      B.joinable = 1;
    }
    pthread_cond_broadcast(&B.cond);
  }
  while (B.state == B_STARTING)
    pthread_cond_wait(&B.cond, &B.lock);
  if (B.state == B_FAILED && B.joinable) { /* it ended after failing */
    pthread_join(B.thread, NULL);
    B.joinable = 0;
  }
  int rc = 0;
  if (B.state != B_RUNNING) {
    snprintf(why, why_len, "%s",
             B.state == B_FAILED ? B.why
                                 : "MPI was already finished in this process");
    rc = -1;
  }
  pthread_mutex_unlock(&B.lock);
  return rc;
}

void pydron_mpi_finish(void) {
  pthread_mutex_lock(&B.lock);
  while (B.state == B_STARTING)
    pthread_cond_wait(&B.cond, &B.lock);
  if (B.state != B_RUNNING) { /* never started, failed, or finished */
    pthread_mutex_unlock(&B.lock);
    return;
  }
  B.state = B_FINISHING;
  for (int i = 0; i < B.npeers; i++) /* never handed out: end them */
    if (B.user_fd[i] >= 0) {
      close(B.user_fd[i]);
      B.user_fd[i] = -1;
    }
  pthread_mutex_unlock(&B.lock);
  atomic_store(&B.finishing, 1);
  char b = 1;
  (void)!write(B.wake[1], &b, 1);
  pthread_join(B.thread, NULL);
  pthread_mutex_lock(&B.lock);
  B.joinable = 0;
  B.state = B_DONE;
  pthread_mutex_unlock(&B.lock);
}

#endif /* PYDRON_HAVE_MPI */
