/* schema.c - pydron.conf's schema: JSON in, struct pydron_config out.
 *
 * Validation is strict on purpose. A configuration decides where a program's
 * work (and its data) goes; a typo that is silently ignored ("coers": 4)
 * sends it somewhere the user did not mean. So every key must be known,
 * every value must have the right type and range, and the first problem
 * stops the load with a message that names the file, the line and column,
 * the JSON path (workers[1].cores), what is wrong and what to do.
 *
 * The keys of each worker type are described by a table (struct keyspec);
 * one generic routine checks and stores every value, and a small function
 * per type checks what involves several keys (password or key, not both).
 * Secrets (passwords, passphrases, cloud access keys, inline private keys)
 * never appear in a message: for them only the type of a wrong value is
 * told, never the value.
 *
 * The original (Python) Pydron's files stay valid: same top-level shape
 * {"workers": [...]}, same keys. Keys it had only for its TCP transport
 * ("data_ports", "preconnect") and its one scheduler ("trivial") are
 * accepted, checked, and noted as having no effect.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "schema.h"

#define MAX_DEPTH 4 /* workers[1].private_keys[0] is the deepest path */

/* ---- providers -------------------------------------------------------- */

/* The original passed "provider" to Apache libcloud; these are libcloud's
 * EC2 provider names (each fixes a region) plus a generic "ec2", which
 * needs "region". Only EC2 is supported: it is the only provider the
 * original was ever tried with. */
static const struct {
  const char *name;
  const char *region;
} providers[] = {
    {"ec2", NULL},
    {"ec2_us_east", "us-east-1"},
    {"ec2_us_east_ohio", "us-east-2"},
    {"ec2_us_west", "us-west-1"},
    {"ec2_us_west_oregon", "us-west-2"},
    {"ec2_ca_central_1", "ca-central-1"},
    {"ec2_eu_west", "eu-west-1"},
    {"ec2_eu_west_london", "eu-west-2"},
    {"ec2_sa_east", "sa-east-1"},
    {"ec2_ap_southeast", "ap-southeast-1"},
    {"ec2_ap_southeast_2", "ap-southeast-2"},
    {"ec2_ap_northeast", "ap-northeast-1"},
    {"ec2_ap_northeast_1", "ap-northeast-1"},
    {"ec2_ap_northeast_2", "ap-northeast-2"},
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* ---- the key tables --------------------------------------------------- */

enum vkind {
  V_TYPE,         /* handled by the caller: "type", the top-level "workers" */
  V_STR,          /* a non-empty string, checked by `check` */
  V_STR_TO_LIST,  /* a string appended to a strlist ("privatekey") */
  V_STRLIST,      /* an array of non-empty strings */
  V_INT,          /* an integer in [min, max] */
  V_BOOL,         /* true or false */
  V_ENUM,         /* one of `choices`; the index is stored as an int */
  V_LEGACY_PORTS, /* the original's "data_ports": checked, no effect */
  V_LEGACY_BOOL,  /* the original's "preconnect": checked, no effect */
};

enum {
  F_REQUIRED = 1 << 0,
  F_SECRET = 1 << 1,
};

/* Checks a string value. Returns NULL when it is fine, else writes what is
 * wrong into buf ("expected an absolute path ..., got \"tmp\"") and returns
 * buf. `shown` is the value as a message may show it (quoted, cut). */
typedef const char *(*str_check_fn)(const char *value, const char *shown,
                                    char *buf, size_t cap);

struct keyspec {
  const char *name;
  enum vkind kind;
  unsigned flags;
  size_t offset; /* of the field in struct pydron_worker_conf */
  int min, max;  /* V_INT */
  const char *const *choices; /* V_ENUM, NULL-terminated */
  str_check_fn check;         /* V_STR, V_STR_TO_LIST, V_STRLIST */
  const char *fix;            /* what to do when the value is wrong */
};

static const char *check_plain(const char *, const char *, char *, size_t);
static const char *check_host(const char *, const char *, char *, size_t);
static const char *check_abspath(const char *, const char *, char *, size_t);
static const char *check_url(const char *, const char *, char *, size_t);
static const char *check_region(const char *, const char *, char *, size_t);
static const char *check_provider(const char *, const char *, char *, size_t);

static const char *const isolation_names[] = {"thread", "process", NULL};
static const char *const host_key_names[] = {"strict", "accept-new", NULL};
static const char *const scheduler_names[] = {"trivial", NULL};
static const char *const no_workers_names[] = {"threads", "fail", NULL};

#define W(field) offsetof(struct pydron_worker_conf, field)

/* Shared by every worker type: the original's TCP settings. */
#define LEGACY_KEYS                                                            \
  {"data_ports", V_LEGACY_PORTS, 0, 0, 0, 0, NULL, NULL,                       \
   "give a port, a range \"9000-9010\" or a list of ports, or remove it "      \
   "(Pydron for C opens no ports)"},                                           \
  {                                                                            \
    "preconnect", V_LEGACY_BOOL, 0, 0, 0, 0, NULL, NULL,                       \
        "write true or false, or remove it (it has no effect)"                 \
  }

static const struct keyspec multicore_keys[] = {
    {"type", V_TYPE, F_REQUIRED, 0, 0, 0, NULL, NULL, NULL},
    {"cores", V_INT, 0, W(u.multicore.cores), 1, PYDRON_CONFIG_MAX_CORES, NULL,
     NULL,
     "give the number of threads to run chunks on, or leave \"cores\" out to "
     "use every core"},
    {"isolation", V_ENUM, 0, W(u.multicore.isolation), 0, 0, isolation_names,
     NULL, "write \"thread\" (the default) or \"process\""},
    LEGACY_KEYS,
    {NULL, V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const struct keyspec ssh_keys[] = {
    {"type", V_TYPE, F_REQUIRED, 0, 0, 0, NULL, NULL, NULL},
    {"hostname", V_STR, F_REQUIRED, W(u.ssh.hostname), 0, 0, NULL, check_host,
     "give the host's name or address, e.g. \"node1.example.org\""},
    {"port", V_INT, 0, W(u.ssh.port), 1, 65535, NULL, NULL,
     "give the SSH port (1 to 65535), or leave \"port\" out for 22"},
    {"username", V_STR, 0, W(u.ssh.username), 0, 0, NULL, check_plain,
     "give the login name, or leave \"username\" out to use yours"},
    {"password", V_STR, F_SECRET, W(u.ssh.password), 0, 0, NULL, check_plain,
     "give the password as a string, or leave it out to use a key or the "
     "ssh-agent"},
    {"privatekey", V_STR_TO_LIST, 0, W(u.ssh.privatekeys), 0, 0, NULL,
     check_plain, "give the path of the private key file, e.g. "
                  "\"~/.ssh/id_ed25519\""},
    {"private_key_files", V_STRLIST, 0, W(u.ssh.privatekeys), 0, 0, NULL,
     check_plain, "give a list of private key file paths"},
    {"private_keys", V_STRLIST, F_SECRET, W(u.ssh.private_keys), 0, 0, NULL,
     NULL, "give a list of private keys (the keys' text)"},
    {"publickey", V_STR, 0, W(u.ssh.publickey), 0, 0, NULL, check_plain,
     "give the path of the public key file, or leave it out"},
    {"passphrase", V_STR, F_SECRET, W(u.ssh.passphrase), 0, 0, NULL,
     check_plain, "give the private key's passphrase as a string"},
    {"tmp_dir", V_STR, 0, W(u.ssh.tmp_dir), 0, 0, NULL, check_abspath,
     "give an absolute directory on the host, or leave \"tmp_dir\" out for "
     "/tmp"},
    {"cores", V_INT, 0, W(u.ssh.cores), 1, PYDRON_CONFIG_MAX_CORES, NULL, NULL,
     "give the number of threads to use on the host, or leave \"cores\" out "
     "to use every core it has"},
    {"host_key_check", V_ENUM, 0, W(u.ssh.host_key_check), 0, 0,
     host_key_names, NULL,
     "write \"strict\" (the default) or \"accept-new\""},
    {"known_hosts", V_STR, 0, W(u.ssh.known_hosts), 0, 0, NULL, check_plain,
     "give the path of a known_hosts file, or leave it out for "
     "~/.ssh/known_hosts"},
    {"keep_cache", V_BOOL, 0, W(u.ssh.keep_cache), 0, 0, NULL, NULL,
     "write true (the default: the shipped program stays cached on the "
     "host for the next run) or false"},
    LEGACY_KEYS,
    {NULL, V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const struct keyspec cloud_keys[] = {
    {"type", V_TYPE, F_REQUIRED, 0, 0, 0, NULL, NULL, NULL},
    {"provider", V_STR, 0, W(u.cloud.provider), 0, 0, NULL, check_provider,
     "give an EC2 provider such as \"ec2_us_east\", or \"ec2\" with a "
     "\"region\""},
    {"region", V_STR, 0, W(u.cloud.region), 0, 0, NULL, check_region,
     "give an AWS region such as \"eu-west-1\""},
    {"endpoint", V_STR, 0, W(u.cloud.endpoint), 0, 0, NULL, check_url,
     "give the EC2 API's URL, e.g. \"https://ec2.eu-west-1.amazonaws.com\", "
     "or leave it out"},
    {"accesskeyid", V_STR, 0, W(u.cloud.accesskeyid), 0, 0, NULL, check_plain,
     "give the AWS access key id, or leave it out to use AWS_ACCESS_KEY_ID"},
    {"accesskey", V_STR, F_SECRET, W(u.cloud.accesskey), 0, 0, NULL,
     check_plain,
     "give the AWS secret access key, or leave it out to use "
     "AWS_SECRET_ACCESS_KEY"},
    {"imageid", V_STR, F_REQUIRED, W(u.cloud.imageid), 0, 0, NULL, check_plain,
     "give the machine image, e.g. \"ami-0abcdef1234567890\""},
    {"sizeid", V_STR, F_REQUIRED, W(u.cloud.sizeid), 0, 0, NULL, check_plain,
     "give the instance type, e.g. \"c5.large\""},
    {"username", V_STR, F_REQUIRED, W(u.cloud.username), 0, 0, NULL,
     check_plain,
     "give the image's login name, e.g. \"admin\" (Debian) or \"ubuntu\""},
    {"publickey", V_STR, 0, W(u.cloud.publickey), 0, 0, NULL, check_plain,
     "give the path of the public key file, or leave both keys out for a key "
     "made per run"},
    {"privatekey", V_STR, 0, W(u.cloud.privatekey), 0, 0, NULL, check_plain,
     "give the path of the private key file, or leave both keys out for a "
     "key made per run"},
    {"security_group", V_STR, 0, W(u.cloud.security_group), 0, 0, NULL,
     check_plain, "give a security group id such as \"sg-0123abcd\""},
    {"subnet", V_STR, 0, W(u.cloud.subnet), 0, 0, NULL, check_plain,
     "give a subnet id such as \"subnet-0123abcd\""},
    {"public_ip", V_BOOL, 0, W(u.cloud.public_ip), 0, 0, NULL, NULL,
     "write true (the default) or false"},
    {"tmp_dir", V_STR, 0, W(u.cloud.tmp_dir), 0, 0, NULL, check_abspath,
     "give an absolute directory on the instances, or leave \"tmp_dir\" out "
     "for /tmp"},
    {"count", V_INT, 0, W(u.cloud.count), 1, PYDRON_CONFIG_MAX_COUNT, NULL,
     NULL, "give the number of instances to start, or leave it out for 1"},
    {"cores", V_INT, 0, W(u.cloud.cores), 1, PYDRON_CONFIG_MAX_CORES, NULL,
     NULL,
     "give the number of threads per instance, or leave \"cores\" out to use "
     "every core"},
    {"ttl_minutes", V_INT, 0, W(u.cloud.ttl_minutes), 1,
     PYDRON_CONFIG_MAX_TTL_MINUTES, NULL, NULL,
     "give the minutes after which instances stop themselves, or leave it "
     "out for 60"},
    LEGACY_KEYS,
    {NULL, V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
};

#define F(field) offsetof(struct pydron_faults_conf, field)
static const struct keyspec faults_keys[] = {
    {"lease_seconds", V_INT, 0, F(lease_seconds), 1,
     PYDRON_FAULTS_MAX_LEASE_SECONDS, NULL, NULL,
     "give the seconds of silence after which a worker is given up on "
     "(1 to 3600), or leave it out for 10"},
    {"chunk_retries", V_INT, 0, F(chunk_retries), 0,
     PYDRON_FAULTS_MAX_CHUNK_RETRIES, NULL, NULL,
     "give how often a chunk that crashed on a worker is retried on another "
     "(0 to 3), or leave it out for 1"},
    {"worker_restarts", V_INT, 0, F(worker_restarts), 0,
     PYDRON_FAULTS_MAX_WORKER_RESTARTS, NULL, NULL,
     "give how often a lost worker is started again (0 to 100), or leave it "
     "out for 3"},
    {"when_no_workers", V_ENUM, 0, F(when_no_workers), 0, 0, no_workers_names,
     NULL, "write \"threads\" (the default: loops go on here) or \"fail\""},
    {NULL, V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
};
#undef F

static const struct keyspec mpi_keys[] = {
    {"type", V_TYPE, F_REQUIRED, 0, 0, 0, NULL, NULL, NULL},
    {"cores", V_INT, 0, W(u.mpi.cores), 1, PYDRON_CONFIG_MAX_CORES, NULL, NULL,
     "give the number of threads per worker rank, or leave \"cores\" out to "
     "share each node's cores among its ranks"},
    {NULL, V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
};

/* The top level: offsets are unused (nothing is stored in a worker). */
static const struct keyspec top_keys[] = {
    {"workers", V_TYPE, F_REQUIRED, 0, 0, 0, NULL, NULL, NULL},
    {"faults", V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
    {"scheduler", V_ENUM, 0, 0, 0, 0, scheduler_names, NULL,
     "write \"trivial\" or remove it"},
    {"data_ports", V_LEGACY_PORTS, 0, 0, 0, 0, NULL, NULL,
     "give a port, a range \"9000-9010\" or a list of ports, or remove it"},
    {NULL, V_TYPE, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const type_names[] = {"multicore", "ssh", "cloud", "mpi",
                                         NULL};
static const struct keyspec *const type_keys[] = {multicore_keys, ssh_keys,
                                                  cloud_keys, mpi_keys};

/* Names people write out of habit (OpenSSH, boto, OpenMP) that are not the
 * distance of a typo away from ours. */
static const struct {
  const char *alias, *name;
} key_aliases[] = {
    {"host", "hostname"},       {"user", "username"},
    {"identityfile", "privatekey"}, {"identity_file", "privatekey"},
    {"key", "privatekey"},      {"threads", "cores"},
    {"num_threads", "cores"},   {"ttl", "ttl_minutes"},
    {"instance_type", "sizeid"}, {"ami", "imageid"},
    {"secret_access_key", "accesskey"},
    {"aws_access_key_id", "accesskeyid"},
    {"aws_secret_access_key", "accesskey"},
    {"worker", "workers"},
};

/* ---- the parse context and its messages ------------------------------- */

struct ctx {
  const char *file, *text;
  size_t len;
  struct pydron_config *out;
  struct pydron_config_error *err;
  struct pydron_json_seg segs[MAX_DEPTH];
  int nsegs;
  char *secret_at;
  size_t secret_cap;
};

static void push_key(struct ctx *c, const char *key) {
  c->segs[c->nsegs].key = key;
  c->segs[c->nsegs].index = 0;
  c->nsegs++;
}

static void push_index(struct ctx *c, size_t index) {
  c->segs[c->nsegs].key = NULL;
  c->segs[c->nsegs].index = index;
  c->nsegs++;
}

static void pop(struct ctx *c) { c->nsegs--; }

static int is_ident(const char *s) {
  if (!*s || isdigit((unsigned char)*s))
    return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
      return 0;
  return 1;
}

/* Formats the path in segs[0..n) as workers[1].cores; a name that is not a
 * plain word is quoted the JSON way: workers[0]["my key"]. */
static void format_path(const struct pydron_json_seg *segs, int n, char *buf,
                        size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && used < cap; i++) {
    int w;
    if (!segs[i].key)
      w = snprintf(buf + used, cap - used, "[%zu]", segs[i].index);
    else if (is_ident(segs[i].key))
      w = snprintf(buf + used, cap - used, "%s%s", used ? "." : "",
                   segs[i].key);
    else {
      json_t *s = json_string(segs[i].key);
      char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
      w = snprintf(buf + used, cap - used, "[%s]", q ? q : "?");
      free(q);
      json_decref(s);
    }
    if (w < 0)
      break;
    used += (size_t)w;
  }
  if (used >= cap && cap > 4)
    memcpy(buf + cap - 4, "...", 4);
}

/* Reports a schema error at the current path: the value's position, or with
 * at_key the member name's (for unknown keys, so the caret lands on the
 * name). Always returns -1, so callers can `return fail(...)`. */
static int vfail(struct ctx *c, int at_key, const char *fmt, va_list ap) {
  char path[256], msg[1024];
  int line = 0, column = 0;
  format_path(c->segs, c->nsegs, path, sizeof path);
  vsnprintf(msg, sizeof msg, fmt, ap);
  pydron_json_locate(c->text, c->len, c->segs, c->nsegs, at_key, &line,
                     &column);
  if (line > 0)
    pydron_config_set_error(c->err, PYDRON_CONFIG_ERR_SCHEMA, "%s:%d:%d: %s%s%s",
                            c->file, line, column, path, path[0] ? ": " : "",
                            msg);
  else
    pydron_config_set_error(c->err, PYDRON_CONFIG_ERR_SCHEMA, "%s: %s%s%s",
                            c->file, path, path[0] ? ": " : "", msg);
  c->err->line = line;
  c->err->column = column;
  return -1;
}

static int fail(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(c, 0, fmt, ap);
  va_end(ap);
  return -1;
}

static int fail_at_key(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail_at_key(struct ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(c, 1, fmt, ap);
  va_end(ap);
  return -1;
}

static void add_note(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_note(struct ctx *c, const char *fmt, ...) {
  struct pydron_config *out = c->out;
  char path[128];
  if (out->nnotes >= PYDRON_CONFIG_MAX_NOTES)
    return;
  format_path(c->segs, c->nsegs, path, sizeof path);
  char *buf = out->notes[out->nnotes++].text;
  size_t cap = sizeof out->notes[0].text;
  int w = snprintf(buf, cap, "%s: ", path);
  va_list ap;
  va_start(ap, fmt);
  if (w > 0 && (size_t)w < cap)
    vsnprintf(buf + w, cap - (size_t)w, fmt, ap);
  va_end(ap);
}

/* What a JSON value is, for "expected X, got Y". Secret values are never
 * shown, only their type; long strings are cut. */
static void describe(const json_t *v, int secret, char *buf, size_t cap) {
  static const char *const kinds[] = {
      [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
      [JSON_STRING] = "a string",  [JSON_INTEGER] = "an integer",
      [JSON_REAL] = "a number",    [JSON_TRUE] = "true",
      [JSON_FALSE] = "false",      [JSON_NULL] = "null"};
  json_type t = json_typeof(v);
  if (secret || t == JSON_OBJECT || t == JSON_ARRAY || t == JSON_TRUE ||
      t == JSON_FALSE || t == JSON_NULL) {
    snprintf(buf, cap, "%s", kinds[t]);
    return;
  }
  char *s = json_dumps(v, JSON_ENCODE_ANY);
  if (!s) {
    snprintf(buf, cap, "%s", kinds[t]);
    return;
  }
  if (strlen(s) > 48)
    snprintf(buf, cap, "%.44s...%s", s, t == JSON_STRING ? "\"" : "");
  else
    snprintf(buf, cap, "%s", s);
  free(s);
}

/* "thread" or "process" / "strict" or "accept-new" / "a", "b" or "c" */
static void list_choices(const char *const *choices, char *buf, size_t cap) {
  size_t n = 0, used = 0;
  while (choices[n])
    n++;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < cap; i++) {
    const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
    int w = snprintf(buf + used, cap - used, "%s\"%s\"", sep, choices[i]);
    if (w < 0)
      break;
    used += (size_t)w;
  }
}

/* ---- near misses ------------------------------------------------------ */

/* Optimal string alignment distance (Levenshtein plus swapping two
 * neighbours, the commonest typo), case-insensitive, for names up to 63
 * characters; longer names are never near misses. */
static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  int d[64][64];
  if (la >= 64 || lb >= 64)
    return 1000;
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int ca = tolower((unsigned char)a[i - 1]);
      int cb = tolower((unsigned char)b[j - 1]);
      int best = d[i - 1][j - 1] + (ca != cb);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          cb == tolower((unsigned char)a[i - 2]) && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

/* The known name closest to `word`, if it is close enough to be a typo:
 * one edit for short words, two for longer ones; or a habitual alias. */
static const char *near_miss(const char *word, const char *const *names,
                             size_t n) {
  const char *best = NULL;
  int best_d = 1000;
  size_t len = strlen(word);
  int limit = len <= 4 ? 1 : 2;
  for (size_t i = 0; i < n; i++) {
    int d = edit_distance(word, names[i]);
    if (d < best_d) {
      best_d = d;
      best = names[i];
    }
  }
  if (best && best_d <= limit)
    return best;
  for (size_t i = 0; i < sizeof key_aliases / sizeof key_aliases[0]; i++) {
    if (strcasecmp(word, key_aliases[i].alias) != 0)
      continue;
    for (size_t j = 0; j < n; j++)
      if (strcmp(names[j], key_aliases[i].name) == 0)
        return names[j];
  }
  return NULL;
}

/* ---- string checks ---------------------------------------------------- */

static const char *check_plain(const char *v, const char *shown, char *buf,
                               size_t cap) {
  (void)shown; /* may be a secret: never part of the message */
  for (const unsigned char *p = (const unsigned char *)v; *p; p++)
    if (*p < 0x20 || *p == 0x7f) {
      snprintf(buf, cap, "contains a control character");
      return buf;
    }
  return NULL;
}

static const char *check_host(const char *v, const char *shown, char *buf,
                              size_t cap) {
  const char *colon = strchr(v, ':');
  if (check_plain(v, shown, buf, cap))
    return buf;
  if (strpbrk(v, " \t"))
    snprintf(buf, cap, "%s is not a host name (it has a space)", shown);
  else if (v[0] == '-')
    snprintf(buf, cap, "%s is not a host name (it starts with \"-\")", shown);
  else if (strchr(v, '@'))
    snprintf(buf, cap,
             "%s has an \"@\": put the login name in \"username\" and only the "
             "host here",
             shown);
  else if (colon && !strchr(colon + 1, ':')) /* IPv6 addresses have more */
    snprintf(buf, cap,
             "%s has a \":\": put the port in \"port\" and only the host here",
             shown);
  else
    return NULL;
  return buf;
}

static const char *check_abspath(const char *v, const char *shown, char *buf,
                                 size_t cap) {
  if (check_plain(v, shown, buf, cap))
    return buf;
  if (v[0] == '/')
    return NULL;
  snprintf(buf, cap, "expected an absolute path (starting with \"/\"), got %s",
           shown);
  return buf;
}

static const char *check_url(const char *v, const char *shown, char *buf,
                             size_t cap) {
  if (check_plain(v, shown, buf, cap))
    return buf;
  if ((strncmp(v, "https://", 8) == 0 && v[8]) ||
      (strncmp(v, "http://", 7) == 0 && v[7]))
    if (!strpbrk(v, " \t"))
      return NULL;
  snprintf(buf, cap, "expected an http:// or https:// URL, got %s", shown);
  return buf;
}

static const char *check_region(const char *v, const char *shown, char *buf,
                                size_t cap) {
  int ok = strchr(v, '-') != NULL;
  for (const char *p = v; *p && ok; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
  if (ok)
    return NULL;
  snprintf(buf, cap, "%s is not an AWS region name (such as \"eu-west-1\")",
           shown);
  return buf;
}

static const char *check_provider(const char *v, const char *shown, char *buf,
                                  size_t cap) {
  const char *names[NPROVIDERS];
  for (size_t i = 0; i < NPROVIDERS; i++) {
    if (strcmp(v, providers[i].name) == 0)
      return NULL;
    names[i] = providers[i].name;
  }
  const char *near = near_miss(v, names, NPROVIDERS);
  size_t used = 0;
  int w = snprintf(buf, cap, "unknown provider %s", shown);
  if (w > 0)
    used = (size_t)w;
  if (near && used < cap) {
    w = snprintf(buf + used, cap - used, "; did you mean \"%s\"?", near);
    if (w > 0)
      used += (size_t)w;
  }
  if (used < cap)
    snprintf(buf + used, cap - used,
             " (EC2 only: \"ec2\" with a \"region\", or one of ec2_us_east, "
             "ec2_us_east_ohio, ec2_us_west, ec2_us_west_oregon, "
             "ec2_ca_central_1, ec2_eu_west, ec2_eu_west_london, ec2_sa_east, "
             "ec2_ap_southeast, ec2_ap_southeast_2, ec2_ap_northeast, "
             "ec2_ap_northeast_1, ec2_ap_northeast_2)");
  return buf;
}

/* ---- values ----------------------------------------------------------- */

static const struct keyspec *find_key(const struct keyspec *keys,
                                      const char *name) {
  for (; keys->name; keys++)
    if (strcmp(keys->name, name) == 0)
      return keys;
  return NULL;
}

/* The keys a user should know about (the original's TCP keys are left out:
 * they are accepted, not recommended), for "unknown key" messages. */
static size_t key_names(const struct keyspec *keys, const char **names,
                        size_t cap) {
  size_t n = 0;
  for (; keys->name && n < cap; keys++)
    if (keys->kind != V_LEGACY_PORTS && keys->kind != V_LEGACY_BOOL)
      names[n++] = keys->name;
  return n;
}

/* Where a member is stored: `dst` is the struct the key table describes
 * (a worker entry, or the "faults" object). */
static void *field(void *w, const struct keyspec *k) {
  return (char *)w + k->offset;
}

static void note_secret(struct ctx *c) {
  if (c->secret_at[0])
    return;
  format_path(c->segs, c->nsegs, c->secret_at, c->secret_cap);
}

/* A quoted-number hint: "4" for an integer is a common slip. */
static const char *quoted_number_hint(const json_t *v) {
  if (!json_is_string(v))
    return "";
  const char *s = json_string_value(v);
  char *end;
  if (!*s)
    return "";
  (void)strtol(s, &end, 10);
  return *end == '\0' ? " (write the number without quotes)" : "";
}

static int check_string(struct ctx *c, const struct keyspec *k,
                        const json_t *v, const char **out) {
  char got[96], why[640];
  int secret = (k->flags & F_SECRET) != 0;
  describe(v, secret, got, sizeof got);
  if (!json_is_string(v))
    return fail(c, "expected a string, got %s; %s", got, k->fix);
  const char *s = json_string_value(v);
  if (!s[0])
    return fail(c, "must not be empty; %s", k->fix);
  if (k->check && k->check(s, got, why, sizeof why))
    return fail(c, "%s; %s", why, k->fix);
  *out = s;
  return 0;
}

static int set_string(struct ctx *c, char **slot, const char *s) {
  char *copy = strdup(s);
  if (!copy) {
    pydron_config_set_error(c->err, PYDRON_CONFIG_ERR_NOMEM,
                            "%s: out of memory while reading the file",
                            c->file);
    return -1;
  }
  *slot = copy;
  return 0;
}

static int list_append(struct ctx *c, struct pydron_strlist *l, const char *s) {
  char **grown = realloc(l->items, (l->count + 1) * sizeof *grown);
  if (!grown) {
    pydron_config_set_error(c->err, PYDRON_CONFIG_ERR_NOMEM,
                            "%s: out of memory while reading the file",
                            c->file);
    return -1;
  }
  l->items = grown;
  l->items[l->count] = NULL;
  if (set_string(c, &l->items[l->count], s) != 0)
    return -1;
  l->count++;
  return 0;
}

/* "privatekey" and "private_key_files" fill the same list. */
static int list_taken(struct ctx *c, const struct pydron_strlist *l) {
  if (l->count == 0)
    return 0;
  return fail(c, "the private key is given twice; give either \"privatekey\" "
                 "or the original's \"private_key_files\", not both");
}

static int check_ports(struct ctx *c, const struct keyspec *k,
                       const json_t *v) {
  char got[96];
  describe(v, 0, got, sizeof got);
  if (json_is_integer(v)) {
    json_int_t p = json_integer_value(v);
    if (p >= 0 && p <= 65535)
      return 0;
  } else if (json_is_string(v)) {
    unsigned lo, hi;
    char tail;
    if (sscanf(json_string_value(v), "%u-%u%c", &lo, &hi, &tail) == 2 &&
        lo <= hi && hi <= 65535)
      return 0;
  } else if (json_is_array(v) && json_array_size(v) > 0) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      if (!json_is_integer(e) || json_integer_value(e) < 0 ||
          json_integer_value(e) > 65535) {
        push_index(c, i);
        describe(e, 0, got, sizeof got);
        int r = fail(c, "expected a port number (0 to 65535), got %s; %s",
                     got, k->fix);
        pop(c);
        return r;
      }
    }
    return 0;
  }
  return fail(c, "expected a port, a range \"first-last\" or a list of ports, "
                 "got %s; %s", got, k->fix);
}

/* Checks one member's value against its spec and stores it in `w` (NULL
 * at the top level, where nothing is stored). The member's name is the
 * last segment of the current path. */
static int store_value(struct ctx *c, const struct keyspec *k, json_t *v,
                       void *w) {
  char got[96], choices[160];
  const char *s;
  int secret = (k->flags & F_SECRET) != 0;
  if (secret)
    note_secret(c);
  describe(v, secret, got, sizeof got);

  switch (k->kind) {
  case V_TYPE:
    return 0;
  case V_STR:
    if (check_string(c, k, v, &s) != 0)
      return -1;
    return set_string(c, (char **)field(w, k), s);
  case V_STR_TO_LIST:
    if (check_string(c, k, v, &s) != 0 || list_taken(c, field(w, k)) != 0)
      return -1;
    return list_append(c, field(w, k), s);
  case V_STRLIST: {
    size_t i;
    json_t *e;
    if (!json_is_array(v))
      return fail(c, "expected a list of strings, got %s; %s", got, k->fix);
    if (json_array_size(v) == 0)
      return fail(c, "the list is empty; %s, or remove the key", k->fix);
    if (list_taken(c, field(w, k)) != 0)
      return -1;
    json_array_foreach(v, i, e) {
      push_index(c, i);
      int r = check_string(c, k, e, &s);
      if (r == 0)
        r = list_append(c, field(w, k), s);
      pop(c);
      if (r != 0)
        return -1;
    }
    return 0;
  }
  case V_INT: {
    const char *expect = k->max == 65535 ? "a port number (1 to 65535)"
                                          : "a positive integer";
    if (!json_is_integer(v))
      return fail(c, "expected %s, got %s%s; %s", expect, got,
                  quoted_number_hint(v), k->fix);
    json_int_t n = json_integer_value(v);
    if (n < k->min)
      return fail(c, "expected %s, got %s; %s", expect, got, k->fix);
    if (n > k->max)
      return fail(c, "expected at most %d, got %s; %s", k->max, got, k->fix);
    *(int *)field(w, k) = (int)n;
    return 0;
  }
  case V_BOOL:
    if (!json_is_boolean(v))
      return fail(c, "expected true or false, got %s; %s", got, k->fix);
    *(int *)field(w, k) = json_is_true(v);
    return 0;
  case V_ENUM: {
    list_choices(k->choices, choices, sizeof choices);
    if (!json_is_string(v))
      return fail(c, "expected %s, got %s; %s", choices, got, k->fix);
    s = json_string_value(v);
    size_t n = 0;
    for (; k->choices[n]; n++)
      if (strcmp(s, k->choices[n]) == 0) {
        if (w)
          *(int *)field(w, k) = (int)n;
        return 0;
      }
    const char *near = near_miss(s, (const char **)k->choices, n);
    if (near)
      return fail(c, "unknown value %s; did you mean \"%s\"? (expected %s)",
                  got, near, choices);
    return fail(c, "expected %s, got %s; %s", choices, got, k->fix);
  }
  case V_LEGACY_PORTS:
    if (check_ports(c, k, v) != 0)
      return -1;
    add_note(c, "has no effect: Pydron for C talks to its workers over pipes "
                "and SSH channels and opens no ports");
    return 0;
  case V_LEGACY_BOOL:
    if (!json_is_boolean(v))
      return fail(c, "expected true or false, got %s; %s", got, k->fix);
    add_note(c, "has no effect: workers are connected when the first "
                "parallel loop starts");
    return 0;
  }
  return 0;
}

/* Checks every member of `obj` against `keys`, in the order of the file, so
 * that the first problem reported is the first one a reader meets. */
static int check_members(struct ctx *c, json_t *obj,
                         const struct keyspec *keys, const char *what,
                         void *w) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    const struct keyspec *k = find_key(keys, key);
    push_key(c, key);
    if (!k) {
      const char *names[32] = {NULL};
      char known[512];
      size_t n = key_names(keys, names, 32), used = 0;
      const char *near = near_miss(key, names, n);
      known[0] = '\0';
      for (size_t i = 0; i < n && used < sizeof known; i++) {
        int wr = snprintf(known + used, sizeof known - used, "%s%s",
                          i ? ", " : "", names[i]);
        if (wr > 0)
          used += (size_t)wr;
      }
      if (near)
        return fail_at_key(c, "unknown key in %s; did you mean \"%s\"? "
                              "(known keys: %s)", what, near, known);
      return fail_at_key(c, "unknown key in %s; remove it (known keys: %s)",
                         what, known);
    }
    int r = store_value(c, k, v, w);
    pop(c);
    if (r != 0)
      return -1;
  }
  return 0;
}

static int check_required(struct ctx *c, json_t *obj,
                          const struct keyspec *keys, const char *what) {
  for (; keys->name; keys++)
    if ((keys->flags & F_REQUIRED) && !json_object_get(obj, keys->name))
      return fail(c, "%s has no \"%s\"; %s", what, keys->name, keys->fix);
  return 0;
}

/* ---- worker entries --------------------------------------------------- */

static void set_defaults(struct pydron_worker_conf *w) {
  switch (w->type) {
  case PYDRON_WORKER_MULTICORE:
    w->u.multicore.cores = 0;
    w->u.multicore.isolation = PYDRON_ISOLATION_THREAD;
    break;
  case PYDRON_WORKER_SSH:
    w->u.ssh.port = 22;
    w->u.ssh.cores = 0;
    w->u.ssh.host_key_check = PYDRON_HOST_KEY_STRICT;
    w->u.ssh.keep_cache = 1;
    break;
  case PYDRON_WORKER_MPI:
    w->u.mpi.cores = 0;
    break;
  case PYDRON_WORKER_CLOUD:
    w->u.cloud.public_ip = 1;
    w->u.cloud.count = 1;
    w->u.cloud.cores = 0;
    w->u.cloud.ttl_minutes = 60;
    break;
  }
}

/* Defaults that are strings are filled in after the members, so that a
 * member the file gives is stored once, not over a default. */
static int fill_string_defaults(struct ctx *c, struct pydron_worker_conf *w) {
  switch (w->type) {
  case PYDRON_WORKER_MULTICORE:
  case PYDRON_WORKER_MPI:
    return 0;
  case PYDRON_WORKER_SSH:
    if (!w->u.ssh.tmp_dir && set_string(c, &w->u.ssh.tmp_dir, "/tmp") != 0)
      return -1;
    if (!w->u.ssh.known_hosts &&
        set_string(c, &w->u.ssh.known_hosts, "~/.ssh/known_hosts") != 0)
      return -1;
    return 0;
  case PYDRON_WORKER_CLOUD:
    if (!w->u.cloud.tmp_dir && set_string(c, &w->u.cloud.tmp_dir, "/tmp") != 0)
      return -1;
    return 0;
  }
  return 0;
}

/* Fails at member `key` of the current entry. */
static int fail_member(struct ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_member(struct ctx *c, const char *key, const char *fmt, ...) {
  va_list ap;
  push_key(c, key);
  va_start(ap, fmt);
  vfail(c, 0, fmt, ap);
  va_end(ap);
  pop(c);
  return -1;
}

static int check_ssh(struct ctx *c, struct pydron_ssh_conf *s) {
  size_t keys = s->privatekeys.count + s->private_keys.count;
  if (s->password && keys)
    return fail_member(c, "password",
                       "give either \"password\" or a private key, not both; "
                       "remove one of them (with neither, the ssh-agent is "
                       "asked)");
  if (s->publickey && s->privatekeys.count == 0)
    return fail_member(c, "publickey",
                       "\"publickey\" goes with a \"privatekey\", and the "
                       "entry has none; add the private key's path, or remove "
                       "\"publickey\"");
  if (s->publickey && s->privatekeys.count > 1)
    return fail_member(c, "publickey",
                       "\"publickey\" goes with one private key, and the "
                       "entry names %zu; keep one key file, or remove "
                       "\"publickey\"",
                       s->privatekeys.count);
  if (s->passphrase && !keys)
    return fail_member(c, "passphrase",
                       "\"passphrase\" unlocks a private key, and the entry "
                       "has none; add \"privatekey\", or remove "
                       "\"passphrase\"");
  return 0;
}

static int check_cloud(struct ctx *c, struct pydron_cloud_conf *cl) {
  if (!cl->accesskeyid != !cl->accesskey)
    return fail_member(c, cl->accesskeyid ? "accesskeyid" : "accesskey",
                       "give both \"accesskeyid\" and \"accesskey\", or "
                       "neither (then AWS_ACCESS_KEY_ID, "
                       "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are used)");
  if (!cl->publickey != !cl->privatekey)
    return fail_member(c, cl->publickey ? "publickey" : "privatekey",
                       "give both \"publickey\" and \"privatekey\", or "
                       "neither (then every run makes its own key)");
  if (!cl->provider && !cl->region)
    return fail(c, "the \"cloud\" entry says neither \"provider\" nor "
                   "\"region\"; add e.g. \"provider\": \"ec2_us_east\", or "
                   "\"region\": \"us-east-1\"");
  if (!cl->provider)
    return set_string(c, &cl->provider, "ec2");
  const char *fixed = NULL;
  for (size_t i = 0; i < NPROVIDERS; i++)
    if (strcmp(cl->provider, providers[i].name) == 0)
      fixed = providers[i].region;
  if (!fixed) {
    if (!cl->region)
      return fail_member(c, "provider",
                         "provider \"ec2\" needs a \"region\"; add e.g. "
                         "\"region\": \"eu-west-1\", or name a provider with "
                         "its region such as \"ec2_eu_west\"");
    return 0;
  }
  if (!cl->region)
    return set_string(c, &cl->region, fixed);
  if (strcmp(cl->region, fixed) != 0)
    return fail_member(c, "region",
                       "region \"%s\" contradicts provider \"%s\", which is "
                       "in %s; remove \"region\", or write \"provider\": "
                       "\"ec2\" to choose the region freely",
                       cl->region, cl->provider, fixed);
  return 0;
}

static int parse_worker(struct ctx *c, json_t *e,
                        struct pydron_worker_conf *w) {
  char got[96], what[64];
  describe(e, 0, got, sizeof got);
  if (!json_is_object(e))
    return fail(c, "expected an object such as {\"type\": \"multicore\", "
                   "\"cores\": 4}, got %s",
                got);
  json_t *t = json_object_get(e, "type");
  if (!t)
    return fail(c, "the entry has no \"type\"; add \"type\": \"multicore\", "
                   "\"ssh\", \"cloud\" or \"mpi\"");
  push_key(c, "type");
  describe(t, 0, got, sizeof got);
  if (!json_is_string(t))
    return fail(c, "expected \"multicore\", \"ssh\", \"cloud\" or \"mpi\", "
                   "got %s",
                got);
  const char *type = json_string_value(t);
  size_t i = 0;
  while (type_names[i] && strcmp(type_names[i], type) != 0)
    i++;
  if (!type_names[i]) {
    const char *near = near_miss(type, (const char **)type_names, 4);
    if (near)
      return fail(c, "unknown worker type %s; did you mean \"%s\"?", got,
                  near);
    return fail(c, "unknown worker type %s; write \"multicore\" (this "
                   "machine), \"ssh\" (a host you can log in to), "
                   "\"cloud\" (EC2 instances) or \"mpi\" (the ranks of an "
                   "MPI job)",
                got);
  }
  pop(c);

  w->type = (enum pydron_worker_type)i;
  set_defaults(w);
  snprintf(what, sizeof what, "this \"%s\" entry", type);
  if (check_members(c, e, type_keys[i], what, w) != 0)
    return -1;
  snprintf(what, sizeof what, "the \"%s\" entry", type);
  if (check_required(c, e, type_keys[i], what) != 0)
    return -1;
  if (fill_string_defaults(c, w) != 0)
    return -1;
  if (w->type == PYDRON_WORKER_SSH)
    return check_ssh(c, &w->u.ssh);
  if (w->type == PYDRON_WORKER_CLOUD)
    return check_cloud(c, &w->u.cloud);
  return 0;
}

static int parse_top(struct ctx *c, json_t *root) {
  char got[96];
  describe(root, 0, got, sizeof got);
  if (!json_is_object(root))
    return fail(c, "the top level must be an object such as {\"workers\": "
                   "[{\"type\": \"multicore\"}]}, got %s",
                got);
  if (check_members(c, root, top_keys, "the top level", NULL) != 0)
    return -1;
  json_t *faults = json_object_get(root, "faults");
  if (faults) {
    push_key(c, "faults");
    describe(faults, 0, got, sizeof got);
    if (!json_is_object(faults))
      return fail(c, "expected an object such as {\"lease_seconds\": 10}, "
                     "got %s",
                  got);
    if (check_members(c, faults, faults_keys, "\"faults\"",
                      &c->out->faults) != 0)
      return -1;
    pop(c);
  }
  if (json_object_get(root, "scheduler")) {
    push_key(c, "scheduler");
    add_note(c, "has no effect: Pydron for C has one scheduler");
    pop(c);
  }
  json_t *workers = json_object_get(root, "workers");
  if (!workers)
    return fail(c, "the file has no \"workers\" list; add \"workers\": "
                   "[{\"type\": \"multicore\"}], or delete the file to use "
                   "every local core");
  push_key(c, "workers");
  describe(workers, 0, got, sizeof got);
  if (!json_is_array(workers))
    return fail(c, "expected a list of workers such as [{\"type\": "
                   "\"multicore\"}], got %s",
                got);
  size_t n = json_array_size(workers);
  if (n == 0)
    return fail(c, "the list is empty; add a worker such as {\"type\": "
                   "\"multicore\"}, or delete the file to use every local "
                   "core");
  c->out->workers = calloc(n, sizeof *c->out->workers);
  if (!c->out->workers) {
    pydron_config_set_error(c->err, PYDRON_CONFIG_ERR_NOMEM,
                            "%s: out of memory while reading the file",
                            c->file);
    return -1;
  }
  int multicore_at = -1, mpi_at = -1;
  for (size_t i = 0; i < n; i++) {
    struct pydron_worker_conf *w = &c->out->workers[i];
    /* Counted before parsing: free() then sees every string stored. */
    c->out->nworkers = i + 1;
    w->index = (int)i;
    push_index(c, i);
    pydron_json_locate(c->text, c->len, c->segs, c->nsegs, 0, &w->line,
                       &w->column);
    if (parse_worker(c, json_array_get(workers, i), w) != 0)
      return -1;
    if (w->type == PYDRON_WORKER_MPI) {
      if (mpi_at >= 0)
        return fail(c, "a second \"mpi\" entry (the first is workers[%d]); "
                       "an MPI job has one set of ranks: keep one entry",
                    mpi_at);
      mpi_at = (int)i;
    }
    if (w->type == PYDRON_WORKER_MULTICORE) {
      if (multicore_at >= 0)
        return fail(c, "a second \"multicore\" entry (the first is "
                       "workers[%d]); this machine's cores are one pool: "
                       "merge the two entries into one",
                    multicore_at);
      multicore_at = (int)i;
    }
    pop(c);
  }
  pop(c);
  return 0;
}

/* jansson's "near '...'" quotes the text where parsing stopped, which can be
 * part of a password; in a file that holds secrets that part is dropped. */
static const char *const secret_names[] = {"password", "passphrase",
                                           "accesskey", "private_keys"};

static int may_hold_secret(const char *text, size_t len) {
  for (size_t i = 0; i < sizeof secret_names / sizeof secret_names[0]; i++)
    if (memmem(text, len, secret_names[i], strlen(secret_names[i])))
      return 1;
  return 0;
}

int pydron_schema_parse(const char *file, const char *text, size_t len,
                        struct pydron_config *out,
                        struct pydron_config_error *err, char *secret_at,
                        size_t secret_cap) {
  json_error_t jerr;
  struct ctx c = {.file = file, .text = text, .len = len, .out = out,
                  .err = err, .secret_at = secret_at,
                  .secret_cap = secret_cap};
  secret_at[0] = '\0';
  pydron_faults_defaults(&out->faults);

  size_t i = 0;
  while (i < len && strchr(" \t\r\n", text[i]))
    i++;
  if (i == len) {
    pydron_config_set_error(err, PYDRON_CONFIG_ERR_SYNTAX,
                            "%s: the file is empty; write {\"workers\": "
                            "[{\"type\": \"multicore\"}]}, or delete it to "
                            "use every local core",
                            file);
    return -1;
  }
  /* JSON_DECODE_ANY: a file holding just "4" gets our message about the top
   * level, not jansson's "'[' or '{' expected". */
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                            &jerr);
  if (!root) {
    char msg[JSON_ERROR_TEXT_LENGTH];
    snprintf(msg, sizeof msg, "%s", jerr.text);
    char *near = strstr(msg, " near '");
    if (near && json_error_code(&jerr) != json_error_duplicate_key &&
        may_hold_secret(text, len))
      *near = '\0';
    if (json_error_code(&jerr) == json_error_duplicate_key)
      pydron_config_set_error(err, PYDRON_CONFIG_ERR_SYNTAX,
                              "%s:%d:%d: %s; remove one of the two (which "
                              "one counts would otherwise be a guess)",
                              file, jerr.line, jerr.column, msg);
    else
      pydron_config_set_error(err, PYDRON_CONFIG_ERR_SYNTAX,
                              "%s:%d:%d: not valid JSON: %s; fix the file "
                              "(JSON has no comments and no comma after the "
                              "last item)",
                              file, jerr.line, jerr.column, msg);
    err->line = jerr.line;
    err->column = jerr.column;
    return -1;
  }
  int r = parse_top(&c, root);
  json_decref(root);
  return r;
}
