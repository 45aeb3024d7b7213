/* cloud_reaper.c - the process that terminates a run's EC2 instances when
 * the program that started them is gone.
 *
 * cloud.c starts it (this same executable, with PYDRON_REAPER=1, in a
 * session of its own) before it asks for any instance, and keeps the write
 * end of a pipe to its stdin for the rest of its life. The reaper reads
 * "name=value" lines (region, endpoint, keyid, secret, token, run, user)
 * up to "end", then waits for end of file: the program exited, crashed or
 * was killed (the kernel closes the pipe in every case). Then it
 * terminates every instance of this user tagged with the run id, retrying
 * for a while if the API does not answer (not when it refuses the
 * credentials), and exits. While it waits it moves the instances'
 * pydron:expiry tag forward every few minutes, so that pydron-cleanup
 * --cloud never takes a live run's instances for leftovers. The secrets
 * never touch argv or a file; a session token goes into this process's
 * own environment, where the EC2 client reads temporary credentials. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "ec2.h"

#define REAP_TRIES 20

static void reaper_say(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "pydron: cloud reaper: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
}

static char *field(char *line, const char *name) {
  size_t n = strlen(name);
  if (strncmp(line, name, n) != 0 || line[n] != '=')
    return NULL;
  return line + n + 1;
}

/* Moves the run's instances' pydron:expiry tag to now + ttl minutes. */
static void extend(const struct pydron_cloud_conf *c, const char *run,
                   const char *user, long ttl) {
  char why[1024], when[32], **ids;
  struct ec2_client *ec2 = NULL;
  struct ec2_instance *found;
  int k;
  if (ec2_open(&ec2, c, why, sizeof why) != 0)
    return;
  if (pydron_cloud_run_ids(ec2, user, run, NULL, 0, &found, &ids, &k, why,
                           sizeof why) == 0) {
    snprintf(when, sizeof when, "%lld", (long long)time(NULL) + 60LL * ttl);
    if (k)
      ec2_set_tag(ec2, ids, k, "pydron:expiry", when, why, sizeof why);
    free(ids);
    free(found);
  }
  ec2_close(ec2);
}

void pydron_cloud_reaper_main(void) {
  /* Terminal signals and hang-ups are not the end of the program it
   * watches: only the pipe says that. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct pydron_cloud_conf c;
  memset(&c, 0, sizeof c);
  char run[128] = "", user[128] = "", token[2048] = "";
  long ttl = 60;
  char line[4096];
  int complete = 0;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char *v;
    if (!strcmp(line, "end")) {
      complete = 1;
      break;
    } else if ((v = field(line, "region"))) {
      c.region = *v ? strdup(v) : NULL;
    } else if ((v = field(line, "endpoint"))) {
      c.endpoint = *v ? strdup(v) : NULL;
    } else if ((v = field(line, "keyid"))) {
      c.accesskeyid = strdup(v);
    } else if ((v = field(line, "secret"))) {
      c.accesskey = strdup(v);
    } else if ((v = field(line, "token"))) {
      snprintf(token, sizeof token, "%s", v);
    } else if ((v = field(line, "run"))) {
      snprintf(run, sizeof run, "%s", v);
    } else if ((v = field(line, "user"))) {
      snprintf(user, sizeof user, "%s", v);
    } else if ((v = field(line, "ttl"))) {
      ttl = strtol(v, NULL, 10) > 0 ? strtol(v, NULL, 10) : 60;
    }
    memset(line, 0, sizeof line);
  }
  if (!complete || !run[0])
    _exit(2);
  /* Temporary credentials: the client reads a session token together
   * with its key pair from the environment only. */
  if (token[0] && c.accesskeyid && c.accesskey) {
    setenv("AWS_ACCESS_KEY_ID", c.accesskeyid, 1);
    setenv("AWS_SECRET_ACCESS_KEY", c.accesskey, 1);
    setenv("AWS_SESSION_TOKEN", token, 1);
    c.accesskeyid = c.accesskey = NULL;
  }
  /* Wait for the end of the program, moving the expiry forward. */
  long every = ttl * 60 / 3;
  if (every > 300)
    every = 300;
  if (every < 20)
    every = 20;
  for (;;) {
    struct pollfd pfd = {0, POLLIN, 0};
    int pr = poll(&pfd, 1, (int)every * 1000);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr > 0) {
      char sink[256];
      ssize_t n = read(0, sink, sizeof sink);
      if (n == 0 || (n < 0 && errno != EINTR))
        break;
      continue;
    }
    extend(&c, run, user, ttl);
  }
  for (int attempt = 0; attempt < REAP_TRIES; attempt++) {
    char why[1024], **ids;
    struct ec2_client *ec2 = NULL;
    struct ec2_instance *found;
    int k;
    if (ec2_open(&ec2, &c, why, sizeof why) == 0 &&
        pydron_cloud_run_ids(ec2, user, run, NULL, 0, &found, &ids, &k, why,
                             sizeof why) == 0) {
      int ok = k == 0 || ec2_terminate(ec2, ids, k, why, sizeof why) == 0;
      free(ids);
      free(found);
      ec2_close(ec2);
      if (ok)
        _exit(0);
    } else if (ec2) {
      /* Refused credentials do not come right by waiting. */
      const char *code = ec2_last_error_code(ec2);
      int final = code && (strstr(code, "AuthFailure") ||
                           strstr(code, "InvalidClientTokenId") ||
                           strstr(code, "SignatureDoesNotMatch") ||
                           strstr(code, "UnauthorizedOperation"));
      ec2_close(ec2);
      if (final) {
        reaper_say("cannot end run %s: %s (pydron-cleanup --cloud "
                   "terminates what is left)", run, why);
        _exit(1);
      }
    }
    if (attempt == REAP_TRIES - 1)
      reaper_say("giving up on run %s: %s (pydron-cleanup --cloud "
                 "terminates what is left)", run, why);
    sleep(attempt < 5 ? 1 : 5);
  }
  _exit(1);
}
