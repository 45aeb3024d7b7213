/* ssh_deploy.h - "remote hosts need nothing installed": ships this very
 * program (the executable, every shared object it loaded, and the dynamic
 * loader) to a worker host and says how to start it there.
 *
 * Remote layout, all private to the remote user:
 *
 *   <tmp_dir>/pydron-<user>/                    0700, ours, not a symlink
 *   <tmp_dir>/pydron-<user>/cache/              0700, ours, not a symlink
 *     <sha256>-<basename>                       0700 regular files
 *   <tmp_dir>/pydron-<user>/run-<host>-<pid>-<random>/   one per worker
 *     libc.so.6 -> ../cache/<sha256>-libc.so.6  ... (one per object)
 *     ld-linux-x86-64.so.2 -> ../cache/...
 *     <exe name> -> ../cache/...
 *     master                                    host=, pid=, start=, boot=
 *
 * Every directory is checked with lstat (SFTP) after mkdir: a directory,
 * not a symlink, owned by the remote uid (`id -u`), no group/other bits;
 * anything else is refused, never "fixed". Cache files are uploaded under
 * a temporary name and renamed into place; files already there are reused
 * across runs, but before anything is started `sha256sum` runs on the
 * exact files the worker will exec and load: a mismatch (a damaged or
 * planted file) is deleted and uploaded again, never executed.
 *
 * The worker starts as
 *   <run>/<loader> --library-path <run> --argv0 <exe name> <run>/<exe name>
 * so the shipped loader, libc and libm are used whatever the host has
 * (results stay bit-identical; older hosts work).
 *
 * Cache eviction: each run touches the files it uses, then deletes cache
 * files whose mtime is more than SSH_DEPLOY_EVICT_DAYS days old (find
 * -mtime +7) and upload leftovers (*.part-*) older than an hour. A run
 * lasting longer than that keeps working (its files are mapped; the worker
 * is started once per host), but a worker restarted after that would
 * fail its hash check and be re-uploaded. pydron-cleanup --cache deletes
 * the whole cache. */
#ifndef PYDRON_SSH_DEPLOY_H
#define PYDRON_SSH_DEPLOY_H

#include <limits.h>
#include <stddef.h>

#include "ssh_conn.h"

#define SSH_DEPLOY_EVICT_DAYS 7

struct ssh_deploy {
  char base[PATH_MAX];  /* <tmp_dir>/pydron-<user>, absolute */
  char cache[PATH_MAX]; /* <base>/cache */
  char run[PATH_MAX];   /* <base>/run-...; "" until created */
  unsigned long uid;    /* the remote user's uid */
  char *command;        /* shell words that start the program (quoted) */
  int uploaded;         /* files uploaded by ssh_deploy_prepare */
  unsigned long long uploaded_bytes;
  int reused; /* files found in the cache and verified */
};

/* Finds <tmp_dir>/pydron-<user> and its cache on the host, creating them
 * when `create` (0700), and checks both (see above). Fills d->base,
 * d->cache, d->uid. Returns 1 when they exist and are safe, 0 when they do
 * not exist (only without create), -1 with why. */
int ssh_deploy_open_base(struct ssh_conn *c, struct ssh_deploy *d, int create,
                         char *why, size_t why_len);

/* Ships the program (cached by content hash, verified) and creates this
 * worker's run directory. On success d->command holds the quoted words
 * that run the program there (the caller adds `env ...` in front). 0, or
 * -1 with why (nothing is left behind but cache files). The connection
 * must be in blocking mode. Thread-safe (the local file list is built
 * once per process). */
int ssh_deploy_prepare(struct ssh_conn *c, struct ssh_deploy *d, char *why,
                       size_t why_len);

/* Removes the run directory (rm -rf), keeps the cache. 0 or -1 with why. */
int ssh_deploy_cleanup(struct ssh_conn *c, struct ssh_deploy *d, char *why,
                       size_t why_len);

/* "keep_cache": false: removes the cache too, unless another run's
 * directory is still there (it may use the cache). 0 or -1 with why. */
int ssh_deploy_drop_cache(struct ssh_conn *c, struct ssh_deploy *d,
                          char *why, size_t why_len);

void ssh_deploy_free(struct ssh_deploy *d);

/* The "master" file's content for this process: "host=H\npid=P\n
 * start=T\nboot=B\n" (T: start time in clock ticks after boot, from
 * /proc/self/stat; B: /proc/sys/kernel/random/boot_id), so that a reused
 * pid is not mistaken for a live master. */
void ssh_deploy_master_id(char *out, size_t cap);

/* This machine's host name as it appears in run directory names
 * (characters other than [A-Za-z0-9.] replaced by '_'). */
void ssh_deploy_hostname(char *out, size_t cap);

#endif /* PYDRON_SSH_DEPLOY_H */
