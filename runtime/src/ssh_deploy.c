/* ssh_deploy.c - ships this program to a worker host (see ssh_deploy.h for
 * the remote layout, the checks and the cache policy).
 *
 * Round trips are few on purpose (a far host costs ~100 ms each): `id -u;
 * uname`, SFTP mkdir+lstat of two directories, one directory listing, the
 * uploads (cold cache only), then one shell command that touches, evicts,
 * creates the run directory and hashes everything the worker will load. */
#include "ssh_deploy.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libssh2_sftp.h>
#include <openssl/evp.h>

/* ---- what to ship (local; built once per process) ------------------------ */

struct obj {
  char path[PATH_MAX]; /* where we read it (for messages) */
  char link[256];      /* its name in the run directory */
  char cname[384];     /* its name in the cache: <sha256>-<basename> */
  char sha[65];
  int fd; /* kept open: the bytes we hashed are the bytes we
             upload, even if a package upgrade replaces the
             file on disk meanwhile */
  unsigned long long size;
};

/* The process's own file list: immutable once built, shared by every
 * host's start (hence global). */
static struct {
  pthread_once_t once;
  int ok;
  char why[512];
  struct obj *objs;
  int n;
  int exe, loader; /* indexes; loader -1 for a static executable */
} M = {.once = PTHREAD_ONCE_INIT};

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int hash_fd(int fd, char out[65], unsigned long long *size) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char *buf = malloc(1 << 20);
  int rc = -1;
  if (!ctx || !buf || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
    goto out;
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, 1 << 20, off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      goto out;
    if (n == 0)
      break;
    EVP_DigestUpdate(ctx, buf, (size_t)n);
    off += n;
  }
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
    goto out;
  for (int i = 0; i < 32; i++)
    sprintf(out + 2 * i, "%02x", md[i]);
  *size = (unsigned long long)off;
  rc = 0;
out:
  free(buf);
  EVP_MD_CTX_free(ctx);
  return rc;
}

static int add_obj(const char *path, const char *read_from, const char *link) {
  for (int i = 0; i < M.n; i++)
    if (strcmp(M.objs[i].link, link) == 0)
      return 0; /* the same name twice (a library dlopen'ed by path) */
  struct obj *grown = realloc(M.objs, (size_t)(M.n + 1) * sizeof *grown);
  if (!grown) {
    snprintf(M.why, sizeof M.why, "out of memory");
    return -1;
  }
  M.objs = grown;
  struct obj *o = &M.objs[M.n];
  memset(o, 0, sizeof *o);
  snprintf(o->path, sizeof o->path, "%s", path);
  snprintf(o->link, sizeof o->link, "%s", link);
  o->fd = open(read_from, O_RDONLY | O_CLOEXEC);
  if (o->fd < 0) {
    snprintf(M.why, sizeof M.why, "cannot read %s to ship it: %s", path,
             strerror(errno));
    return -1;
  }
  if (hash_fd(o->fd, o->sha, &o->size) != 0) {
    snprintf(M.why, sizeof M.why, "cannot read %s to ship it: %s", path,
             strerror(errno));
    close(o->fd);
    return -1;
  }
  snprintf(o->cname, sizeof o->cname, "%s-%s", o->sha, link);
  return M.n++;
}

struct walk {
  int first;
  char interp[PATH_MAX];
  char exe_name[256];
  int failed;
};

static int walk_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct walk *w = arg;
  if (w->failed)
    return 1;
  if (w->first) {
    /* The main program, whatever dlpi_name says: /proc/self/exe is the
     * very file the kernel ran. */
    w->first = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
      if (info->dlpi_phdr[i].p_type == PT_INTERP)
        snprintf(w->interp, sizeof w->interp, "%s",
                 (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr));
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *del = strstr(exe, " (deleted)");
    if (del && del[10] == 0)
      *del = 0;
    snprintf(w->exe_name, sizeof w->exe_name, "%s",
             exe[0] && base_name(exe)[0] ? base_name(exe) : "pydron-program");
    M.exe =
        add_obj(exe[0] ? exe : "/proc/self/exe", "/proc/self/exe", w->exe_name);
    if (M.exe < 0)
      w->failed = 1;
    return 0;
  }
  const char *name = info->dlpi_name;
  if (!name || !name[0] || strncmp(base_name(name), "linux-vdso", 10) == 0 ||
      strncmp(base_name(name), "linux-gate", 10) == 0)
    return 0;
  if (w->interp[0] && strcmp(base_name(name), base_name(w->interp)) == 0)
    return 0; /* the loader: added on its own */
  if (add_obj(name, name, base_name(name)) < 0)
    w->failed = 1;
  return 0;
}

static void build_manifest(void) {
  struct walk w = {.first = 1};
  M.loader = -1;
  dl_iterate_phdr(walk_cb, &w);
  if (w.failed)
    return;
  if (w.interp[0]) {
    M.loader = add_obj(w.interp, w.interp, base_name(w.interp));
    if (M.loader < 0)
      return;
  }
  M.ok = 1;
}

/* ---- identity of this master --------------------------------------------- */

void ssh_deploy_hostname(char *out, size_t cap) {
  char h[256] = "";
  gethostname(h, sizeof h - 1);
  h[sizeof h - 1] = 0;
  size_t i = 0;
  for (; h[i] && i + 1 < cap && i < 64; i++) {
    char ch = h[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
             (ch >= '0' && ch <= '9') || ch == '.';
    out[i] = ok ? ch : '_';
  }
  out[i] = 0;
  if (!i)
    snprintf(out, cap, "unknown");
}

void ssh_deploy_master_id(char *out, size_t cap) {
  char host[128], stat[1024] = "", boot[64] = "";
  unsigned long long start = 0;
  ssh_deploy_hostname(host, sizeof host);
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, stat, sizeof stat - 1);
    stat[n > 0 ? n : 0] = 0;
    close(fd);
    /* Field 22, counted after the command name's closing parenthesis
     * (the name itself may hold spaces and parentheses). */
    char *p = strrchr(stat, ')');
    for (int field = 2; p && *p && field < 22; field++)
      p = strchr(p + 1, ' ');
    if (p)
      start = strtoull(p + 1, NULL, 10);
  }
  fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, boot, sizeof boot - 1);
    boot[n > 0 ? n : 0] = 0;
    close(fd);
    boot[strcspn(boot, "\n")] = 0;
  }
  snprintf(out, cap, "host=%s\npid=%ld\nstart=%llu\nboot=%s\n", host,
           (long)getpid(), start, boot);
}

/* ---- remote directories ------------------------------------------------- */

static int check_dir(struct ssh_conn *c, LIBSSH2_SFTP *sftp, const char *path,
                     unsigned long uid, int create, char *why, size_t why_len) {
  if (create)
    libssh2_sftp_mkdir(sftp, path, 0700); /* exists already: checked below */
  LIBSSH2_SFTP_ATTRIBUTES at;
  if (libssh2_sftp_stat_ex(sftp, path, (unsigned)strlen(path),
                           LIBSSH2_SFTP_LSTAT, &at) != 0) {
    if (!create && libssh2_sftp_last_error(sftp) == LIBSSH2_FX_NO_SUCH_FILE)
      return 0;
    snprintf(why, why_len,
             "ssh %s: cannot %s %s on the host (SFTP error %lu: does "
             "\"tmp_dir\" exist there, and may %s write in it?)",
             c->label, create ? "create" : "inspect", path,
             libssh2_sftp_last_error(sftp), c->user);
    return -1;
  }
  const char *bad = NULL;
  char detail[160] = "";
  if (!(at.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) ||
      !(at.flags & LIBSSH2_SFTP_ATTR_UIDGID))
    bad = "the host does not say its owner and mode";
  else if (LIBSSH2_SFTP_S_ISLNK(at.permissions))
    bad = "it is a symbolic link";
  else if (!LIBSSH2_SFTP_S_ISDIR(at.permissions))
    bad = "it is not a directory";
  else if (at.uid != uid) {
    snprintf(detail, sizeof detail,
             "it is owned by uid %lu, not by %s (uid %lu)", at.uid, c->user,
             uid);
    bad = detail;
  } else if (at.permissions & 077) {
    snprintf(detail, sizeof detail,
             "its mode %03lo lets other users in (it must be 700)",
             at.permissions & 0777);
    bad = detail;
  }
  if (bad) {
    snprintf(why, why_len,
             "ssh %s: refusing to use %s on the host: %s. %s, or set "
             "another \"tmp_dir\" in pydron.conf",
             c->label, path, bad,
             bad == detail && at.uid == uid ? "chmod 700 it"
                                            : "Have it removed");
    return -1;
  }
  return 1;
}

static LIBSSH2_SFTP *sftp_open(struct ssh_conn *c, char *why, size_t why_len) {
  LIBSSH2_SFTP *sftp = libssh2_sftp_init(c->session);
  if (!sftp)
    snprintf(why, why_len,
             "ssh %s: cannot start SFTP: %s (the host's sshd needs an SFTP "
             "subsystem: \"Subsystem sftp ...\" in sshd_config)",
             c->label, ssh_conn_error(c));
  return sftp;
}

/* Learns the remote uid and checks the host runs our kind of binaries. */
static int probe_host(struct ssh_conn *c, struct ssh_deploy *d, char *why,
                      size_t why_len) {
  char *out = NULL;
  int st = -1;
  /* After a marker: shell start-up files may print things first. */
  if (ssh_conn_exec(c, "echo pydron-probe: && id -u && uname -s && uname -m",
                    NULL, 0, &out, NULL, &st, why, why_len) != 0)
    return -1;
  char sys[64] = "", mach[64] = "";
  unsigned long uid = 0;
  const char *p = strstr(out, "pydron-probe:\n");
  int ok =
      st == 0 && p && sscanf(p + 14, "%lu %63s %63s", &uid, sys, mach) == 3;
  free(out);
  if (!ok) {
    char err[256];
    snprintf(err, sizeof err, "%s", why);
    snprintf(why, why_len,
             "ssh %s: `id -u; uname -sm` failed on the host (status %d): %s",
             c->label, st, err);
    return -1;
  }
  struct utsname u;
  uname(&u);
  if (strcmp(sys, u.sysname) != 0 || strcmp(mach, u.machine) != 0) {
    snprintf(why, why_len,
             "ssh %s: the host runs %s on %s, this program is built for %s "
             "on %s: Pydron ships the program as it is, so workers must "
             "have the same kind of processor and system",
             c->label, sys, mach, u.sysname, u.machine);
    return -1;
  }
  d->uid = uid;
  return 0;
}

static int open_base(struct ssh_conn *c, LIBSSH2_SFTP *sftp,
                     struct ssh_deploy *d, int create, char *why,
                     size_t why_len) {
  const char *tmp =
      c->conf->tmp_dir && *c->conf->tmp_dir ? c->conf->tmp_dir : "/tmp";
  char real[PATH_MAX];
  int n = libssh2_sftp_realpath(sftp, tmp, real, sizeof real - 1);
  if (n <= 0) {
    snprintf(why, why_len,
             "ssh %s: tmp_dir %s does not exist on the host (set \"tmp_dir\" "
             "in pydron.conf to a directory there)",
             c->label, tmp);
    return -1;
  }
  real[n] = 0;
  snprintf(d->base, sizeof d->base, "%s/pydron-%s",
           strcmp(real, "/") == 0 ? "" : real, c->user);
  snprintf(d->cache, sizeof d->cache, "%s/cache", d->base);
  int r = check_dir(c, sftp, d->base, d->uid, create, why, why_len);
  if (r <= 0)
    return r;
  return check_dir(c, sftp, d->cache, d->uid, create, why, why_len);
}

int ssh_deploy_open_base(struct ssh_conn *c, struct ssh_deploy *d, int create,
                         char *why, size_t why_len) {
  if (probe_host(c, d, why, why_len) != 0)
    return -1;
  LIBSSH2_SFTP *sftp = sftp_open(c, why, why_len);
  if (!sftp)
    return -1;
  int r = open_base(c, sftp, d, create, why, why_len);
  libssh2_sftp_shutdown(sftp);
  return r;
}

/* ---- uploads ------------------------------------------------------------ */

static int upload(struct ssh_conn *c, LIBSSH2_SFTP *sftp,
                  const struct ssh_deploy *d, const struct obj *o, int replace,
                  char *why, size_t why_len) {
  unsigned rnd = 0;
  if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
    rnd = (unsigned)getpid() ^ (unsigned)(uintptr_t)&rnd;
  char tmp[PATH_MAX + 64], dst[PATH_MAX + 400];
  snprintf(tmp, sizeof tmp, "%s/.%.64s.part-%08x", d->cache, o->sha, rnd);
  snprintf(dst, sizeof dst, "%s/%s", d->cache, o->cname);
  LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(
      sftp, tmp, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL,
      0700);
  if (!h) {
    snprintf(why, why_len, "ssh %s: cannot create %s on the host (disk full?)",
             c->label, tmp);
    return -1;
  }
  size_t cap = 1 << 20;
  char *buf = malloc(cap);
  int rc = -1;
  off_t off = 0;
  while (buf) {
    ssize_t n = pread(o->fd, buf, cap, off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(why, why_len, "cannot read %s: %s", o->path, strerror(errno));
      break;
    }
    if (n == 0) {
      rc = 0;
      break;
    }
    /* Big writes: libssh2 pipelines the SFTP packets of one call. */
    for (ssize_t done = 0; done < n;) {
      ssize_t w = libssh2_sftp_write(h, buf + done, (size_t)(n - done));
      if (w <= 0) {
        snprintf(why, why_len,
                 "ssh %s: uploading %s to %s failed: %s (disk full?)", c->label,
                 o->path, tmp, ssh_conn_error(c));
        goto close;
      }
      done += w;
    }
    off += n;
  }
  if (!buf)
    snprintf(why, why_len, "out of memory");
close:
  free(buf);
  if (libssh2_sftp_close(h) != 0 && rc == 0) {
    snprintf(why, why_len, "ssh %s: writing %s failed (disk full?)", c->label,
             tmp);
    rc = -1;
  }
  if (rc == 0) {
    if (replace)
      libssh2_sftp_unlink(sftp, dst);
    /* OpenSSH's server renames with link()+unlink(): never over an
     * existing file. If another master put the same content there first,
     * theirs is as good (the hash check decides). */
    if (libssh2_sftp_rename_ex(
            sftp, tmp, (unsigned)strlen(tmp), dst, (unsigned)strlen(dst),
            LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
                LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
      LIBSSH2_SFTP_ATTRIBUTES at;
      if (libssh2_sftp_stat_ex(sftp, dst, (unsigned)strlen(dst),
                               LIBSSH2_SFTP_LSTAT, &at) != 0) {
        snprintf(why, why_len, "ssh %s: cannot rename %s to %s on the host",
                 c->label, tmp, dst);
        rc = -1;
      }
    }
  }
  libssh2_sftp_unlink(sftp, tmp); /* gone after a rename: harmless */
  return rc;
}

/* ---- the shell step ------------------------------------------------------ */

/* `sha256sum` output for names: marks which objects match (ok[i]). */
static void parse_sums(const char *out, const int *which, int nwhich, int *ok) {
  for (const char *line = out; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (len > 66 && line[64] == ' ' && line[65] == ' ') {
      for (int k = 0; k < nwhich; k++) {
        const struct obj *o = &M.objs[which[k]];
        size_t cl = strlen(o->cname);
        if (len - 66 == cl && memcmp(line + 66, o->cname, cl) == 0 &&
            memcmp(line, o->sha, 64) == 0)
          ok[which[k]] = 1;
      }
    }
    line = nl ? nl + 1 : NULL;
  }
}

static void quote_names(struct ssh_str *s, const int *which, int nwhich) {
  for (int k = 0; k < nwhich; k++) {
    ssh_str_add(s, " ");
    ssh_str_quote(s, M.objs[which[k]].cname);
  }
}

/* Hashes `which` on the host; ok[] marks the good ones. With `setup`, the
 * same command first touches them, evicts old cache files and creates the
 * run directory. 0, or -1 with why. */
static int remote_step(struct ssh_conn *c, struct ssh_deploy *d,
                       const int *which, int nwhich, int setup, int *ok,
                       int *status, char *why, size_t why_len) {
  struct ssh_str s = {0};
  ssh_str_add(&s, "cd -- ");
  ssh_str_quote(&s, d->cache);
  ssh_str_add(&s, " || exit 90\n");
  if (setup) {
    char master[512];
    ssh_deploy_master_id(master, sizeof master);
    ssh_str_add(&s, "touch -c --");
    quote_names(&s, which, nwhich);
    ssh_str_addf(&s,
                 "\nfind . -maxdepth 1 -type f \\( -mtime +%d -o -name "
                 "'.*.part-*' -mmin +60 \\) -delete 2>/dev/null\n",
                 SSH_DEPLOY_EVICT_DAYS);
    ssh_str_add(&s, "mkdir -m 700 -- ");
    ssh_str_quote(&s, d->run);
    ssh_str_add(&s, " || exit 91\n");
    for (int k = 0; k < nwhich; k++) {
      const struct obj *o = &M.objs[which[k]];
      char target[PATH_MAX + 400], link[PATH_MAX + 300];
      snprintf(target, sizeof target, "../cache/%s", o->cname);
      snprintf(link, sizeof link, "%s/%s", d->run, o->link);
      ssh_str_add(&s, "ln -s -- ");
      ssh_str_quote(&s, target);
      ssh_str_add(&s, " ");
      ssh_str_quote(&s, link);
      ssh_str_add(&s, " || exit 92\n");
    }
    ssh_str_add(&s, "printf %s ");
    ssh_str_quote(&s, master);
    ssh_str_add(&s, " > ");
    char mf[PATH_MAX + 16];
    snprintf(mf, sizeof mf, "%s/master", d->run);
    ssh_str_quote(&s, mf);
    ssh_str_add(&s, " || exit 93\n");
  }
  ssh_str_add(&s, "command -v sha256sum >/dev/null || exit 94\nsha256sum --");
  quote_names(&s, which, nwhich);
  ssh_str_add(&s, "\nexit 0\n");
  if (s.failed) {
    ssh_str_free(&s);
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  char *out = NULL;
  int st = -1;
  int r = ssh_conn_exec(c, s.p, NULL, 0, &out, NULL, &st, why, why_len);
  ssh_str_free(&s);
  *status = st;
  if (r != 0)
    return -1;
  if (st != 0) {
    char err[300];
    snprintf(err, sizeof err, "%s", why);
    const char *what = st == 90   ? "cannot enter the cache directory"
                       : st == 91 ? "cannot create the run directory"
                       : st == 92 ? "cannot create links in the run directory"
                       : st == 93 ? "cannot write the run directory's master "
                                    "file (disk full?)"
                       : st == 94 ? "sha256sum is missing (it comes with "
                                    "coreutils)"
                                  : "the setup command failed";
    snprintf(why, why_len, "ssh %s: %s on the host (status %d)%s%s", c->label,
             what, st, err[0] ? ": " : "", err);
    free(out);
    return -1;
  }
  parse_sums(out, which, nwhich, ok);
  free(out);
  return 0;
}

/* ---- prepare ------------------------------------------------------------ */

/* Cache directory listing: which names are there as regular files of
 * ours (present[i] = 1), and which are something else (present[i] = -1:
 * replaced). */
static int list_cache(struct ssh_conn *c, LIBSSH2_SFTP *sftp,
                      const struct ssh_deploy *d, int *present, char *why,
                      size_t why_len) {
  LIBSSH2_SFTP_HANDLE *dir = libssh2_sftp_opendir(sftp, d->cache);
  if (!dir) {
    snprintf(why, why_len, "ssh %s: cannot list %s on the host", c->label,
             d->cache);
    return -1;
  }
  char name[512];
  LIBSSH2_SFTP_ATTRIBUTES at;
  int n;
  while ((n = libssh2_sftp_readdir(dir, name, sizeof name, &at)) > 0) {
    name[n < (int)sizeof name ? n : (int)sizeof name - 1] = 0;
    for (int i = 0; i < M.n; i++) {
      if (strcmp(name, M.objs[i].cname) != 0)
        continue;
      int good = (at.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
                 (at.flags & LIBSSH2_SFTP_ATTR_UIDGID) &&
                 LIBSSH2_SFTP_S_ISREG(at.permissions) && at.uid == d->uid;
      present[i] = good ? 1 : -1;
    }
  }
  libssh2_sftp_closedir(dir);
  return 0;
}

static void quote_word(struct ssh_str *s, const char *dir, const char *name) {
  char p[PATH_MAX + 300];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  ssh_str_quote(s, p);
}

int ssh_deploy_prepare(struct ssh_conn *c, struct ssh_deploy *d, char *why,
                       size_t why_len) {
  memset(d, 0, sizeof *d);
  pthread_once(&M.once, build_manifest);
  if (!M.ok) {
    snprintf(why, why_len, "ssh %s: cannot ship this program: %s", c->label,
             M.why);
    return -1;
  }
  if (probe_host(c, d, why, why_len) != 0)
    return -1;
  LIBSSH2_SFTP *sftp = sftp_open(c, why, why_len);
  if (!sftp)
    return -1;
  int rc = -1;
  int *present = calloc((size_t)M.n, sizeof *present);
  int *ok = calloc((size_t)M.n, sizeof *ok);
  int *all = calloc((size_t)M.n, sizeof *all);
  int *bad = calloc((size_t)M.n, sizeof *bad);
  if (!present || !ok || !all || !bad) {
    snprintf(why, why_len, "out of memory");
    goto out;
  }
  if (open_base(c, sftp, d, 1, why, why_len) != 1 ||
      list_cache(c, sftp, d, present, why, why_len) != 0)
    goto out;
  for (int i = 0; i < M.n; i++) {
    all[i] = i;
    if (present[i] == 1)
      continue;
    if (upload(c, sftp, d, &M.objs[i], present[i] == -1, why, why_len) != 0)
      goto out;
    d->uploaded++;
    d->uploaded_bytes += M.objs[i].size;
  }

  char host[128];
  unsigned rnd = 0;
  if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
    rnd = (unsigned)getpid() * 2654435761u;
  ssh_deploy_hostname(host, sizeof host);
  snprintf(d->run, sizeof d->run, "%s/run-%s-%ld-%08x", d->base, host,
           (long)getpid(), rnd);
  int st = -1;
  if (remote_step(c, d, all, M.n, 1, ok, &st, why, why_len) != 0) {
    /* 90, 91: the run directory is not ours (mkdir failed) */
    if (st != 90 && st != 91) {
      char keep[1024];
      snprintf(keep, sizeof keep, "%s", why);
      ssh_deploy_cleanup(c, d, why, why_len);
      snprintf(why, why_len, "%s", keep);
    }
    d->run[0] = 0;
    goto out;
  }
  /* Anything that does not hash right is replaced, then checked again:
   * nothing unverified is ever started. */
  int nbad = 0;
  for (int i = 0; i < M.n; i++)
    if (!ok[i])
      bad[nbad++] = i;
  d->reused = M.n - d->uploaded - nbad;
  for (int k = 0; k < nbad; k++) {
    if (upload(c, sftp, d, &M.objs[bad[k]], 1, why, why_len) != 0)
      goto fail_run;
    d->uploaded++;
    d->uploaded_bytes += M.objs[bad[k]].size;
  }
  if (nbad) {
    if (remote_step(c, d, bad, nbad, 0, ok, &st, why, why_len) != 0)
      goto fail_run;
    for (int k = 0; k < nbad; k++)
      if (!ok[bad[k]]) {
        snprintf(why, why_len,
                 "ssh %s: %s/%s does not have the content just uploaded "
                 "(SHA-256 mismatch): the host's disk or another process is "
                 "changing it; refusing to run it",
                 c->label, d->cache, M.objs[bad[k]].cname);
        goto fail_run;
      }
  }

  struct ssh_str s = {0};
  const struct obj *exe = &M.objs[M.exe];
  if (M.loader >= 0) {
    quote_word(&s, d->run, M.objs[M.loader].link);
    ssh_str_add(&s, " --library-path ");
    ssh_str_quote(&s, d->run);
    ssh_str_add(&s, " --argv0 ");
    ssh_str_quote(&s, exe->link);
    ssh_str_add(&s, " ");
  }
  quote_word(&s, d->run, exe->link);
  if (s.failed) {
    ssh_str_free(&s);
    snprintf(why, why_len, "out of memory");
    goto fail_run;
  }
  d->command = s.p;
  rc = 0;
  goto out;

fail_run : {
  char keep[1024];
  snprintf(keep, sizeof keep, "%s", why);
  ssh_deploy_cleanup(c, d, why, why_len);
  snprintf(why, why_len, "%s", keep);
  d->run[0] = 0;
}
out:
  libssh2_sftp_shutdown(sftp);
  free(present);
  free(ok);
  free(all);
  free(bad);
  return rc;
}

int ssh_deploy_cleanup(struct ssh_conn *c, struct ssh_deploy *d, char *why,
                       size_t why_len) {
  if (!d->run[0])
    return 0;
  struct ssh_str s = {0};
  ssh_str_add(&s, "rm -rf -- ");
  ssh_str_quote(&s, d->run);
  int st = -1;
  int r = ssh_conn_run(c, &s, NULL, &st, why, why_len);
  if (r != 0)
    return -1;
  if (st != 0) {
    char err[256];
    snprintf(err, sizeof err, "%s", why);
    snprintf(why, why_len, "ssh %s: cannot remove %s on the host: %s", c->label,
             d->run, err);
    return -1;
  }
  d->run[0] = 0;
  return 0;
}

int ssh_deploy_drop_cache(struct ssh_conn *c, struct ssh_deploy *d,
                          char *why, size_t why_len) {
  if (!d->base[0])
    return 0;
  /* Other runs' directories (live or left over) may use the cache. */
  struct ssh_str s = {0};
  ssh_str_add(&s, "cd -- ");
  ssh_str_quote(&s, d->base);
  ssh_str_add(&s, " && { ls -d run-* >/dev/null 2>&1 || rm -rf -- cache; }");
  int st = -1;
  int r = ssh_conn_run(c, &s, NULL, &st, why, why_len);
  if (r == 0 && st != 0) {
    snprintf(why, why_len, "ssh %s: cannot remove the cache %s on the host",
             c->label, d->cache);
    return -1;
  }
  return r;
}

void ssh_deploy_free(struct ssh_deploy *d) {
  free(d->command);
  d->command = NULL;
}
