/* transport_ssh.c - starting and stopping one worker on another host (see
 * transport_ssh.h): connect, ship, exec, hand over to the I/O thread; and
 * back: end of stream, wait, kill if needed, remove the run directory,
 * disconnect. */
#include "transport_ssh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_deploy.h"

#define STEP_TIMEOUT_MS 20000
#define STOP_WAIT_MS 2000
/* Bigger than libssh2's default 2 MiB: tasks and results are large, and
 * a window is what a far host can have in flight per round trip. */
#define CHANNEL_WINDOW (8u << 20)
/* Printed by the remote command right before it execs the worker. */
#define READY_MARK "pydron-ssh: starting the worker"
#define MARK_SCAN 65536

struct ssh_worker {
  struct ssh_conn conn;
  struct ssh_deploy dep;
  LIBSSH2_CHANNEL *ch;
  struct ssh_link *link;
  uint32_t pid;
};

static int valid_env(const char *e) {
  const char *eq = strchr(e, '=');
  if (!eq || eq == e)
    return 0;
  for (const char *p = e; p < eq; p++) {
    int alpha =
        (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_';
    if (!alpha && !(p > e && *p >= '0' && *p <= '9'))
      return 0;
  }
  return 1;
}

static void worker_free(struct ssh_worker *w) {
  ssh_deploy_free(&w->dep);
  ssh_conn_close(&w->conn);
  free(w);
}

/* Reads the channel's stdout up to the marker line the command prints
 * before exec'ing the worker. Anything before it was printed by the
 * remote user's shell start-up files (~/.bashrc ...): said once and
 * dropped, since it would corrupt the protocol. What follows the marker
 * (the start of the hello) is returned in early. */
static int skip_to_marker(struct ssh_worker *w, char *early, size_t *early_len,
                          char *why, size_t why_len) {
  static const char mark[] = READY_MARK "\n";
  char buf[MARK_SCAN];
  size_t have = 0;
  for (;;) {
    char *m = memmem(buf, have, mark, sizeof mark - 1);
    if (m) {
      size_t junk = (size_t)(m - buf);
      if (junk) {
        char show[61];
        size_t k = 0;
        for (; k < junk && k < sizeof show - 1; k++)
          show[k] = buf[k] >= ' ' && buf[k] < 127 ? buf[k] : ' ';
        show[k] = 0;
        fprintf(stderr,
                "pydron: ssh %s: the remote shell printed %zu bytes before "
                "the worker started (\"%s\"): remove that output from the "
                "shell's start-up files there (~/.bashrc ...)\n",
                w->conn.label, junk, show);
      }
      *early_len = have - junk - (sizeof mark - 1);
      memcpy(early, m + sizeof mark - 1, *early_len);
      return 0;
    }
    if (have == sizeof buf) {
      snprintf(why, why_len,
               "ssh %s: the remote shell printed over %zu bytes without "
               "starting the worker: check the shell's start-up files there "
               "(~/.bashrc ...)",
               w->conn.label, sizeof buf);
      return -1;
    }
    ssize_t n = libssh2_channel_read(w->ch, buf + have, sizeof buf - have);
    if (n > 0) {
      have += (size_t)n;
      continue;
    }
    char err[512] = "";
    ssize_t e = libssh2_channel_read_stderr(w->ch, err, sizeof err - 1);
    err[e > 0 ? e : 0] = 0;
    err[strcspn(err, "\n")] = 0;
    if (n == 0 || libssh2_channel_eof(w->ch))
      snprintf(why, why_len,
               "ssh %s: the worker's command ended before it started%s%s",
               w->conn.label, err[0] ? ": " : "", err);
    else
      snprintf(why, why_len, "ssh %s: waiting for the worker to start: %s",
               w->conn.label, ssh_conn_error(&w->conn));
    return -1;
  }
}

int pydron_transport_ssh_start(const struct pydron_ssh_conf *conf, int threads,
                               const char *const *env, int *fd,
                               struct ssh_worker **out, char *why,
                               size_t why_len) {
  *out = NULL;
  *fd = -1;
  for (size_t i = 0; env && env[i]; i++)
    if (!valid_env(env[i])) {
      snprintf(why, why_len,
               "ssh: internal error: worker environment entry '%s' is not "
               "NAME=value",
               env[i]);
      return -1;
    }
  struct ssh_worker *w = calloc(1, sizeof *w);
  if (!w) {
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  if (ssh_conn_open(&w->conn, conf, STEP_TIMEOUT_MS, why, why_len) != 0) {
    free(w);
    return -1;
  }
  if (ssh_deploy_prepare(&w->conn, &w->dep, why, why_len) != 0) {
    worker_free(w);
    return -1;
  }

  /* The marker first: whatever the user's shell start-up files print
   * comes before it and is kept out of the protocol stream. exec: no
   * shell stays between sshd and the worker. -u: the host's preloads and
   * library paths must not mix with the shipped libc. */
  struct ssh_str cmd = {0};
  ssh_str_add(&cmd, "printf '" READY_MARK "\\n'; exec env -u LD_PRELOAD "
                    "-u LD_LIBRARY_PATH PYDRON_WORKER=1");
  if (threads > 0)
    ssh_str_addf(&cmd, " PYDRON_WORKER_THREADS=%d", threads);
  for (size_t i = 0; env && env[i]; i++) {
    ssh_str_add(&cmd, " ");
    ssh_str_quote(&cmd, env[i]);
  }
  ssh_str_add(&cmd, " ");
  ssh_str_add(&cmd, w->dep.command);
  char tmp[1024];
  if (cmd.failed) {
    snprintf(why, why_len, "out of memory");
    goto fail;
  }
  w->ch = libssh2_channel_open_ex(w->conn.session, "session",
                                  sizeof "session" - 1, CHANNEL_WINDOW,
                                  LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
  if (!w->ch) {
    snprintf(why, why_len, "ssh %s: cannot open a channel for the worker: %s",
             w->conn.label, ssh_conn_error(&w->conn));
    goto fail;
  }
  if (libssh2_channel_exec(w->ch, cmd.p) != 0) {
    snprintf(why, why_len, "ssh %s: cannot start the worker: %s", w->conn.label,
             ssh_conn_error(&w->conn));
    goto fail;
  }
  ssh_str_free(&cmd);
  char early[MARK_SCAN];
  size_t early_len = 0;
  if (skip_to_marker(w, early, &early_len, why, why_len) != 0)
    goto fail;

  char prefix[300];
  snprintf(prefix, sizeof prefix, "[%s] ", w->conn.host);
  w->link = ssh_io_attach(&w->conn, w->ch, prefix, early, early_len, fd, why,
                          why_len);
  if (!w->link) {
    snprintf(tmp, sizeof tmp, "%s", why);
    snprintf(why, why_len, "ssh %s: %s", w->conn.label, tmp);
    /* A worker that started sees EOF when the channel goes. */
    libssh2_channel_free(w->ch);
    w->ch = NULL;
    ssh_deploy_cleanup(&w->conn, &w->dep, tmp, sizeof tmp);
    worker_free(w);
    return -1;
  }
  *out = w;
  return 0;

fail:
  ssh_str_free(&cmd);
  if (w->ch)
    libssh2_channel_free(w->ch);
  ssh_deploy_cleanup(&w->conn, &w->dep, tmp, sizeof tmp);
  worker_free(w);
  return -1;
}

void pydron_transport_ssh_set_pid(struct ssh_worker *w, uint32_t pid) {
  if (w)
    w->pid = pid;
}

const char *pydron_transport_ssh_label(const struct ssh_worker *w) {
  return w ? w->conn.label : "ssh";
}

/* Appends a command that kills this worker, and only it. */
static void kill_command(const struct ssh_worker *w, struct ssh_str *s) {
  char marker[PATH_MAX + 2];
  snprintf(marker, sizeof marker, "%s/", w->dep.run);
  if (w->pid) {
    /* The pid is the worker's only while its command line names our run
     * directory (pids are reused). */
    ssh_str_addf(s, "grep -qaF -- ");
    ssh_str_quote(s, marker);
    ssh_str_addf(s, " /proc/%u/cmdline 2>/dev/null && kill -KILL %u\n", w->pid,
                 w->pid);
    return;
  }
  /* No hello yet: by run directory. The pattern's first character is a
   * bracket expression, so it does not match the shell running it. */
  struct ssh_str re = {0};
  for (const char *p = marker; *p; p++) {
    char one[4] = {*p, 0};
    if (p == marker)
      snprintf(one, sizeof one, "[%c]", *p);
    else if (strchr(".[]*^$\\+?(){}|", *p))
      snprintf(one, sizeof one, "\\%c", *p);
    ssh_str_add(&re, one);
  }
  ssh_str_add(s, "command -v pkill >/dev/null && pkill -KILL -u \"$(id -u)\" "
                 "-f -- ");
  ssh_str_quote(s, re.p ? re.p : "[/]nothing");
  ssh_str_add(s, "\n");
  ssh_str_free(&re);
}

void pydron_transport_ssh_stop(struct ssh_worker *w, int kill_now) {
  if (!w)
    return;
  struct ssh_io_result res;
  ssh_io_finish(w->link, kill_now ? 0 : STOP_WAIT_MS, &res);
  w->link = NULL;
  /* kill_now 2: the worker was silent for a lease, maybe behind a cut
   * link: one brief try, so that the program's exit does not hang. */
  int step_ms = kill_now == 2 ? 1000 : 5000;
  if (!res.dead) {
    libssh2_session_set_blocking(w->conn.session, 1);
    libssh2_session_set_timeout(w->conn.session, step_ms);
    w->conn.timeout_ms = step_ms;
    char why[512];
    int unreachable = 0;
    if (!res.closed) {
      /* Still running after EOF (busy in a chunk, or stuck): kill it and
       * remove its run directory in one round trip. */
      struct ssh_str s = {0};
      kill_command(w, &s);
      ssh_str_add(&s, "rm -rf -- ");
      ssh_str_quote(&s, w->dep.run);
      int st;
      int r = ssh_conn_run(&w->conn, &s, NULL, &st, why, sizeof why);
      if (r == 0 && st == 0)
        w->dep.run[0] = 0;
      if (r != 0 && kill_now == 2) {
        /* Unreachable: pydron-cleanup removes the run directory later. */
        fprintf(stderr, "pydron: %s (pydron-cleanup removes what is left)\n",
                why);
        w->dep.run[0] = 0;
        unreachable = 1;
      }
    }
    if (w->dep.run[0] &&
        ssh_deploy_cleanup(&w->conn, &w->dep, why, sizeof why) != 0)
      fprintf(stderr, "pydron: %s (pydron-cleanup removes it later)\n", why);
    if (!w->conn.conf->keep_cache && !unreachable &&
        ssh_deploy_drop_cache(&w->conn, &w->dep, why, sizeof why) != 0)
      fprintf(stderr, "pydron: %s (pydron-cleanup --cache removes it later)\n",
              why);
    libssh2_channel_free(w->ch);
  }
  w->ch = NULL;
  worker_free(w);
}
