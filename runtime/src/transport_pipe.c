/* transport_pipe.c - local worker processes over a socketpair.
 *
 * The master starts /proc/self/exe (the very same executable) with
 * posix_spawn (vfork-like: no page-table copy of a big master) and
 *   PYDRON_WORKER=1  PYDRON_WORKER_FD=3  PYDRON_WORKER_THREADS=N
 * and the caller's variables (the lease) in its environment; fd 3 is the
 * worker's end of an AF_UNIX stream socketpair, stdin is /dev/null, stderr
 * is the master's, every other descriptor is closed, the signal mask is
 * empty and every signal has its default action. worker.c takes it from there. The worker exits when its
 * end of the socket reads end of stream, so a master that dies (even of
 * SIGKILL) leaves nothing running. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"

extern char **environ;

/* The master's argv[0], for ps; "pydron-worker" when unknown. */
static void program_name(char *out, size_t cap) {
  snprintf(out, cap, "pydron-worker");
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, out, cap - 1);
  close(fd);
  if (n > 0) {
    out[n] = 0;
    out[cap - 1] = 0;
  } else {
    snprintf(out, cap, "pydron-worker");
  }
}

int pydron_transport_pipe_start(int threads, const char *const *env, int *fd,
                                pid_t *pid, char *why, size_t why_len) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    snprintf(why, why_len, "socketpair: %s", strerror(errno));
    return -1;
  }
  /* The child's end must not already be 3 (dup2 onto itself would keep
   * close-on-exec set). */
  int child = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
  close(sv[1]);
  if (child < 0) {
    snprintf(why, why_len, "fcntl: %s", strerror(errno));
    close(sv[0]);
    return -1;
  }

  size_t n = 0;
  while (environ && environ[n])
    n++;
  size_t extra = 0;
  while (env && env[extra])
    extra++;
  char **envp = calloc(n + extra + 4, sizeof *envp);
  char threads_var[64];
  snprintf(threads_var, sizeof threads_var, "PYDRON_WORKER_THREADS=%d",
           threads);
  if (!envp) {
    snprintf(why, why_len, "out of memory");
    close(sv[0]);
    close(child);
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "PYDRON_WORKER", 13) != 0)
      envp[k++] = environ[i];
  envp[k++] = "PYDRON_WORKER=1";
  envp[k++] = "PYDRON_WORKER_FD=3";
  envp[k++] = threads_var;
  for (size_t i = 0; i < extra; i++)
    envp[k++] = (char *)env[i];
  envp[k] = NULL;

  char name[256];
  program_name(name, sizeof name);
  char *argv[] = {name, NULL};

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, child, 3);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
#endif
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  int err = posix_spawn(pid, "/proc/self/exe", &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(envp);
  close(child);
  if (err) {
    snprintf(why, why_len, "cannot start /proc/self/exe: %s", strerror(err));
    close(sv[0]);
    return -1;
  }
  *fd = sv[0];
  return 0;
}

static void describe(int st, char *status, size_t status_len) {
  if (!status || !status_len)
    return;
  if (WIFSIGNALED(st))
    snprintf(status, status_len, "killed by signal %d (%s)", WTERMSIG(st),
             strsignal(WTERMSIG(st)));
  else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
    snprintf(status, status_len, "exited with status %d", WEXITSTATUS(st));
  else
    status[0] = 0;
}

void pydron_transport_pipe_stop(int fd, pid_t pid, int kill_now, char *status,
                                size_t status_len) {
  if (status && status_len)
    status[0] = 0;
  if (fd >= 0)
    close(fd);
  if (pid <= 0)
    return;
  if (kill_now)
    kill(pid, SIGKILL);
  /* Workers exit at end of stream at once; give a busy one 2 s. */
  for (int i = 0; i < 2000; i++) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      describe(st, status, status_len);
      return;
    }
    if (r < 0) /* reaped by someone else (a SIGCHLD handler) */
      return;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  int st;
  if (waitpid(pid, &st, 0) == pid)
    describe(st, status, status_len);
}
