/* config.c - finding, reading and checking pydron.conf as a file.
 *
 * The search order is the original Pydron's: $PYDRON_CONF, ./pydron.conf,
 * ~/pydron.conf, /etc/pydron.conf; the first file that exists is used and
 * the others are not read. A file that exists but cannot be used (not
 * readable, a directory, broken) is an error, never a reason to fall back to
 * the next one: falling back would quietly run the program somewhere other
 * than the user's file says. For the same reason a $PYDRON_CONF that names
 * no file is an error.
 *
 * This runs in a constructor of every Pydron program, so the common case,
 * no file at all, costs a getcwd and three failed open() calls and
 * allocates one small entry; jansson is not touched.
 *
 * Files holding secrets (passwords, passphrases, cloud keys) must not be
 * readable or writable by group or others, as OpenSSH insists for private
 * keys: a password in a world-readable file is a password everyone has.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

void pydron_config_set_error(struct pydron_config_error *err,
                             enum pydron_config_error_kind kind,
                             const char *fmt, ...) {
  va_list ap;
  err->kind = kind;
  err->line = err->column = 0;
  va_start(ap, fmt);
  vsnprintf(err->text, sizeof err->text, fmt, ap);
  va_end(ap);
}

void pydron_config_free_secret(char *s) {
  if (!s)
    return;
  /* Through a volatile pointer, so the clearing is not optimised away as a
   * store to memory that is about to be freed. */
  volatile char *v = s;
  while (*v)
    *v++ = '\0';
  free(s);
}

const char *pydron_worker_type_name(enum pydron_worker_type type) {
  switch (type) {
  case PYDRON_WORKER_MULTICORE:
    return "multicore";
  case PYDRON_WORKER_SSH:
    return "ssh";
  case PYDRON_WORKER_CLOUD:
    return "cloud";
  case PYDRON_WORKER_MPI:
    return "mpi";
  }
  return "?";
}

/* ---- releasing -------------------------------------------------------- */

static void free_list(struct pydron_strlist *l, int secret) {
  for (size_t i = 0; i < l->count; i++) {
    if (secret)
      pydron_config_free_secret(l->items[i]);
    else
      free(l->items[i]);
  }
  free(l->items);
  l->items = NULL;
  l->count = 0;
}

static void free_worker(struct pydron_worker_conf *w) {
  switch (w->type) {
  case PYDRON_WORKER_MULTICORE:
  case PYDRON_WORKER_MPI:
    break;
  case PYDRON_WORKER_SSH: {
    struct pydron_ssh_conf *s = &w->u.ssh;
    free(s->hostname);
    free(s->username);
    pydron_config_free_secret(s->password);
    free_list(&s->privatekeys, 0);
    free_list(&s->private_keys, 1);
    free(s->publickey);
    pydron_config_free_secret(s->passphrase);
    free(s->tmp_dir);
    free(s->known_hosts);
    break;
  }
  case PYDRON_WORKER_CLOUD: {
    struct pydron_cloud_conf *c = &w->u.cloud;
    free(c->provider);
    free(c->region);
    free(c->endpoint);
    free(c->accesskeyid);
    pydron_config_free_secret(c->accesskey);
    free(c->imageid);
    free(c->sizeid);
    free(c->username);
    free(c->publickey);
    free(c->privatekey);
    free(c->security_group);
    free(c->subnet);
    free(c->tmp_dir);
    break;
  }
  }
}

void pydron_config_free(struct pydron_config *cfg) {
  if (!cfg)
    return;
  for (size_t i = 0; i < cfg->nworkers; i++)
    free_worker(&cfg->workers[i]);
  free(cfg->workers);
  free(cfg->file);
  cfg->workers = NULL;
  cfg->nworkers = 0;
  cfg->file = NULL;
  cfg->implicit = 0;
  cfg->nnotes = 0;
}

/* ---- reading one file ------------------------------------------------- */

/* What to do about an errno from open() or read(), for the message. */
static const char *io_advice(int e) {
  switch (e) {
  case ENOENT:
    return "check the path";
  case EACCES:
  case EPERM:
    return "make it readable for this user (as its owner: chmod u+r), or "
           "point PYDRON_CONF at a file you can read";
  case ELOOP:
    return "the path has a symbolic link loop; fix the links";
  case ENOTDIR:
    return "a part of the path is not a directory; check the path";
  default:
    return "check the file and the file system it is on";
  }
}

/* Reads the whole file into a NUL-terminated buffer. open() and fstat() on
 * the same descriptor, so the permissions checked are those of the file
 * read. O_NONBLOCK: a FIFO must not hang the program at start (it is then
 * refused as not a regular file). */
static int read_whole(const char *path, char **text, size_t *len,
                      mode_t *mode, struct pydron_config_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO, "%s: cannot open: %s; %s",
                            path, strerror(e), io_advice(e));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO, "%s: cannot stat: %s; %s",
                            path, strerror(e), io_advice(e));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO,
                            "%s: is a directory, not a configuration file; "
                            "remove or rename it, or name the file inside it",
                            path);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO,
                            "%s: is not a regular file (a device, FIFO or "
                            "socket); write the configuration to a file",
                            path);
    return -1;
  }
  if (st.st_size > PYDRON_CONFIG_MAX_FILE_BYTES) {
    close(fd);
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO,
                            "%s: is %lld bytes, more than the %d a "
                            "configuration may have; is it the right file?",
                            path, (long long)st.st_size,
                            PYDRON_CONFIG_MAX_FILE_BYTES);
    return -1;
  }
  size_t cap = (size_t)st.st_size + 1, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_NOMEM,
                            "%s: out of memory while reading it", path);
    return -1;
  }
  /* Reads to EOF rather than trusting st_size: the file may change. */
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > PYDRON_CONFIG_MAX_FILE_BYTES)
        break;
      char *grown = realloc(buf, cap * 2);
      if (!grown)
        break;
      buf = grown;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      close(fd);
      pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO,
                              "%s: cannot read: %s; %s", path, strerror(e),
                              io_advice(e));
      return -1;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *text = buf;
  *len = n;
  *mode = st.st_mode;
  return 0;
}

int pydron_config_parse_file(const char *path, struct pydron_config *out,
                             struct pydron_config_error *err) {
  char *text = NULL, secret_at[128];
  size_t len = 0;
  mode_t mode = 0;

  pydron_config_free(out);
  if (read_whole(path, &text, &len, &mode, err) != 0)
    return -1;
  out->file = strdup(path);
  if (!out->file) {
    free(text);
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_NOMEM,
                            "%s: out of memory while reading it", path);
    return -1;
  }
  int r = pydron_schema_parse(path, text, len, out, err, secret_at,
                              sizeof secret_at);
  /* The text may hold secrets too: clear it, like the parsed copies. */
  memset(text, 0, len);
  free(text);
  if (r == 0 && secret_at[0] && (mode & 077)) {
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_PERMISSIONS,
                            "%s: holds a secret (%s), but its mode %04o lets "
                            "group or others read or change it; run "
                            "chmod 600 %s (OpenSSH refuses private keys in "
                            "such files for the same reason)",
                            path, secret_at, (unsigned)(mode & 07777), path);
    r = -1;
  }
  if (r != 0) {
    /* Keep the file name for the caller's report, drop the half-read rest. */
    char *file = out->file;
    out->file = NULL;
    pydron_config_free(out);
    out->file = file;
  }
  return r;
}

int pydron_config_check_available(const struct pydron_config *cfg,
                                  struct pydron_config_error *err) {
  /* Every worker type of the schema runs in this version (remote.c). A
   * type added to the schema before its runtime is refused here, with
   * PYDRON_CONFIG_ERR_NOT_AVAILABLE, never skipped silently. */
  (void)cfg;
  (void)err;
  return 0;
}

int pydron_config_load_file(const char *path, struct pydron_config *out,
                            struct pydron_config_error *err) {
  if (pydron_config_parse_file(path, out, err) != 0)
    return -1;
  return pydron_config_check_available(out, err);
}

/* ---- the search ------------------------------------------------------- */

/* The home directory: $HOME, or the password database when HOME is unset
 * (as for a daemon), like the original's os.path.expanduser. */
static const char *home_dir(char *buf, size_t cap) {
  const char *home = secure_getenv("HOME");
  if (home && home[0])
    return home;
  struct passwd pw, *res = NULL;
  char tmp[4096];
  if (getpwuid_r(getuid(), &pw, tmp, sizeof tmp, &res) != 0 || !res ||
      !res->pw_dir || !res->pw_dir[0])
    return NULL;
  snprintf(buf, cap, "%s", res->pw_dir);
  return buf;
}

static int set_path(struct pydron_config_candidate *c, const char *dir,
                    const char *name) {
  int w = dir ? snprintf(c->path, sizeof c->path, "%s%s%s", dir,
                         dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
                         name)
              : snprintf(c->path, sizeof c->path, "%s", name);
  return w > 0 && (size_t)w < sizeof c->path ? 0 : -1;
}

/* Whether the candidate exists: 1 yes, 0 no (look further), -1 cannot say
 * (an error: something is there, or may be, that we cannot look at). */
static int exists(const char *path, struct pydron_config_error *err) {
  struct stat st;
  if (stat(path, &st) == 0)
    return 1;
  int e = errno;
  if (e == ENOENT || e == ENOTDIR)
    return 0;
  pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO, "%s: cannot look at it: %s; %s",
                          path, strerror(e), io_advice(e));
  return -1;
}

static int use_candidate(struct pydron_config_candidate *c,
                         struct pydron_config *out,
                         struct pydron_config_error *err) {
  /* pydron_config_load_file resets the entries, not the search record. */
  int r = pydron_config_load_file(c->path, out, err);
  c->status = r == 0 ? PYDRON_CANDIDATE_USED : PYDRON_CANDIDATE_FAILED;
  return r;
}

int pydron_config_load(struct pydron_config *out,
                       struct pydron_config_error *err) {
  static const char *const origins[PYDRON_CONFIG_MAX_CANDIDATES] = {
      "$PYDRON_CONF", "./pydron.conf", "~/pydron.conf", "/etc/pydron.conf"};
  char cwd[PATH_MAX], homebuf[PATH_MAX];
  struct pydron_config_candidate *c;

  memset(out, 0, sizeof *out);
  err->kind = PYDRON_CONFIG_OK;
  err->text[0] = '\0';
  /* Every place is listed; those after the deciding one stay NOT_REACHED. */
  out->ntried = PYDRON_CONFIG_MAX_CANDIDATES;
  for (int i = 0; i < PYDRON_CONFIG_MAX_CANDIDATES; i++) {
    out->tried[i].origin = origins[i];
    out->tried[i].status = PYDRON_CANDIDATE_NOT_REACHED;
  }

  /* 1. $PYDRON_CONF: set means "this file", so missing is an error. */
  c = &out->tried[0];
  const char *env = secure_getenv("PYDRON_CONF");
  if (env) {
    if (!env[0]) {
      c->status = PYDRON_CANDIDATE_FAILED;
      pydron_config_set_error(err, PYDRON_CONFIG_ERR_ENV,
                              "PYDRON_CONF is set but empty; set it to a "
                              "configuration file, or unset it to search "
                              "./pydron.conf, ~/pydron.conf and "
                              "/etc/pydron.conf");
      return -1;
    }
    snprintf(c->path, sizeof c->path, "%s", env);
    int ex = exists(c->path, err);
    if (ex == 0)
      pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO,
                              "PYDRON_CONF=%s: no such file; fix the path, "
                              "or unset PYDRON_CONF to search ./pydron.conf, "
                              "~/pydron.conf and /etc/pydron.conf",
                              env);
    if (ex <= 0) {
      c->status = PYDRON_CANDIDATE_FAILED;
      return -1;
    }
    return use_candidate(c, out, err);
  }
  c->status = PYDRON_CANDIDATE_UNSET;

  /* 2-4. The fixed places; the first that exists is the file. A removed
   * current directory leaves getcwd NULL: the relative path still opens. */
  const char *dirs[PYDRON_CONFIG_MAX_CANDIDATES] = {
      NULL, getcwd(cwd, sizeof cwd), home_dir(homebuf, sizeof homebuf),
      "/etc"};
  for (int i = 1; i < PYDRON_CONFIG_MAX_CANDIDATES; i++) {
    c = &out->tried[i];
    if (i == 2 && !dirs[i]) {
      c->status = PYDRON_CANDIDATE_NO_HOME;
      continue;
    }
    if (set_path(c, dirs[i], "pydron.conf") != 0) {
      c->status = PYDRON_CANDIDATE_FAILED;
      pydron_config_set_error(err, PYDRON_CONFIG_ERR_IO,
                              "%s/pydron.conf: the path is too long", dirs[i]);
      return -1;
    }
    int ex = exists(c->path, err);
    if (ex < 0) {
      c->status = PYDRON_CANDIDATE_FAILED;
      return -1;
    }
    if (ex == 0) {
      c->status = PYDRON_CANDIDATE_MISSING;
      continue;
    }
    return use_candidate(c, out, err);
  }

  /* No file: every local core, as if the file said [{"type":"multicore"}]. */
  pydron_faults_defaults(&out->faults);
  out->workers = calloc(1, sizeof *out->workers);
  if (!out->workers) {
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_NOMEM,
                            "out of memory while setting up the default "
                            "configuration");
    return -1;
  }
  out->nworkers = 1;
  out->implicit = 1;
  out->workers[0].type = PYDRON_WORKER_MULTICORE;
  out->workers[0].u.multicore.cores = 0;
  out->workers[0].u.multicore.isolation = PYDRON_ISOLATION_THREAD;
  return 0;
}

void pydron_faults_defaults(struct pydron_faults_conf *f) {
  f->lease_seconds = PYDRON_FAULTS_DEFAULT_LEASE_SECONDS;
  f->chunk_retries = PYDRON_FAULTS_DEFAULT_CHUNK_RETRIES;
  f->worker_restarts = PYDRON_FAULTS_DEFAULT_WORKER_RESTARTS;
  f->when_no_workers = PYDRON_NO_WORKERS_THREADS;
}

/* ---- what the pool asks ----------------------------------------------- */

int pydron_config_threads(const struct pydron_config *cfg) {
  for (size_t i = 0; i < cfg->nworkers; i++)
    if (cfg->workers[i].type == PYDRON_WORKER_MULTICORE)
      return cfg->workers[i].u.multicore.cores;
  /* Only remote workers: the file lists every place work may go, as in the
   * original, and this machine is not among them beyond the caller. */
  return cfg->nworkers ? 1 : 0;
}

int pydron_config_effective_threads(const struct pydron_config *cfg,
                                    int disabled, int env_workers) {
  if (disabled)
    return 1;
  if (env_workers > 0)
    return env_workers;
  return cfg ? pydron_config_threads(cfg) : 0;
}
