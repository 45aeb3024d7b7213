/* ssh_io.c - the one thread that moves bytes between SSH workers and the
 * scheduler (see transport_ssh.h).
 *
 * Each attached worker is a link: an exec channel on its own session, and
 * our end of a socketpair whose other end the scheduler reads and writes
 * like any worker's stream.
 *
 *   socketpair --(up buffer)--> channel stdin      (the worker's input)
 *   socketpair <-(down buffer)-- channel stdout    (the worker's output)
 *   stderr     <-("[host] " lines)-- channel stderr
 *
 * Everything is non-blocking, in one poll loop over the TCP sockets (in
 * the directions libssh2 says it is blocked on), the socketpair ends and a
 * wake pipe. Back-pressure: a side is read only while the other side's
 * buffer has room; libssh2 itself holds at most the channel window. The
 * scheduler closing its end sends EOF on the channel (the worker exits at
 * end of stdin); the channel's EOF, or a dead connection, closes our end
 * (the scheduler sees end of stream).
 *
 * libssh2 quirk this relies on: a read on any channel first drains the
 * socket into libssh2's packet queue, so after pumping every link the TCP
 * sockets are no longer readable and poll does not spin. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transport_ssh.h"

#define IO_BUF (1u << 20) /* per direction and link */
#define ERR_LINE 4096

struct buf {
  char *p;
  size_t off, len; /* data is p[off, off + len) */
};

struct ssh_link {
  struct ssh_link *next; /* in io.links, under io.lock */
  struct ssh_conn *c;
  LIBSSH2_CHANNEL *ch;
  int fd; /* our end of the socketpair; -1 once closed */
  char prefix[300];
  struct buf up, down;
  char err[ERR_LINE]; /* a partial stderr line */
  size_t errlen;
  int fd_eof;   /* the scheduler will send nothing more */
  int eof_sent; /* EOF sent on the channel */
  int chan_eof; /* the worker's stdout ended */
  int close_sent, closed;
  int dead;
  char why[256];
  /* Under io.lock: */
  int finish;         /* ssh_io_finish asked for it back */
  long long deadline; /* ... until then */
  int handed_back;
};

/* The thread and its links: one per process (the reason for the global). */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t handed;
  int wake[2];
  int running;
  struct ssh_link *links;
} io = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {-1, -1}, 0, NULL};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(void) {
  char b = 1;
  (void)!write(io.wake[1], &b, 1); /* full pipe: a wake-up is pending */
}

/* ---- buffers ------------------------------------------------------------ */

static size_t room(const struct buf *b) { return IO_BUF - b->len; }

/* Where new bytes go: compacts first so that room() bytes fit. */
static char *tail(struct buf *b) {
  if (b->off && b->off + b->len + room(b) > IO_BUF) {
    memmove(b->p, b->p + b->off, b->len);
    b->off = 0;
  }
  return b->p + b->off + b->len;
}

static void consume(struct buf *b, size_t n) {
  b->off += n;
  b->len -= n;
  if (!b->len)
    b->off = 0;
}

/* ---- one link ------------------------------------------------------------ */

static void emit_line(struct ssh_link *l, const char *s, size_t n) {
  char out[ERR_LINE + 320];
  size_t p = strlen(l->prefix);
  memcpy(out, l->prefix, p);
  memcpy(out + p, s, n);
  out[p + n] = '\n';
  /* One write per line: lines of different hosts do not interleave. */
  (void)!write(2, out, p + n + 1);
}

static void stderr_bytes(struct ssh_link *l, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') {
      emit_line(l, l->err, l->errlen);
      l->errlen = 0;
    } else {
      if (l->errlen == ERR_LINE) {
        emit_line(l, l->err, l->errlen);
        l->errlen = 0;
      }
      l->err[l->errlen++] = s[i];
    }
  }
}

static void close_fd(struct ssh_link *l) {
  if (l->fd >= 0)
    close(l->fd);
  l->fd = -1;
  l->fd_eof = 1;
  l->up.len = l->up.off = 0;
  l->down.len = l->down.off = 0;
}

static void set_dead(struct ssh_link *l, const char *what) {
  if (l->dead)
    return;
  l->dead = 1;
  char *msg = NULL;
  libssh2_session_last_error(l->c->session, &msg, NULL, 0);
  snprintf(l->why, sizeof l->why, "ssh %s: connection lost while %s: %s",
           l->c->label, what, msg && *msg ? msg : "unknown error");
  /* Said now: the scheduler only sees its stream end. */
  fprintf(stderr, "pydron: %s\n", l->why);
  close_fd(l);
}

/* Moves whatever can move without blocking. */
static void pump(struct ssh_link *l) {
  if (l->dead)
    return;
  int progress;
  do {
    progress = 0;
    /* scheduler -> up */
    if (l->fd >= 0 && !l->fd_eof && room(&l->up)) {
      ssize_t n = recv(l->fd, tail(&l->up), room(&l->up), MSG_DONTWAIT);
      if (n > 0) {
        l->up.len += (size_t)n;
        progress = 1;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        l->fd_eof = 1; /* the scheduler closed: the worker gets EOF */
        progress = 1;
      }
    }
    /* up -> channel */
    while (l->up.len && !l->eof_sent) {
      ssize_t n = libssh2_channel_write(l->ch, l->up.p + l->up.off, l->up.len);
      if (n == LIBSSH2_ERROR_EAGAIN)
        break;
      if (n < 0) {
        if (libssh2_channel_eof(l->ch) || n == LIBSSH2_ERROR_CHANNEL_CLOSED ||
            n == LIBSSH2_ERROR_CHANNEL_EOF_SENT) {
          l->up.len = l->up.off = 0; /* the worker is gone: drop it */
          break;
        }
        set_dead(l, "sending to the worker");
        return;
      }
      consume(&l->up, (size_t)n);
      progress = 1;
    }
    if (l->fd_eof && !l->up.len && !l->eof_sent) {
      int r = libssh2_channel_send_eof(l->ch);
      if (r != LIBSSH2_ERROR_EAGAIN) {
        l->eof_sent = 1;
        progress = 1;
      }
    }
    /* channel stdout -> down */
    while (!l->chan_eof && room(&l->down)) {
      ssize_t n = libssh2_channel_read(l->ch, tail(&l->down), room(&l->down));
      if (n > 0) {
        if (l->fd >= 0)
          l->down.len += (size_t)n; /* else: nobody listens; discard */
        progress = 1;
        continue;
      }
      if (n == LIBSSH2_ERROR_EAGAIN)
        break;
      if (n < 0 && n != LIBSSH2_ERROR_CHANNEL_CLOSED) {
        set_dead(l, "reading from the worker");
        return;
      }
      if (libssh2_channel_eof(l->ch) || n < 0) {
        l->chan_eof = 1;
        progress = 1;
      }
      break;
    }
    /* channel stderr -> our stderr (always read: this also drains the
     * socket into libssh2, see the top comment) */
    for (;;) {
      char buf[8192];
      ssize_t n = libssh2_channel_read_stderr(l->ch, buf, sizeof buf);
      if (n > 0) {
        stderr_bytes(l, buf, (size_t)n);
        progress = 1;
        continue;
      }
      if (n < 0 && n != LIBSSH2_ERROR_EAGAIN &&
          n != LIBSSH2_ERROR_CHANNEL_CLOSED) {
        set_dead(l, "reading the worker's stderr");
        return;
      }
      break;
    }
    /* down -> scheduler */
    if (l->down.len && l->fd >= 0) {
      ssize_t n = send(l->fd, l->down.p + l->down.off, l->down.len,
                       MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        consume(&l->down, (size_t)n);
        progress = 1;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        close_fd(l); /* the scheduler closed its end */
        progress = 1;
      }
    }
    /* The worker's output ended: so does the scheduler's stream. */
    if (l->chan_eof && !l->down.len && l->fd >= 0) {
      close_fd(l);
      progress = 1;
    }
    /* Both directions done: close the channel. */
    if (l->chan_eof && l->eof_sent && !l->closed) {
      int r = 0;
      if (!l->close_sent) {
        r = libssh2_channel_close(l->ch);
        if (r == 0)
          l->close_sent = 1;
      }
      if (l->close_sent) {
        r = libssh2_channel_wait_closed(l->ch);
        if (r == 0) {
          l->closed = 1;
          progress = 1;
          if (l->errlen) { /* a last line without newline */
            emit_line(l, l->err, l->errlen);
            l->errlen = 0;
          }
        }
      }
      if (r < 0 && r != LIBSSH2_ERROR_EAGAIN) {
        set_dead(l, "closing the channel");
        return;
      }
    }
  } while (progress);
}

/* ---- the thread ---------------------------------------------------------- */

static void hand_back(struct ssh_link *l) {
  /* under io.lock */
  struct ssh_link **pp = &io.links;
  while (*pp && *pp != l)
    pp = &(*pp)->next;
  if (*pp)
    *pp = l->next;
  /* The caller may block on the session again: no keepalives then (see
   * ssh_conn_open). */
  libssh2_keepalive_config(l->c->session, 1, 0);
  l->handed_back = 1;
}

static void *io_main(void *arg) {
  (void)arg;
  struct ssh_link **ls = NULL;
  struct pollfd *pf = NULL;
  size_t cap = 0;
  for (;;) {
    pthread_mutex_lock(&io.lock);
    size_t n = 0;
    for (struct ssh_link *l = io.links; l; l = l->next)
      n++;
    if (n == 0) {
      io.running = 0;
      pthread_mutex_unlock(&io.lock);
      break;
    }
    if (n > cap) {
      struct ssh_link **nl = realloc(ls, n * sizeof *nl);
      struct pollfd *np = nl ? realloc(pf, (2 * n + 1) * sizeof *np) : NULL;
      if (nl)
        ls = nl;
      if (np)
        pf = np;
      if (!nl || !np) { /* try again shortly */
        pthread_mutex_unlock(&io.lock);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        continue;
      }
      cap = n;
    }
    n = 0;
    long long now = now_ms();
    for (struct ssh_link *l = io.links; l; l = l->next) {
      if (l->finish && l->fd >= 0) {
        close_fd(l); /* the stream is over for the scheduler */
      }
      ls[n++] = l;
    }
    pthread_mutex_unlock(&io.lock);

    int timeout = 15000;
    for (size_t i = 0; i < n; i++) {
      struct ssh_link *l = ls[i];
      pump(l);
      if (!l->dead) {
        int secs = 15;
        int r = libssh2_keepalive_send(l->c->session, &secs);
        if (r != 0 && r != LIBSSH2_ERROR_EAGAIN)
          set_dead(l, "sending a keepalive");
        else if (secs * 1000 < timeout)
          timeout = secs > 0 ? secs * 1000 : 1000;
      }
    }

    /* Hand back the links whose time has come. */
    pthread_mutex_lock(&io.lock);
    int handed = 0;
    for (size_t i = 0; i < n; i++) {
      struct ssh_link *l = ls[i];
      if (!l->finish)
        continue;
      if (l->dead || l->closed || now >= l->deadline) {
        hand_back(l);
        ls[i] = NULL;
        handed = 1;
      } else if (l->deadline - now < timeout) {
        timeout = (int)(l->deadline - now) + 1;
      }
    }
    if (handed)
      pthread_cond_broadcast(&io.handed);
    pthread_mutex_unlock(&io.lock);

    size_t np = 0;
    pf[np++] = (struct pollfd){.fd = io.wake[0], .events = POLLIN};
    for (size_t i = 0; i < n; i++) {
      struct ssh_link *l = ls[i];
      if (!l || l->dead)
        continue; /* a dead socket would always be "ready" */
      int dir = libssh2_session_block_directions(l->c->session);
      short ev = POLLIN; /* data, keepalive replies, a closed connection */
      if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        ev |= POLLOUT;
      pf[np++] = (struct pollfd){.fd = l->c->sock, .events = ev};
      if (l->fd >= 0) {
        short fe = 0;
        if (!l->fd_eof && room(&l->up))
          fe |= POLLIN;
        if (l->down.len)
          fe |= POLLOUT;
        /* A socket whose peer closed reports POLLHUP whatever we ask:
         * only poll it while there is something to do with it. */
        if (fe)
          pf[np++] = (struct pollfd){.fd = l->fd, .events = fe};
      }
    }
    int r = poll(pf, np, timeout);
    if (r > 0 && (pf[0].revents & POLLIN)) {
      char drain[64];
      while (read(io.wake[0], drain, sizeof drain) > 0)
        ;
    }
  }
  free(ls);
  free(pf);
  return NULL;
}

/* ---- attach and finish -----------------------------------------------------
 */

/* A child of fork has no I/O thread and must not touch its parent's
 * sessions. It closes its copies of their sockets, so that the parent's
 * death still ends the connections (and so the workers), and starts
 * afresh. */
static void atfork_child(void) {
  for (struct ssh_link *l = io.links; l; l = l->next) {
    if (l->fd >= 0)
      close(l->fd);
    if (l->c->sock >= 0)
      close(l->c->sock);
  }
  io.links = NULL;
  io.running = 0;
  pthread_mutex_init(&io.lock, NULL);
  pthread_cond_init(&io.handed, NULL);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void) { pthread_atfork(NULL, NULL, atfork_child); }

static int start_thread(char *why, size_t why_len) {
  /* under io.lock */
  pthread_once(&atfork_once, register_atfork);
  if (io.wake[0] < 0 && pipe2(io.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    snprintf(why, why_len, "pipe: %s", strerror(errno));
    return -1;
  }
  if (io.running)
    return 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* Signals go to the program's threads, never to this one. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int err = pthread_create(&t, &attr, io_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err) {
    snprintf(why, why_len, "cannot start the SSH I/O thread: %s",
             strerror(err));
    return -1;
  }
  io.running = 1;
  return 0;
}

struct ssh_link *ssh_io_attach(struct ssh_conn *c, LIBSSH2_CHANNEL *ch,
                               const char *prefix, const void *early,
                               size_t early_len, int *fd, char *why,
                               size_t why_len) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    snprintf(why, why_len, "socketpair: %s", strerror(errno));
    return NULL;
  }
  fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
  struct ssh_link *l = calloc(1, sizeof *l);
  if (l) {
    l->up.p = malloc(IO_BUF);
    l->down.p = malloc(IO_BUF);
  }
  if (!l || !l->up.p || !l->down.p || early_len > IO_BUF) {
    if (l) {
      free(l->up.p);
      free(l->down.p);
    }
    free(l);
    close(sv[0]);
    close(sv[1]);
    snprintf(why, why_len, "out of memory");
    return NULL;
  }
  if (early_len) {
    memcpy(l->down.p, early, early_len);
    l->down.len = early_len;
  }
  l->c = c;
  l->ch = ch;
  l->fd = sv[1];
  snprintf(l->prefix, sizeof l->prefix, "%s", prefix);
  libssh2_session_set_blocking(c->session, 0);
  /* want_reply: the server answers, so a dead peer shows up as an error
   * on the TCP socket rather than silence. Only while non-blocking (see
   * ssh_conn_open). */
  libssh2_keepalive_config(c->session, 1, 15);

  pthread_mutex_lock(&io.lock);
  if (start_thread(why, why_len) != 0) {
    pthread_mutex_unlock(&io.lock);
    libssh2_session_set_blocking(c->session, 1);
    close(sv[0]);
    close(sv[1]);
    free(l->up.p);
    free(l->down.p);
    free(l);
    return NULL;
  }
  l->next = io.links;
  io.links = l;
  pthread_mutex_unlock(&io.lock);
  wake();
  *fd = sv[0];
  return l;
}

void ssh_io_finish(struct ssh_link *l, int wait_ms, struct ssh_io_result *res) {
  pthread_mutex_lock(&io.lock);
  l->finish = 1;
  l->deadline = now_ms() + (wait_ms > 0 ? wait_ms : 0);
  wake();
  while (!l->handed_back)
    pthread_cond_wait(&io.handed, &io.lock);
  pthread_mutex_unlock(&io.lock);
  /* Ours again: the I/O thread no longer knows this link. */
  memset(res, 0, sizeof *res);
  res->dead = l->dead;
  res->closed = l->closed;
  res->exit_status = -1;
  snprintf(res->why, sizeof res->why, "%s", l->why);
  if (l->closed) {
    char *sig = NULL;
    libssh2_channel_get_exit_signal(l->ch, &sig, NULL, NULL, NULL, NULL, NULL);
    if (sig) {
      snprintf(res->signal, sizeof res->signal, "%s", sig);
      libssh2_free(l->c->session, sig);
    } else {
      res->exit_status = libssh2_channel_get_exit_status(l->ch);
    }
  }
  if (l->errlen)
    emit_line(l, l->err, l->errlen);
  close_fd(l);
  free(l->up.p);
  free(l->down.p);
  free(l);
}
