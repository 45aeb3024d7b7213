/* cloud.c - EC2 instances as workers: started when the first loop needs
 * workers, used over SSH, terminated however the program ends.
 *
 * A {"type": "cloud"} entry with "count": N gives N worker slots. When the
 * workers start (remote.c), a launcher thread per entry, in the
 * background while loops run on local threads:
 *  1. makes the keys: a host key for the instances (so that the master can
 *     check their SSH host key strictly, against the one it injected) and,
 *     unless the entry names a key pair, a login key for this run;
 *  2. starts the reaper: this very program in reaper mode
 *     (cloud_reaper.c), which gets the credentials and the run id over a
 *     pipe (never argv or the environment) and, when the pipe ends (this
 *     process exited, crashed or was killed), terminates every instance
 *     tagged with the run id; it starts before RunInstances, so that a
 *     launch that fails half-way leaves nothing either;
 *  3. RunInstances: N instances with the user data (cloud_userdata.c: the
 *     keys, and a watchdog that shuts an instance down, terminating it,
 *     after "ttl_minutes" without a Pydron worker), tagged with run id,
 *     user and expiry, terminated on shutdown;
 *  4. DescribeInstances until each runs with an address (time-limited);
 *  5. starts each slot as an SSH worker to its instance (strict host key
 *     check against the injected key, retried while sshd is not up yet).
 * A slot that cannot be started is given up with a message; the run goes
 * on with the others. A slot given up once its instance runs (it cannot
 * be started, or no restart is left) has that instance terminated at once
 * (pydron_cloud_release): it would cost money and serve nobody. */
#include "cloud.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cloud_keys.h"
#include "cloud_userdata.h"
#include "ec2.h"
#include "pool.h"
#include "remote.h"

#define WAIT_RUNNING_S 600 /* instances that take longer are given up */
#define WAIT_SSH_S 180     /* sshd not answering yet after "running" */

extern char **environ;

struct cloud_group {
  struct remote_set *set;
  const struct pydron_worker_conf *e;
  struct remote_worker **slots;
  int count;
  char run[40];
  char user[64];
  int reaper_fd; /* write end of the reaper's pipe; kept open until exit */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  flockfile(stderr);
  fputs("pydron: cloud: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  funlockfile(stderr);
  va_end(ap);
}

static void local_user(char *out, size_t cap) {
  struct passwd *pw = getpwuid(getuid());
  snprintf(out, cap, "%s", pw && pw->pw_name ? pw->pw_name : "unknown");
}

static void new_run_id(char *out, size_t cap) {
  unsigned char r[6] = {0};
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, r, sizeof r) != (ssize_t)sizeof r)
      memset(r, 0, sizeof r);
    close(fd);
  }
  snprintf(out, cap, "pydron-%lx-%02x%02x%02x%02x%02x%02x",
           (unsigned long)time(NULL), r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* Writes all of s to fd. 0 or -1. */
static int put(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Starts the reaper (cloud_reaper.c) and hands it what it needs. */
static int start_reaper(struct cloud_group *g, char *why, size_t why_len) {
  const struct pydron_cloud_conf *c = &g->e->u.cloud;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    snprintf(why, why_len, "cannot start the reaper: pipe: %s",
             strerror(errno));
    return -1;
  }
  size_t n = 0;
  while (environ && environ[n])
    n++;
  char **envp = calloc(n + 2, sizeof *envp);
  if (!envp) {
    close(p[0]);
    close(p[1]);
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "PYDRON_", 7) != 0 &&
        strncmp(environ[i], "AWS_", 4) != 0)
      envp[k++] = environ[i];
  envp[k++] = "PYDRON_REAPER=1";
  envp[k] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, p[0], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  /* Its own session: Ctrl-C at the terminal must not reach it. */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  char *argv[] = {"pydron-reaper", NULL};
  pid_t pid;
  int err = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(envp);
  close(p[0]);
  if (err) {
    close(p[1]);
    snprintf(why, why_len, "cannot start the reaper: %s", strerror(err));
    return -1;
  }
  /* The reaper reads the rest from the pipe. Secrets travel only here. */
  const char *id = c->accesskeyid ? c->accesskeyid : getenv("AWS_ACCESS_KEY_ID");
  const char *key = c->accesskey ? c->accesskey : getenv("AWS_SECRET_ACCESS_KEY");
  const char *tok = c->accesskeyid ? NULL : getenv("AWS_SESSION_TOKEN");
  char line[512];
  int bad = 0;
  bad |= put(p[1], "region=") || put(p[1], c->region ? c->region : "") ||
         put(p[1], "\n");
  bad |= put(p[1], "endpoint=") ||
         put(p[1], c->endpoint ? c->endpoint : "") || put(p[1], "\n");
  bad |= put(p[1], "keyid=") || put(p[1], id ? id : "") || put(p[1], "\n");
  bad |= put(p[1], "secret=") || put(p[1], key ? key : "") || put(p[1], "\n");
  bad |= put(p[1], "token=") || put(p[1], tok ? tok : "") || put(p[1], "\n");
  snprintf(line, sizeof line, "run=%s\nuser=%s\nttl=%d\nend\n", g->run,
           g->user, c->ttl_minutes);
  bad |= put(p[1], line);
  if (bad) {
    close(p[1]);
    snprintf(why, why_len, "cannot start the reaper: it did not take its "
             "instructions");
    return -1;
  }
  g->reaper_fd = p[1]; /* closed by the kernel when this process ends */
  return 0;
}

/* The address to reach instance i at. */
static const char *address_of(const struct pydron_cloud_conf *c,
                              const struct ec2_instance *i) {
  if (c->public_ip && i->public_ip[0])
    return i->public_ip;
  return i->private_ip[0] ? i->private_ip : i->public_ip;
}

int pydron_cloud_run_ids(struct ec2_client *ec2, const char *user,
                         const char *run, char **keep, int nkeep,
                         struct ec2_instance **found, char ***ids, int *n,
                         char *why, size_t why_len) {
  int nfound = 0;
  *found = NULL;
  *ids = NULL;
  *n = 0;
  if (ec2_find(ec2, user, found, &nfound, why, why_len) != 0)
    return -1;
  *ids = calloc((size_t)nfound + 1, sizeof **ids);
  if (!*ids) {
    free(*found);
    *found = NULL;
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  for (int i = 0; i < nfound; i++) {
    int kept = 0;
    for (int j = 0; j < nkeep; j++)
      kept |= !strcmp((*found)[i].id, keep[j]);
    if (!kept && !strcmp((*found)[i].run, run))
      (*ids)[(*n)++] = (*found)[i].id;
  }
  return 0;
}

/* Terminates the run's instances but `keep` (what a failed launch, or a
 * failed attempt of a retried one, started; the reaper would at exit). */
static void terminate_run(struct ec2_client *ec2, struct cloud_group *g,
                          char **keep, int nkeep) {
  struct ec2_instance *found;
  char **ids, why[512];
  int k;
  if (pydron_cloud_run_ids(ec2, g->user, g->run, keep, nkeep, &found, &ids,
                           &k, why, sizeof why) != 0)
    return;
  if (k && ec2_terminate(ec2, ids, k, why, sizeof why) == 0)
    say("terminated %d instance%s a failed launch had started", k,
        k == 1 ? "" : "s");
  free(ids);
  free(found);
}

static void give_up_all(struct cloud_group *g, const char *why) {
  for (int i = 0; i < g->count; i++)
    pydron_remote_give_up(g->set, g->slots[i], why);
}

/* The SSH settings of the slot for instance `inst`. */
static struct pydron_ssh_conf *ssh_conf_for(struct cloud_group *g,
                                            const char *addr,
                                            const char *known_hosts,
                                            const char *private_text) {
  const struct pydron_cloud_conf *c = &g->e->u.cloud;
  struct pydron_ssh_conf *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->hostname = strdup(addr);
  s->port = 22;
  s->username = strdup(c->username);
  s->tmp_dir = strdup(c->tmp_dir ? c->tmp_dir : "/tmp");
  s->cores = c->cores;
  s->host_key_check = PYDRON_HOST_KEY_STRICT;
  s->known_hosts = strdup(known_hosts);
  s->keep_cache = 1;
  if (c->privatekey) {
    s->privatekeys.items = calloc(1, sizeof *s->privatekeys.items);
    if (s->privatekeys.items) {
      s->privatekeys.items[0] = strdup(c->privatekey);
      s->privatekeys.count = 1;
    }
    s->publickey = c->publickey ? strdup(c->publickey) : NULL;
  } else {
    s->private_keys.items = calloc(1, sizeof *s->private_keys.items);
    if (s->private_keys.items) {
      s->private_keys.items[0] = strdup(private_text);
      s->private_keys.count = 1;
    }
  }
  return s;
}

/* Reads a public key file's first line ("~/" is the home directory, as
 * for the other key paths of pydron.conf). */
static char *read_line_file(const char *path) {
  char full[4096];
  const char *home = getenv("HOME");
  if (path[0] == '~' && path[1] == '/' && home) {
    snprintf(full, sizeof full, "%s%s", home, path + 1);
    path = full;
  }
  FILE *f = fopen(path, "re");
  if (!f)
    return NULL;
  char buf[8192];
  char *r = fgets(buf, sizeof buf, f) ? strdup(buf) : NULL;
  fclose(f);
  if (r)
    r[strcspn(r, "\r\n")] = 0;
  return r;
}

/* The known_hosts directory of this process's launch (one cloud entry at
 * most has one; a second would reuse the variable after the first's
 * removal at exit, harmless). */
static char known_dir[512];
static int known_made;

static void remove_known_dir(void) {
  char path[600];
  if (!known_made)
    return;
  snprintf(path, sizeof path, "%s/known_hosts", known_dir);
  unlink(path);
  rmdir(known_dir);
}

struct slot_start {
  struct cloud_group *g;
  struct remote_worker *w;
};

/* Starts one slot's worker, retrying while its sshd does not answer yet;
 * a host key that does not match is never retried. */
static void *slot_start_main(void *arg) {
  struct slot_start *ss = arg;
  struct remote_worker *w = ss->w;
  struct remote_set *set = ss->g->set;
  free(ss);
  char why[1024];
  time_t until = time(NULL) + WAIT_SSH_S;
  int r;
  while ((r = pydron_remote_start_slot(set, w, why, sizeof why)) == -1 &&
         time(NULL) < until && !strstr(why, "host key")) {
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
  }
  if (r == 0)
    say("%s runs, with %d thread%s", w->label, w->threads,
        w->threads == 1 ? "" : "s");
  else
    pydron_remote_give_up(set, w, why);
  return NULL;
}

static void *launcher_main(void *arg) {
  struct cloud_group *g = arg;
  const struct pydron_cloud_conf *c = &g->e->u.cloud;
  char why[1024];
  struct ec2_client *ec2 = NULL;
  char *host_priv = NULL, *host_pub = NULL, *user_priv = NULL,
       *user_pub = NULL, *userdata = NULL;
  char **ids = NULL;
  int nids = 0;

  if (ec2_open(&ec2, c, why, sizeof why) != 0) {
    give_up_all(g, why);
    goto out;
  }
  if (cloud_keypair(&host_priv, &host_pub, "pydron-host", why, sizeof why) !=
      0) {
    give_up_all(g, why);
    goto out;
  }
  if (c->publickey) {
    user_pub = read_line_file(c->publickey);
    if (!user_pub) {
      snprintf(why, sizeof why, "cannot read the public key %s: %s",
               c->publickey, strerror(errno));
      give_up_all(g, why);
      goto out;
    }
  } else if (cloud_keypair(&user_priv, &user_pub, g->run, why, sizeof why) !=
             0) {
    give_up_all(g, why);
    goto out;
  }
  userdata = cloud_userdata(c->username, host_priv, host_pub, user_pub,
                            c->ttl_minutes);
  if (!userdata) {
    give_up_all(g, "cannot make the instances' user data: the public key "
                   "must be one line of an OpenSSH public key file");
    goto out;
  }
  if (start_reaper(g, why, sizeof why) != 0) {
    give_up_all(g, why);
    goto out;
  }
  struct ec2_launch l = {
      .image = c->imageid,
      .type = c->sizeid,
      .client_token = g->run,
      .user_data = userdata,
      .security_group = c->security_group,
      .subnet = c->subnet,
      .count = g->count,
      .public_ip = c->public_ip,
      .tag_run = g->run,
      .tag_user = g->user,
      .tag_expiry = (long long)time(NULL) + 60LL * c->ttl_minutes,
  };
  say("starting %d %s instance%s of %s in %s (run %s); loops run here "
      "meanwhile", g->count, c->sizeid, g->count == 1 ? "" : "s",
      c->imageid, c->region ? c->region : "?", g->run);
  if (ec2_run_instances(ec2, &l, &ids, &nids, why, sizeof why) != 0) {
    terminate_run(ec2, g, NULL, 0);
    give_up_all(g, why);
    goto out;
  }
  /* A retried RunInstances may have left the instances of a failed
   * attempt behind: they cost money and serve nobody. */
  terminate_run(ec2, g, ids, nids);

  /* Until every instance runs with an address. */
  struct ec2_instance *inst = NULL;
  int ninst = 0, ready = 0;
  time_t deadline = time(NULL) + WAIT_RUNNING_S;
  unsigned nap_ms = 500;
  while (!ready && time(NULL) < deadline) {
    free(inst);
    inst = NULL;
    if (ec2_describe(ec2, ids, nids, &inst, &ninst, why, sizeof why) != 0) {
      /* New ids may not be known yet everywhere (EC2 is eventually
       * consistent): ask again quietly. */
      const char *code = ec2_last_error_code(ec2);
      if (!code || strcmp(code, "InvalidInstanceID.NotFound") != 0)
        say("%s; asking again", strncmp(why, "cloud: ", 7) ? why : why + 7);
    } else {
      ready = ninst == nids;
      for (int i = 0; ready && i < ninst; i++)
        ready = !strcmp(inst[i].state, "running") &&
                address_of(c, &inst[i])[0];
      for (int i = 0; i < ninst; i++)
        if (!strcmp(inst[i].state, "terminated") ||
            !strcmp(inst[i].state, "shutting-down")) {
          snprintf(why, sizeof why, "instance %s is %s before it ran",
                   inst[i].id, inst[i].state);
          ready = -1;
        }
    }
    if (ready < 0)
      break;
    if (!ready) {
      struct timespec ts = {nap_ms / 1000, (long)(nap_ms % 1000) * 1000000};
      nanosleep(&ts, NULL);
      if (nap_ms < 5000)
        nap_ms *= 2;
    }
  }
  if (ready != 1) {
    if (ready == 0)
      snprintf(why, sizeof why, "the instances did not run within %d s",
               WAIT_RUNNING_S);
    char ignore[256];
    ec2_terminate(ec2, ids, nids, ignore, sizeof ignore);
    give_up_all(g, why);
    free(inst);
    goto out;
  }

  /* known_hosts: the injected host key for every address; removed when
   * the program ends (restarts during the run still need it). */
  const char *tmp = getenv("TMPDIR");
  char *dir = known_dir;
  snprintf(known_dir, sizeof known_dir, "%s/pydron-cloud-XXXXXX",
           tmp && *tmp == '/' ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    snprintf(why, sizeof why, "cannot create a directory for known_hosts: "
             "%s", strerror(errno));
    give_up_all(g, why);
    free(inst);
    goto out;
  }
  known_made = 1;
  atexit(remove_known_dir);
  char known[sizeof known_dir + 16];
  snprintf(known, sizeof known, "%s/known_hosts", dir);
  FILE *kh = fopen(known, "we");
  for (int i = 0; kh && i < ninst; i++)
    fprintf(kh, "%s %s\n", address_of(c, &inst[i]), host_pub);
  if (kh)
    fclose(kh);
  /* Every instance's worker starts on a thread of its own: deployment is
   * a few round trips and uploads per host. */
  for (int i = 0; i < ninst && i < g->count; i++) {
    struct remote_worker *w = g->slots[i];
    const char *addr = address_of(c, &inst[i]);
    w->cloud_ssh = ssh_conf_for(g, addr, known, user_priv);
    struct slot_start *ss = w->cloud_ssh ? calloc(1, sizeof *ss) : NULL;
    if (!ss) {
      pydron_remote_give_up(g->set, w, "out of memory");
      continue;
    }
    snprintf(w->label, sizeof w->label, "cloud worker %d (%s at %s)",
             w->index, inst[i].id, addr);
    snprintf(w->cloud_instance, sizeof w->cloud_instance, "%s", inst[i].id);
    ss->g = g;
    ss->w = w;
    if (pydron_start_detached(slot_start_main, ss, NULL) != 0) {
      free(ss);
      pydron_remote_give_up(g->set, w, "cannot start a thread");
    }
  }
  free(inst);

out:
  if (ec2)
    ec2_close(ec2);
  cloud_key_free(host_priv);
  cloud_key_free(user_priv);
  free(host_pub);
  free(user_pub);
  free(userdata);
  ec2_free_ids(ids, nids);
  free(g->slots);
  /* g (and the reaper's pipe) live as long as the process. */
  return NULL;
}

struct release {
  const struct pydron_cloud_conf *c;
  char id[32];
  char label[160];
};

static void *release_main(void *arg) {
  struct release *r = arg;
  struct ec2_client *ec2 = NULL;
  char why[512];
  char *ids[1] = {r->id};
  if (ec2_open(&ec2, r->c, why, sizeof why) == 0 &&
      ec2_terminate(ec2, ids, 1, why, sizeof why) == 0)
    say("terminated %s now: %s is given up", r->id, r->label);
  else
    say("cannot terminate %s now (%s); it is terminated when the program "
        "ends", r->id, strncmp(why, "cloud: ", 7) ? why : why + 7);
  ec2_close(ec2);
  free(r);
  return NULL;
}

void pydron_cloud_release(struct remote_worker *w) {
  if (!w->cloud_instance[0])
    return; /* no instance yet: the launcher's failure handles them */
  struct release *r = calloc(1, sizeof *r);
  if (!r)
    return; /* the reaper terminates it at exit */
  r->c = &w->conf->u.cloud;
  snprintf(r->id, sizeof r->id, "%s", w->cloud_instance);
  snprintf(r->label, sizeof r->label, "%s", w->label);
  if (pydron_start_detached(release_main, r, NULL) != 0)
    free(r);
}

int pydron_cloud_launch(struct remote_set *set,
                        const struct pydron_worker_conf *e,
                        struct remote_worker **slots, int count, char *why,
                        size_t why_len) {
  struct cloud_group *g = calloc(1, sizeof *g);
  if (!g || !(g->slots = calloc((size_t)count, sizeof *g->slots))) {
    free(g);
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  g->set = set;
  g->e = e;
  g->count = count;
  g->reaper_fd = -1;
  memcpy(g->slots, slots, (size_t)count * sizeof *slots);
  new_run_id(g->run, sizeof g->run);
  local_user(g->user, sizeof g->user);
  if (pydron_start_detached(launcher_main, g, NULL) != 0) {
    free(g->slots);
    free(g);
    snprintf(why, why_len, "cannot start the cloud launcher thread");
    return -1;
  }
  return 0;
}
