/* ssh_conn.c - one SSH connection: TCP connect, handshake, keepalive,
 * helper commands (see ssh_conn.h). Host keys are checked in ssh_hostkey.c,
 * the login is ssh_auth.c. */
#include "ssh_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* libssh2_init is not thread-safe: once per process. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
/* OpenSSL would otherwise free its state from an atexit handler, which
 * runs before this runtime's own exit handler ends the workers: the I/O
 * thread, still sending their end of file, would use freed locks. */
static void init_libssh2(void) {
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
  init_rc = libssh2_init(0);
}

/* ---- helpers ------------------------------------------------------------ */

static void str_reserve(struct ssh_str *s, size_t more) {
  if (s->failed || s->len + more + 1 <= s->cap)
    return;
  size_t cap = s->cap ? s->cap : 256;
  while (cap < s->len + more + 1)
    cap *= 2;
  char *p = realloc(s->p, cap);
  if (!p) {
    s->failed = 1;
    return;
  }
  s->p = p;
  s->cap = cap;
}

static void str_put(struct ssh_str *s, const char *t, size_t n) {
  str_reserve(s, n);
  if (s->failed)
    return;
  memcpy(s->p + s->len, t, n);
  s->len += n;
  s->p[s->len] = 0;
}

void ssh_str_add(struct ssh_str *s, const char *t) { str_put(s, t, strlen(t)); }

void ssh_str_addf(struct ssh_str *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    s->failed = 1;
    return;
  }
  str_reserve(s, (size_t)n);
  if (s->failed)
    return;
  va_start(ap, fmt);
  vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s->len += (size_t)n;
}

void ssh_str_quote(struct ssh_str *s, const char *t) {
  str_put(s, "'", 1);
  for (const char *q; (q = strchr(t, '\'')) != NULL; t = q + 1) {
    str_put(s, t, (size_t)(q - t));
    str_put(s, "'\\''", 4);
  }
  str_put(s, t, strlen(t));
  str_put(s, "'", 1);
}

void ssh_str_free(struct ssh_str *s) {
  free(s->p);
  memset(s, 0, sizeof *s);
}

static const char *local_home(void) {
  const char *h = getenv("HOME");
  if (h && *h)
    return h;
  struct passwd pw, *res = NULL;
  static _Thread_local char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
    return res->pw_dir;
  return NULL;
}

int ssh_expand_home(const char *path, char *out, size_t cap) {
  if (path[0] == '~' && (path[1] == '/' || path[1] == 0)) {
    const char *h = local_home();
    if (!h)
      return -1;
    int n = snprintf(out, cap, "%s%s", h, path + 1);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
  }
  int n = snprintf(out, cap, "%s", path);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void ssh_fingerprint(const void *blob, size_t len, char *out, size_t cap) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  if (!EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL)) {
    snprintf(out, cap, "SHA256:?");
    return;
  }
  int n = EVP_EncodeBlock(b64, md, (int)mdlen);
  while (n > 0 && b64[n - 1] == '=') /* OpenSSH prints it unpadded */
    n--;
  b64[n] = 0;
  snprintf(out, cap, "SHA256:%s", (char *)b64);
}

const char *ssh_conn_error(struct ssh_conn *c) {
  char *msg = NULL;
  if (!c->session)
    return "";
  libssh2_session_last_error(c->session, &msg, NULL, 0);
  return msg ? msg : "";
}

int ssh_conn_wait(struct ssh_conn *c, int timeout_ms) {
  int dir = libssh2_session_block_directions(c->session);
  struct pollfd p = {.fd = c->sock, .events = 0};
  if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
    p.events |= POLLIN;
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
    p.events |= POLLOUT;
  if (!p.events)
    p.events = POLLIN;
  int r;
  do
    r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : r > 0;
}

/* ---- TCP ---------------------------------------------------------------- */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-blocking connect to each address in turn, sharing one deadline. */
static int tcp_connect(struct ssh_conn *c, char *why, size_t why_len) {
  char port[16];
  snprintf(port, sizeof port, "%d", c->port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                           .ai_family = AF_UNSPEC,
                           .ai_flags = AI_ADDRCONFIG};
  struct addrinfo *res = NULL;
  int gai = getaddrinfo(c->host, port, &hints, &res);
  if (gai) {
    snprintf(why, why_len,
             "ssh %s: cannot resolve host name '%s': %s (check \"hostname\" "
             "in pydron.conf)",
             c->label, c->host, gai_strerror(gai));
    return -1;
  }
  long long deadline = now_ms() + c->timeout_ms;
  int err = 0;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      long long left = deadline - now_ms();
      do
        r = poll(&p, 1, left > 0 ? (int)left : 0);
      while (r < 0 && errno == EINTR);
      if (r == 0) {
        err = ETIMEDOUT;
        r = -1;
      } else if (r > 0) {
        socklen_t sl = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
        r = err ? -1 : 0;
      } else {
        err = errno;
      }
    } else if (r != 0) {
      err = errno;
    }
    if (r == 0) {
      /* Blocking from here: libssh2 drives it (with a timeout). */
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      int one = 1, idle = 30, intvl = 10, cnt = 3;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      /* A dead link is noticed even while nothing is sent. */
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
      freeaddrinfo(res);
      c->sock = fd;
      return 0;
    }
    close(fd);
    if (now_ms() >= deadline)
      break;
  }
  freeaddrinfo(res);
  snprintf(why, why_len,
           "ssh %s: cannot connect: %s (is the host up and sshd listening on "
           "port %d? check \"hostname\" and \"port\" in pydron.conf)",
           c->label, strerror(err ? err : ETIMEDOUT), c->port);
  return -1;
}

/* ---- the connection ----------------------------------------------------- */

static void local_user(char *out, size_t cap) {
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res) {
    snprintf(out, cap, "%s", res->pw_name);
    return;
  }
  const char *u = getenv("USER");
  snprintf(out, cap, "%s", u && *u ? u : "root");
}

int ssh_conn_open(struct ssh_conn *c, const struct pydron_ssh_conf *conf,
                  int timeout_ms, char *why, size_t why_len) {
  memset(c, 0, sizeof *c);
  c->sock = -1;
  c->conf = conf;
  c->timeout_ms = timeout_ms > 0 ? timeout_ms : 20000;
  c->port = conf->port > 0 ? conf->port : 22;
  snprintf(c->host, sizeof c->host, "%s", conf->hostname ? conf->hostname : "");
  if (conf->username && *conf->username)
    snprintf(c->user, sizeof c->user, "%s", conf->username);
  else
    local_user(c->user, sizeof c->user);
  snprintf(c->label, sizeof c->label, "%s@%s:%d", c->user, c->host, c->port);

  pthread_once(&init_once, init_libssh2);
  if (init_rc != 0) {
    snprintf(why, why_len, "ssh %s: libssh2 failed to initialise (%d)",
             c->label, init_rc);
    return -1;
  }
  if (tcp_connect(c, why, why_len) != 0)
    return -1;
  /* The abstract pointer lets the keyboard-interactive callback find the
   * password (ssh_auth.c). */
  c->session = libssh2_session_init_ex(NULL, NULL, NULL, c);
  if (!c->session) {
    snprintf(why, why_len, "ssh %s: out of memory", c->label);
    ssh_conn_close(c);
    return -1;
  }
  libssh2_session_set_blocking(c->session, 1);
  libssh2_session_set_timeout(c->session, c->timeout_ms);
  if (ssh_hostkey_prefer(c, why, why_len) != 0) {
    ssh_conn_close(c);
    return -1;
  }
  if (libssh2_session_handshake(c->session, c->sock) != 0) {
    int e = libssh2_session_last_errno(c->session);
    if (e == LIBSSH2_ERROR_KEX_FAILURE)
      snprintf(why, why_len,
               "ssh %s: handshake failed: %s (no key exchange, cipher or "
               "host-key algorithm in common: libssh2 1.10 knows host keys "
               "ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa with "
               "SHA-1 only; if known_hosts records a key type the host no "
               "longer offers, remove that entry with ssh-keygen -R)",
               c->label, ssh_conn_error(c));
    else
      snprintf(why, why_len,
               "ssh %s: handshake failed: %s (is it an SSH server?)", c->label,
               ssh_conn_error(c));
    ssh_conn_close(c);
    return -1;
  }
  if (ssh_hostkey_check(c, why, why_len) != 0 ||
      ssh_auth_login(c, why, why_len) != 0) {
    ssh_conn_close(c);
    return -1;
  }
  /* No keepalives while the session blocks (set-up, stop): libssh2 1.10
   * sends one from inside its wait for the socket, and fails the whole
   * call (an SFTP upload, say) when that keepalive meets a full socket
   * buffer. The I/O thread turns them on (ssh_io.c). */
  libssh2_keepalive_config(c->session, 1, 0);
  return 0;
}

void ssh_conn_close(struct ssh_conn *c) {
  if (c->session) {
    /* Never wait long for a goodbye on a dying link. */
    libssh2_session_set_blocking(c->session, 1);
    libssh2_session_set_timeout(c->session, 2000);
    libssh2_session_disconnect(c->session, "pydron: done");
    libssh2_session_free(c->session);
    c->session = NULL;
  }
  if (c->sock >= 0) {
    close(c->sock);
    c->sock = -1;
  }
}

/* ---- helper commands ---------------------------------------------------- */

#define EXEC_MAX_OUT (64u << 20)
#define EXEC_MAX_ERR 2048

/* Runs in non-blocking mode so that stdin, stdout and stderr make
 * progress together (a command that fills its stderr while we wait on
 * stdout cannot deadlock), then puts the session back in blocking mode. */
int ssh_conn_exec(struct ssh_conn *c, const char *cmd, const void *stdin_data,
                  size_t stdin_len, char **out, size_t *out_len,
                  int *exit_status, char *why, size_t why_len) {
  LIBSSH2_SESSION *s = c->session;
  LIBSSH2_CHANNEL *ch = NULL;
  struct ssh_str o = {0};
  char err[EXEC_MAX_ERR + 1];
  size_t errlen = 0;
  size_t sent = 0;
  int eof_sent = 0;
  int rc = -1, status = -1;
  if (out)
    *out = NULL;
  if (out_len)
    *out_len = 0;
  if (exit_status)
    *exit_status = -1;
  libssh2_session_set_blocking(s, 0);

  enum { OPEN, EXEC, IO, CLOSE, DONE } stage = OPEN;
  long long idle_since = now_ms();
  while (stage != DONE) {
    int progress = 0;
    if (stage == OPEN) {
      ch = libssh2_channel_open_session(s);
      if (ch) {
        stage = EXEC;
        progress = 1;
      } else if (libssh2_session_last_errno(s) != LIBSSH2_ERROR_EAGAIN) {
        snprintf(why, why_len, "ssh %s: cannot open a channel: %s", c->label,
                 ssh_conn_error(c));
        goto out;
      }
    }
    if (stage == EXEC) {
      int r = libssh2_channel_exec(ch, cmd);
      if (r == 0) {
        stage = IO;
        progress = 1;
      } else if (r != LIBSSH2_ERROR_EAGAIN) {
        snprintf(why, why_len, "ssh %s: cannot run a command: %s", c->label,
                 ssh_conn_error(c));
        goto out;
      }
    }
    if (stage == IO) {
      while (sent < stdin_len) {
        ssize_t n = libssh2_channel_write(ch, (const char *)stdin_data + sent,
                                          stdin_len - sent);
        if (n < 0) /* EAGAIN, or the command stopped reading */
          break;
        sent += (size_t)n;
        progress = 1;
      }
      if (!eof_sent && (sent == stdin_len || libssh2_channel_eof(ch))) {
        /* Sent, or the channel is gone: either way done. */
        if (libssh2_channel_send_eof(ch) != LIBSSH2_ERROR_EAGAIN)
          eof_sent = 1;
      }
      char buf[16384];
      for (;;) {
        ssize_t n = libssh2_channel_read(ch, buf, sizeof buf);
        if (n > 0) {
          if (o.len + (size_t)n > EXEC_MAX_OUT) {
            snprintf(why, why_len, "ssh %s: command output over %u MiB",
                     c->label, EXEC_MAX_OUT >> 20);
            goto out;
          }
          if (out)
            str_put(&o, buf, (size_t)n);
          progress = 1;
          continue;
        }
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
          snprintf(why, why_len, "ssh %s: connection failed: %s", c->label,
                   ssh_conn_error(c));
          goto out;
        }
        break;
      }
      for (;;) {
        ssize_t n = libssh2_channel_read_stderr(ch, buf, sizeof buf);
        if (n > 0) {
          size_t k = (size_t)n;
          if (k > EXEC_MAX_ERR - errlen)
            k = EXEC_MAX_ERR - errlen;
          memcpy(err + errlen, buf, k);
          errlen += k;
          progress = 1;
          continue;
        }
        break;
      }
      if (libssh2_channel_eof(ch) && eof_sent) {
        stage = CLOSE;
        progress = 1;
      }
    }
    if (stage == CLOSE) {
      int r = libssh2_channel_close(ch);
      if (r == 0)
        r = libssh2_channel_wait_closed(ch);
      if (r == 0) {
        char *sig = NULL;
        libssh2_channel_get_exit_signal(ch, &sig, NULL, NULL, NULL, NULL, NULL);
        status = sig ? -1 : libssh2_channel_get_exit_status(ch);
        if (sig)
          libssh2_free(s, sig);
        stage = DONE;
        break;
      }
      if (r != LIBSSH2_ERROR_EAGAIN) {
        snprintf(why, why_len, "ssh %s: connection failed: %s", c->label,
                 ssh_conn_error(c));
        goto out;
      }
    }
    if (progress) {
      idle_since = now_ms();
      continue;
    }
    long long left = idle_since + c->timeout_ms - now_ms();
    if (left <= 0 || ssh_conn_wait(c, (int)left) < 0) {
      snprintf(why, why_len,
               "ssh %s: no answer for %d ms while running a helper command "
               "(network trouble, or the host is overloaded)",
               c->label, c->timeout_ms);
      goto out;
    }
  }
  err[errlen] = 0;
  /* The first line(s) of stderr, for the caller's message. */
  while (errlen && (err[errlen - 1] == '\n' || err[errlen - 1] == '\r'))
    err[--errlen] = 0;
  snprintf(why, why_len, "%s", err);
  if (exit_status)
    *exit_status = status;
  if (out) {
    if (o.failed) {
      snprintf(why, why_len, "ssh %s: out of memory", c->label);
      goto out;
    }
    if (!o.p)
      o.p = calloc(1, 1);
    *out = o.p;
    if (out_len)
      *out_len = o.len;
    o.p = NULL;
  }
  rc = 0;
out:
  if (ch) {
    /* Blocking, bounded by the session timeout. */
    libssh2_session_set_blocking(s, 1);
    libssh2_channel_free(ch);
  }
  libssh2_session_set_blocking(s, 1);
  ssh_str_free(&o);
  return rc;
}

int ssh_conn_run(struct ssh_conn *c, struct ssh_str *cmd, char **out,
                 int *exit_status, char *why, size_t why_len) {
  int r = -1;
  if (cmd->failed)
    snprintf(why, why_len, "out of memory");
  else
    r = ssh_conn_exec(c, cmd->p, NULL, 0, out, NULL, exit_status, why,
                      why_len);
  ssh_str_free(cmd);
  return r;
}
