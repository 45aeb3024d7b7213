/* pydron-cleanup - ends what Pydron runs left behind on SSH worker hosts.
 *
 * Normally nothing is left: workers exit at end of stdin or when their
 * lease expires, and the master removes its run directory. A master that
 * was killed, or lost its connection, leaves run directories (and, until
 * their lease ends, workers) under <tmp_dir>/pydron-<user>/ on the host.
 * For each "ssh" entry of pydron.conf this tool logs in as that entry's
 * user (the runtime's own ssh code: same host-key checks, same auth),
 * lists that user's run directories and worker processes, and ends the
 * leftovers.
 *
 * A run is left over when its master is gone. Each run directory holds a
 * "master" file (host, pid, process start time, boot id):
 *  - master on this machine: alive when /proc/<pid>/stat shows the same
 *    start time and the boot id matches (a reused pid is not the master);
 *  - master elsewhere: we cannot look, so the run is left over only when
 *    no worker process of it runs and its directory is older than the
 *    lease ("faults": {"lease_seconds"}).
 * Only this user's processes (owner checked by the remote shell, [ -O ])
 * whose command line runs from the run directory are killed, and only
 * inside this user's checked <tmp_dir>/pydron-<user>/ is anything
 * removed. Live runs are never touched. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cloud_cleanup.h"
#include "config.h"
#include "ssh_conn.h"
#include "ssh_deploy.h"

#ifndef PYDRON_VERSION
#define PYDRON_VERSION "unknown"
#endif

#define MAX_RUNS 4096
#define MAX_PROCS 4096

static void usage(FILE *fp) {
  fprintf(fp,
          "usage: pydron-cleanup [--conf FILE] [--list | --dry-run] [--cache] "
          "[--cloud]\n"
          "       pydron-cleanup --help | --version\n"
          "Ends leftover Pydron workers and removes leftover run directories "
          "of this\nuser on the SSH hosts of pydron.conf.\n"
          "\n"
          "  --conf FILE   use FILE (default: $PYDRON_CONF, ./pydron.conf, "
          "~/pydron.conf,\n"
          "                /etc/pydron.conf, as programs do)\n"
          "  --list        show every run directory and worker, with its "
          "state; change nothing\n"
          "  --dry-run     say what would be done; change nothing\n"
          "  --cache       also delete the shipped-program cache (when no "
          "live run uses it)\n"
          "  --cloud       also terminate this user's expired Pydron instances "
          "on the\n                EC2 endpoints of the cloud entries\n"
          "  --help        this text\n"
          "  --version     the version\n"
          "\n"
          "A run is left over when its master process is gone (checked "
          "directly when the\nmaster ran on this machine; otherwise when "
          "none of its workers runs and its\ndirectory is older than the "
          "lease). Live runs and other users' processes and\nfiles are "
          "never touched.\n"
          "\n"
          "Exit status: 0 done (also when there was nothing to do), 1 a host "
          "could not be\ncleaned (connection, login or command failed), 2 "
          "bad usage or configuration.\n");
}

struct run {
  char name[256];
  long long mtime;
  char host[128];
  long pid;
  unsigned long long start;
  char boot[64];
  int has_master;
  int procs; /* live worker processes */
  int leftover;
  const char *why; /* the verdict, for --list */
};

struct proc {
  long pid;
  char run[256];
};

struct survey {
  struct run runs[MAX_RUNS];
  int nruns;
  struct proc procs[MAX_PROCS];
  int nprocs;
};

static int mode_list, mode_dry, mode_cache, mode_cloud;

/* ---- the local side ---------------------------------------------------- */

static void local_boot_id(char *out, size_t cap) {
  out[0] = 0;
  FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
  if (f) {
    if (fgets(out, (int)cap, f))
      out[strcspn(out, "\n")] = 0;
    fclose(f);
  }
}

/* Start time (field 22) of a local process, 0 when it does not exist. */
static unsigned long long local_start_time(long pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  for (int field = 2; p && *p && field < 22; field++)
    p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* run-<host>-<pid>-<random>: host may not contain '-' (ssh_deploy.c). */
static void parse_run_name(struct run *r) {
  const char *s = r->name + 4;
  const char *d1 = strchr(s, '-');
  if (!d1)
    return;
  snprintf(r->host, sizeof r->host, "%.*s", (int)(d1 - s), s);
  r->pid = strtol(d1 + 1, NULL, 10);
}

static void judge(struct run *r, int lease_s) {
  char me[128], boot[64];
  ssh_deploy_hostname(me, sizeof me);
  local_boot_id(boot, sizeof boot);
  if (strcmp(r->host, me) == 0 && r->pid > 0) {
    unsigned long long st = local_start_time(r->pid);
    int alive = st != 0 && (!r->has_master ||
                            (st == r->start && strcmp(r->boot, boot) == 0));
    r->leftover = !alive;
    r->why = alive ? "its master runs on this machine"
                   : "its master (on this machine) is gone";
    return;
  }
  long long age = (long long)time(NULL) - r->mtime;
  if (r->procs) {
    r->leftover = 0;
    r->why = "its master runs elsewhere and its worker runs: taken as live";
  } else if (age <= lease_s) {
    r->leftover = 0;
    r->why = "its master runs elsewhere; too recent to judge";
  } else {
    r->leftover = 1;
    r->why = "its master runs elsewhere; no worker runs and it is older "
             "than the lease";
  }
}

/* ---- the remote side ----------------------------------------------------- */

/* One command lists the run directories (with their master files) and
 * this user's processes that run from one. The base path is held in a
 * variable, so the script's own command line does not contain
 * "<base>/run-" and the shell does not find itself. */
static int survey(struct ssh_conn *c, const struct ssh_deploy *d,
                  struct survey *sv, char *why, size_t why_len) {
  struct ssh_str s = {0};
  ssh_str_add(&s, "b=");
  ssh_str_quote(&s, d->base);
  ssh_str_add(
      &s,
      "\ncd -- \"$b\" || exit 90\n"
      "for r in run-*; do\n"
      "  [ -d \"$r\" ] && [ ! -L \"$r\" ] || continue\n"
      "  printf 'RUN %s %s\\n' \"$(stat -c %Y -- \"$r\")\" \"$r\"\n"
      "  [ -f \"$r/master\" ] && sed 's/^/M /' \"$r/master\"\n"
      "done\n"
      "for p in /proc/[0-9]*; do\n"
      "  [ -O \"$p\" ] || continue\n"
      "  a=$(tr '\\0' ' ' < \"$p/cmdline\" 2>/dev/null) || continue\n"
      "  case \"$a\" in *\"$b/run-\"*) printf 'PROC %s %s\\n' \"${p#/proc/}\" "
      "\"$a\";; esac\n"
      "done\n"
      "exit 0\n");
  char *out = NULL;
  int st = -1;
  int r = ssh_conn_run(c, &s, &out, &st, why, why_len);
  if (r != 0)
    return -1;
  if (st != 0) {
    char err[256];
    snprintf(err, sizeof err, "%s", why);
    snprintf(why, why_len, "listing %s failed (status %d): %s", d->base, st,
             err);
    free(out);
    return -1;
  }
  char prefix[PATH_MAX + 8];
  snprintf(prefix, sizeof prefix, "%s/", d->base);
  struct run *cur = NULL;
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    if (!strncmp(line, "RUN ", 4) && sv->nruns < MAX_RUNS) {
      cur = &sv->runs[sv->nruns++];
      memset(cur, 0, sizeof *cur);
      char *sp = strchr(line + 4, ' ');
      if (!sp) {
        sv->nruns--;
        cur = NULL;
        continue;
      }
      cur->mtime = strtoll(line + 4, NULL, 10);
      snprintf(cur->name, sizeof cur->name, "%s", sp + 1);
      parse_run_name(cur);
    } else if (!strncmp(line, "M ", 2) && cur) {
      char *v = line + 2;
      cur->has_master = 1;
      if (!strncmp(v, "host=", 5))
        snprintf(cur->host, sizeof cur->host, "%s", v + 5);
      else if (!strncmp(v, "pid=", 4))
        cur->pid = strtol(v + 4, NULL, 10);
      else if (!strncmp(v, "start=", 6))
        cur->start = strtoull(v + 6, NULL, 10);
      else if (!strncmp(v, "boot=", 5))
        snprintf(cur->boot, sizeof cur->boot, "%s", v + 5);
    } else if (!strncmp(line, "PROC ", 5) && sv->nprocs < MAX_PROCS) {
      struct proc *p = &sv->procs[sv->nprocs];
      p->pid = strtol(line + 5, NULL, 10);
      char *at = strstr(line, prefix);
      if (p->pid <= 0 || !at)
        continue;
      at += strlen(prefix);
      size_t n = strcspn(at, "/ ");
      snprintf(p->run, sizeof p->run, "%.*s", (int)n, at);
      sv->nprocs++;
    }
  }
  free(out);
  for (int i = 0; i < sv->nprocs; i++)
    for (int k = 0; k < sv->nruns; k++)
      if (!strcmp(sv->procs[i].run, sv->runs[k].name))
        sv->runs[k].procs++;
  return 0;
}

/* Kills and removes what `sv` marks as left over, in one command; prints
 * what it did. */
static int act(struct ssh_conn *c, const struct ssh_deploy *d,
               const struct survey *sv, int live, char *why, size_t why_len) {
  struct ssh_str s = {0};
  int n = 0;
  ssh_str_add(&s, "cd -- ");
  ssh_str_quote(&s, d->base);
  ssh_str_add(&s, " || exit 90\n");
  for (int k = 0; k < sv->nruns; k++) {
    const struct run *r = &sv->runs[k];
    if (!r->leftover)
      continue;
    char marker[PATH_MAX + 300];
    snprintf(marker, sizeof marker, "%s/%s/", d->base, r->name);
    for (int i = 0; i < sv->nprocs; i++) {
      if (strcmp(sv->procs[i].run, r->name) != 0)
        continue;
      /* Still ours and still from that run directory (pids are reused). */
      ssh_str_addf(&s, "[ -O /proc/%ld ] && grep -qaF -- ", sv->procs[i].pid);
      ssh_str_quote(&s, marker);
      ssh_str_addf(&s,
                   " /proc/%ld/cmdline 2>/dev/null && kill -KILL %ld && "
                   "echo 'ended worker pid %ld (run %s)'\n",
                   sv->procs[i].pid, sv->procs[i].pid, sv->procs[i].pid,
                   r->name);
      n++;
    }
    ssh_str_add(&s, "rm -rf -- ");
    ssh_str_quote(&s, r->name);
    ssh_str_addf(&s, " && echo 'removed %s'\n", r->name);
    n++;
  }
  if (mode_cache) {
    if (live) {
      printf("%s: cache kept: %d live run%s use%s it\n", c->host, live,
             live == 1 ? "" : "s", live == 1 ? "s" : "");
    } else {
      ssh_str_add(&s, "rm -rf -- cache && echo 'removed the cache'\n");
      ssh_str_add(&s, "cd / && rmdir -- ");
      ssh_str_quote(&s, d->base);
      ssh_str_add(&s, " 2>/dev/null\n");
      n++;
    }
  }
  ssh_str_add(&s, "exit 0\n");
  if (!n) {
    ssh_str_free(&s);
    printf("%s: nothing to clean\n", c->host);
    return 0;
  }
  if (mode_dry) {
    printf("%s: would run:\n%s", c->host, s.p);
    ssh_str_free(&s);
    return 0;
  }
  char *out = NULL;
  int st = -1;
  int r = ssh_conn_run(c, &s, &out, &st, why, why_len);
  if (r != 0)
    return -1;
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
    printf("%s: %s\n", c->host, line);
  free(out);
  if (st != 0) {
    char err[256];
    snprintf(err, sizeof err, "%s", why);
    snprintf(why, why_len, "cleaning %s failed (status %d): %s", d->base, st,
             err);
    return -1;
  }
  return 0;
}

static int clean_host(const struct pydron_ssh_conf *conf, int lease_s) {
  struct ssh_conn c;
  struct ssh_deploy d;
  char why[2048];
  memset(&d, 0, sizeof d);
  if (ssh_conn_open(&c, conf, 20000, why, sizeof why) != 0) {
    fprintf(stderr, "pydron-cleanup: %s\n", why);
    return -1;
  }
  int rc = -1;
  struct survey *sv = NULL;
  int r = ssh_deploy_open_base(&c, &d, 0, why, sizeof why);
  if (r < 0)
    goto fail;
  if (r == 0) {
    printf("%s: nothing to clean (no %s/pydron-%s)\n", c.host,
           conf->tmp_dir ? conf->tmp_dir : "/tmp", c.user);
    rc = 0;
    goto out;
  }
  sv = calloc(1, sizeof *sv);
  if (!sv) {
    snprintf(why, sizeof why, "out of memory");
    goto fail;
  }
  if (survey(&c, &d, sv, why, sizeof why) != 0)
    goto fail;
  int live = 0;
  for (int k = 0; k < sv->nruns; k++) {
    judge(&sv->runs[k], lease_s);
    live += !sv->runs[k].leftover;
  }
  if (mode_list) {
    printf("%s (%s): %d run director%s in %s\n", c.host, c.label, sv->nruns,
           sv->nruns == 1 ? "y" : "ies", d.base);
    for (int k = 0; k < sv->nruns; k++) {
      const struct run *x = &sv->runs[k];
      printf("  %s  %s: %s\n", x->name, x->leftover ? "LEFTOVER" : "live",
             x->why);
      for (int i = 0; i < sv->nprocs; i++)
        if (!strcmp(sv->procs[i].run, x->name))
          printf("    worker pid %ld\n", sv->procs[i].pid);
    }
    for (int i = 0; i < sv->nprocs; i++) {
      int known = 0;
      for (int k = 0; k < sv->nruns; k++)
        known |= !strcmp(sv->procs[i].run, sv->runs[k].name);
      if (!known)
        printf("  worker pid %ld runs from %s, which is gone\n",
               sv->procs[i].pid, sv->procs[i].run);
    }
    rc = 0;
    goto out;
  }
  if (act(&c, &d, sv, live, why, sizeof why) != 0)
    goto fail;
  rc = 0;
  goto out;
fail:
  fprintf(stderr, "pydron-cleanup: %s: %s\n", c.label, why);
out:
  free(sv);
  ssh_conn_close(&c);
  return rc;
}

int main(int argc, char **argv) {
  const char *conf_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--version")) {
      printf("pydron-cleanup %s (Pydron for C)\n", PYDRON_VERSION);
      return 0;
    } else if (!strcmp(argv[i], "--list")) {
      mode_list = 1;
    } else if (!strcmp(argv[i], "--dry-run")) {
      mode_dry = 1;
    } else if (!strcmp(argv[i], "--cache")) {
      mode_cache = 1;
    } else if (!strcmp(argv[i], "--cloud")) {
      mode_cloud = 1;
    } else if (!strcmp(argv[i], "--conf") && i + 1 < argc) {
      conf_file = argv[++i];
    } else {
      fprintf(stderr, "pydron-cleanup: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  struct pydron_config cfg;
  struct pydron_config_error err;
  memset(&cfg, 0, sizeof cfg);
  int r = conf_file ? pydron_config_parse_file(conf_file, &cfg, &err)
                    : pydron_config_load(&cfg, &err);
  /* A file naming workers this version cannot run is still a list of
   * hosts to clean. */
  if (r != 0 && err.kind != PYDRON_CONFIG_ERR_NOT_AVAILABLE) {
    fprintf(stderr, "pydron-cleanup: %s\n", err.text);
    pydron_config_free(&cfg);
    return 2;
  }
  int lease_s = cfg.faults.lease_seconds > 0
                    ? cfg.faults.lease_seconds
                    : PYDRON_FAULTS_DEFAULT_LEASE_SECONDS;
  int hosts = 0, failed = 0;
  for (size_t i = 0; i < cfg.nworkers; i++) {
    if (cfg.workers[i].type != PYDRON_WORKER_SSH)
      continue;
    hosts++;
    if (clean_host(&cfg.workers[i].u.ssh, lease_s) != 0)
      failed++;
  }
  int clouds = 0;
  for (size_t i = 0; mode_cloud && i < cfg.nworkers; i++) {
    if (cfg.workers[i].type != PYDRON_WORKER_CLOUD)
      continue;
    clouds++;
    if (pydron_cleanup_cloud(&cfg.workers[i].u.cloud, mode_list, mode_dry) !=
        0)
      failed++;
  }
  if (!hosts && !clouds)
    printf("pydron-cleanup: %s names no %s: nothing to do\n",
           cfg.file ? cfg.file : "the configuration",
           mode_cloud ? "ssh or cloud workers" : "ssh workers");
  pydron_config_free(&cfg);
  return failed ? 1 : 0;
}
