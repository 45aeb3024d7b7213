/* ssh_hostkey.c - is this the host we think it is? Host keys are checked
 * against an OpenSSH known_hosts file ("known_hosts" in pydron.conf, else
 * ~/.ssh/known_hosts), with OpenSSH's rules:
 *  - a host on port 22 is named "host", on another port "[host]:port";
 *  - hashed entries (|1|salt|hash, Debian's default) match through
 *    libssh2_knownhost_checkp;
 *  - strict (the default): an unknown host is refused, with its key's
 *    fingerprint and the command that adds it; "accept-new" appends it;
 *  - a changed key is always refused, with both fingerprints;
 *  - @revoked keys are refused; @cert-authority lines are skipped
 *    (libssh2 has no certificates).
 * We read the file line by line ourselves because libssh2_knownhost_readfile
 * stops at the first line it cannot parse (a key type it does not know,
 * a marker), which would silently drop every entry after it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ssh_conn.h"

/* The host key types libssh2 1.10 can verify, best first. */
static const struct {
  int kh;             /* LIBSSH2_KNOWNHOST_KEY_* */
  int hostkey;        /* LIBSSH2_HOSTKEY_TYPE_* */
  const char *method; /* for libssh2_session_method_pref */
  const char *name;   /* as OpenSSH names it in messages and ssh-keyscan -t */
  const char *scan;
} key_types[] = {
    {LIBSSH2_KNOWNHOST_KEY_ED25519, LIBSSH2_HOSTKEY_TYPE_ED25519, "ssh-ed25519",
     "ED25519", "ed25519"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_256, LIBSSH2_HOSTKEY_TYPE_ECDSA_256,
     "ecdsa-sha2-nistp256", "ECDSA", "ecdsa"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_384, LIBSSH2_HOSTKEY_TYPE_ECDSA_384,
     "ecdsa-sha2-nistp384", "ECDSA", "ecdsa"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_521, LIBSSH2_HOSTKEY_TYPE_ECDSA_521,
     "ecdsa-sha2-nistp521", "ECDSA", "ecdsa"},
    {LIBSSH2_KNOWNHOST_KEY_SSHRSA, LIBSSH2_HOSTKEY_TYPE_RSA, "ssh-rsa", "RSA",
     "rsa"},
};
#define NTYPES (sizeof key_types / sizeof key_types[0])

/* The name known_hosts uses for this host. */
static void kh_name(const struct ssh_conn *c, char *out, size_t cap) {
  if (c->port == 22)
    snprintf(out, cap, "%s", c->host);
  else
    snprintf(out, cap, "[%s]:%d", c->host, c->port);
}

static int kh_path(const struct ssh_conn *c, char *out, size_t cap) {
  const char *p = c->conf->known_hosts && *c->conf->known_hosts
                      ? c->conf->known_hosts
                      : "~/.ssh/known_hosts";
  return ssh_expand_home(p, out, cap);
}

/* Reads known_hosts into a libssh2 collection. A missing file is an empty
 * one. When revoked_b64 is given, sets *revoked if a @revoked line names
 * that key (base64, as in the file). */
static LIBSSH2_KNOWNHOSTS *kh_load(struct ssh_conn *c, const char *path,
                                   const char *revoked_b64, int *revoked,
                                   char *why, size_t why_len) {
  LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->session);
  if (!kh) {
    snprintf(why, why_len, "ssh %s: out of memory", c->label);
    return NULL;
  }
  FILE *f = fopen(path, "re");
  if (!f) {
    if (errno == ENOENT)
      return kh;
    snprintf(why, why_len, "ssh %s: cannot read known_hosts file %s: %s",
             c->label, path, strerror(errno));
    libssh2_knownhost_free(kh);
    return NULL;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '@') {
      /* "@revoked patterns keytype key [comment]" */
      char marker[32], hosts[1024], type[64], key[8192];
      if (revoked_b64 &&
          sscanf(p, "%31s %1023s %63s %8191s", marker, hosts, type, key) == 4 &&
          strcmp(marker, "@revoked") == 0 && strcmp(key, revoked_b64) == 0)
        *revoked = 1;
      continue;
    }
    if (*p && *p != '#')
      /* Lines libssh2 cannot parse are skipped, not fatal. */
      libssh2_knownhost_readline(kh, p, strlen(p),
                                 LIBSSH2_KNOWNHOST_FILE_OPENSSH);
  }
  free(line);
  fclose(f);
  return kh;
}

int ssh_hostkey_prefer(struct ssh_conn *c, char *why, size_t why_len) {
  char path[PATH_MAX], name[300];
  if (kh_path(c, path, sizeof path) != 0) {
    snprintf(why, why_len,
             "ssh %s: no home directory to find ~/.ssh/known_hosts in (set "
             "\"known_hosts\" in pydron.conf)",
             c->label);
    return -1;
  }
  kh_name(c, name, sizeof name);
  LIBSSH2_KNOWNHOSTS *kh = kh_load(c, path, NULL, NULL, why, why_len);
  if (!kh)
    return -1;
  char pref[256] = "";
  for (size_t i = 0; i < NTYPES; i++) {
    /* A dummy key of the type: MISMATCH means an entry of that type
     * exists for the host (hashed or not). */
    int r = libssh2_knownhost_checkp(kh, name, -1, "AAAA", 0,
                                     LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                         LIBSSH2_KNOWNHOST_KEYENC_BASE64 |
                                         key_types[i].kh,
                                     NULL);
    if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH ||
        r == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
      if (pref[0])
        strcat(pref, ",");
      strcat(pref, key_types[i].method);
    }
  }
  libssh2_knownhost_free(kh);
  if (!pref[0]) /* unknown host: anything we can check, best first */
    for (size_t i = 0; i < NTYPES; i++) {
      if (pref[0])
        strcat(pref, ",");
      strcat(pref, key_types[i].method);
    }
  if (libssh2_session_method_pref(c->session, LIBSSH2_METHOD_HOSTKEY, pref) !=
      0) {
    snprintf(why, why_len,
             "ssh %s: known_hosts (%s) records host key types (%s) this "
             "libssh2 cannot use: %s",
             c->label, path, pref, ssh_conn_error(c));
    return -1;
  }
  return 0;
}

/* Fingerprint of a base64 key as stored in known_hosts. */
static void fingerprint_b64(const char *b64, char *out, size_t cap) {
  size_t n = strlen(b64);
  unsigned char *raw = malloc(n / 4 * 3 + 3);
  int len = raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n) : -1;
  if (len < 0) {
    snprintf(out, cap, "SHA256:?");
    free(raw);
    return;
  }
  while (n > 0 && b64[n - 1] == '=') { /* DecodeBlock counts padding */
    n--;
    len--;
  }
  ssh_fingerprint(raw, (size_t)len, out, cap);
  free(raw);
}

static char *to_b64(const char *key, size_t len) {
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (out)
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)key, (int)len);
  return out;
}

/* Appends one line, as ssh does with accept-new: the file (and ~/.ssh)
 * are created private when missing. */
static int kh_append(struct ssh_conn *c, LIBSSH2_KNOWNHOSTS *kh,
                     const char *path, const char *name, const char *key,
                     size_t len, int kbit, char *why, size_t why_len) {
  struct libssh2_knownhost *entry = NULL;
  char line[16384];
  size_t linelen = 0;
  if (libssh2_knownhost_addc(kh, name, NULL, key, len, NULL, 0,
                             LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                 LIBSSH2_KNOWNHOST_KEYENC_RAW | kbit,
                             &entry) != 0 ||
      libssh2_knownhost_writeline(kh, entry, line, sizeof line, &linelen,
                                  LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
    snprintf(why, why_len, "ssh %s: cannot add the host key: %s", c->label,
             ssh_conn_error(c));
    return -1;
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    mkdir(dir, 0700); /* ~/.ssh on a fresh account; fails harmlessly */
  }
  int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(why, why_len,
             "ssh %s: host_key_check is accept-new but %s cannot be "
             "written: %s",
             c->label, path, strerror(errno));
    return -1;
  }
  /* A file whose last line has no newline must not swallow ours. */
  off_t end = lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n')
    (void)!write(fd, "\n", 1);
  ssize_t w = write(fd, line, linelen);
  int err = errno;
  close(fd);
  if (w != (ssize_t)linelen) {
    snprintf(why, why_len, "ssh %s: cannot write %s: %s", c->label, path,
             w < 0 ? strerror(err) : "short write");
    return -1;
  }
  return 0;
}

int ssh_hostkey_check(struct ssh_conn *c, char *why, size_t why_len) {
  size_t len = 0;
  int type = 0;
  const char *key = libssh2_session_hostkey(c->session, &len, &type);
  if (!key) {
    snprintf(why, why_len, "ssh %s: the host sent no host key: %s", c->label,
             ssh_conn_error(c));
    return -1;
  }
  size_t t = 0;
  while (t < NTYPES && key_types[t].hostkey != type)
    t++;
  if (t == NTYPES) {
    snprintf(why, why_len,
             "ssh %s: the host key is of a type libssh2 1.10 cannot check "
             "(give the host an ed25519 key)",
             c->label);
    return -1;
  }
  char fp[80], path[PATH_MAX], name[300];
  ssh_fingerprint(key, len, fp, sizeof fp);
  kh_path(c, path, sizeof path);
  kh_name(c, name, sizeof name);

  char *b64 = to_b64(key, len);
  if (!b64) {
    snprintf(why, why_len, "ssh %s: out of memory", c->label);
    return -1;
  }
  int revoked = 0;
  LIBSSH2_KNOWNHOSTS *kh = kh_load(c, path, b64, &revoked, why, why_len);
  free(b64);
  if (!kh)
    return -1;
  int rc = -1;
  if (revoked) {
    snprintf(why, why_len,
             "ssh %s: REFUSED: the host key (%s %s) is marked @revoked in "
             "%s",
             c->label, key_types[t].name, fp, path);
    goto out;
  }
  struct libssh2_knownhost *found = NULL;
  int r = libssh2_knownhost_checkp(kh, name, -1, key, len,
                                   LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                       LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                       key_types[t].kh,
                                   &found);
  switch (r) {
  case LIBSSH2_KNOWNHOST_CHECK_MATCH:
    rc = 0;
    break;
  case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: {
    char old[80];
    fingerprint_b64(found && found->key ? found->key : "", old, sizeof old);
    snprintf(why, why_len,
             "ssh %s: REFUSED: the host key has CHANGED (someone may be "
             "intercepting the connection, or the host was reinstalled): %s "
             "records %s %s, the host now offers %s %s. If the change is "
             "expected, remove the old entry with: ssh-keygen -R '%s' -f %s",
             c->label, path, key_types[t].name, old, key_types[t].name, fp,
             name, path);
    break;
  }
  case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
    if (c->conf->host_key_check == PYDRON_HOST_KEY_ACCEPT_NEW) {
      if (kh_append(c, kh, path, name, key, len, key_types[t].kh, why,
                    why_len) == 0) {
        fprintf(stderr, "pydron: ssh %s: added %s (%s %s) to %s\n", c->label,
                name, key_types[t].name, fp, path);
        rc = 0;
      }
      break;
    }
    snprintf(why, why_len,
             "ssh %s: REFUSED: unknown host key: %s is not in %s; it offers "
             "%s %s. Check that fingerprint on the host (ssh-keygen -lf "
             "/etc/ssh/ssh_host_%s_key.pub), then add it with: ssh-keyscan "
             "-p %d -t %s %s >> %s (or log in once with: ssh -p %d %s@%s), "
             "or set \"host_key_check\": \"accept-new\" for this host in "
             "pydron.conf",
             c->label, name, path, key_types[t].name, fp, key_types[t].scan,
             c->port, key_types[t].scan, c->host, path, c->port, c->user,
             c->host);
    break;
  default:
    snprintf(why, why_len, "ssh %s: cannot check the host key against %s: %s",
             c->label, path, ssh_conn_error(c));
    break;
  }
out:
  libssh2_knownhost_free(kh);
  return rc;
}
