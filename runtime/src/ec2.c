/* ec2.c - the EC2 Query API client (ec2.h): requests signed by libcurl's
 * SigV4, answers read by a small XML tree parser. */
#include "ec2.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define EC2_API_VERSION "2016-11-15"
#define EC2_TRIES 3
#define EC2_MAX_ANSWER (32u << 20) /* bytes */
#define EC2_MAX_PAGES 100
#define EC2_MAX_USER_DATA 16384 /* raw bytes, EC2's limit */

struct ec2_client {
  CURL *h;
  struct curl_slist *headers; /* Content-Type [, X-Amz-Security-Token] */
  char *url;                  /* the endpoint */
  char *region;
  char *keyid, *secret, *token; /* token NULL when none */
  char sigv4[96];
  char errbuf[CURL_ERROR_SIZE];
  char code[96]; /* last AWS error code */
};

/* ---- small helpers ---------------------------------------------------- */

static void wipe_free(char *p) {
  if (p) {
    explicit_bzero(p, strlen(p));
    free(p);
  }
}

/* Replaces every occurrence of secret in s, in place: by "<redacted>"
 * when the secret is at least as long (s never grows), else by as many
 * '*'. */
static void redact_one(char *s, const char *secret) {
  size_t n = secret ? strlen(secret) : 0;
  if (n < 4)
    return;
  for (char *p = strstr(s, secret); p; p = strstr(p, secret)) {
    static const char tag[] = "<redacted>";
    size_t t = sizeof tag - 1;
    if (n >= t) {
      memcpy(p, tag, t);
      memmove(p + t, p + n, strlen(p + n) + 1);
      p += t;
    } else {
      memset(p, '*', n);
      p += n;
    }
  }
}

static void say(const struct ec2_client *c, char *why, size_t why_len,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void say(const struct ec2_client *c, char *why, size_t why_len,
                const char *fmt, ...) {
  if (!why || !why_len)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, why_len, fmt, ap);
  va_end(ap);
  if (c) {
    redact_one(why, c->secret);
    redact_one(why, c->token);
    redact_one(why, c->keyid);
  }
}

/* Text from the endpoint, made safe to quote: control characters become
 * spaces, at most `max` bytes. */
static void quote_text(char *dst, size_t cap, const char *src, size_t max) {
  size_t i = 0;
  if (!cap)
    return;
  for (; src && src[i] && i < max && i + 1 < cap; i++) {
    unsigned char ch = (unsigned char)src[i];
    dst[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
  }
  dst[i] = '\0';
  if (src && src[i] && i == max && i >= 3 && i < cap)
    memcpy(dst + i - 3, "...", 3);
}

/* ---- request parameters ----------------------------------------------- */

struct param {
  char *name, *value;
};
struct params {
  struct param *v;
  int n, cap;
  int failed;
};

static void p_add(struct params *ps, const char *name, const char *value) {
  if (ps->failed)
    return;
  if (ps->n == ps->cap) {
    int cap = ps->cap ? 2 * ps->cap : 32;
    struct param *v = realloc(ps->v, (size_t)cap * sizeof *v);
    if (!v) {
      ps->failed = 1;
      return;
    }
    ps->v = v;
    ps->cap = cap;
  }
  char *n = strdup(name), *val = strdup(value ? value : "");
  if (!n || !val) {
    free(n);
    free(val);
    ps->failed = 1;
    return;
  }
  ps->v[ps->n].name = n;
  ps->v[ps->n].value = val;
  ps->n++;
}

static void p_addf(struct params *ps, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void p_addf(struct params *ps, const char *value, const char *fmt, ...) {
  char name[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  p_add(ps, name, value);
}

static void p_free(struct params *ps) {
  for (int i = 0; i < ps->n; i++) {
    free(ps->v[i].name);
    wipe_free(ps->v[i].value); /* user data holds a private host key */
  }
  free(ps->v);
  memset(ps, 0, sizeof *ps);
}

static int p_cmp(const void *a, const void *b) {
  const struct param *x = a, *y = b;
  return strcmp(x->name, y->name); /* byte order, as SigV4 sorts */
}

/* RFC 3986 encoding (SigV4's): unreserved characters as they are, every
 * other byte as %XX. */
static size_t enc_len(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += (isalnum((unsigned char)*s) || strchr("-_.~", *s)) ? 1 : 3;
  return n;
}
static char *enc_put(char *o, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (isalnum(ch) || strchr("-_.~", ch)) {
      *o++ = (char)ch;
    } else {
      *o++ = '%';
      *o++ = hex[ch >> 4];
      *o++ = hex[ch & 15];
    }
  }
  return o;
}

/* "Action=<action>&Version=...&<ps>" sorted by name (ps itself is left
 * as it is); NULL when out of memory. */
static char *p_body(const struct params *ps, const char *action) {
  if (ps->failed)
    return NULL;
  int n = ps->n + 2;
  struct param *v = malloc((size_t)n * sizeof *v);
  if (!v)
    return NULL;
  memcpy(v, ps->v, (size_t)ps->n * sizeof *v);
  v[ps->n] = (struct param){"Action", (char *)action};
  v[ps->n + 1] = (struct param){"Version", EC2_API_VERSION};
  qsort(v, (size_t)n, sizeof *v, p_cmp);
  size_t len = 1;
  for (int i = 0; i < n; i++)
    len += enc_len(v[i].name) + 1 + enc_len(v[i].value) + 1;
  char *body = malloc(len), *o = body;
  if (body) {
    for (int i = 0; i < n; i++) {
      if (i)
        *o++ = '&';
      o = enc_put(o, v[i].name);
      *o++ = '=';
      o = enc_put(o, v[i].value);
    }
    *o = '\0';
  }
  free(v);
  return body;
}

/* ---- XML --------------------------------------------------------------- */

/* A tree of elements; attributes, comments, processing instructions and
 * namespaces are dropped (a prefix "p:" is removed from names). Each
 * element keeps the first non-blank run of text directly inside it, with
 * entities decoded: enough for EC2's answers, where values are leaves. */
struct xnode {
  const char *name;
  const char *text; /* "" when none */
  int child, last, next;
};
struct xdoc {
  struct xnode *n;
  int count, cap;
  char *arena; /* names and texts */
  size_t used, arena_cap;
};

static void x_free(struct xdoc *d) {
  free(d->n);
  if (d->arena)
    explicit_bzero(d->arena, d->arena_cap);
  free(d->arena);
  memset(d, 0, sizeof *d);
}

static int x_new(struct xdoc *d, const char *name, int parent) {
  if (d->count == d->cap) {
    int cap = d->cap ? 2 * d->cap : 64;
    struct xnode *n = realloc(d->n, (size_t)cap * sizeof *n);
    if (!n)
      return -1;
    d->n = n;
    d->cap = cap;
  }
  int k = d->count++;
  d->n[k] = (struct xnode){name, "", -1, -1, -1};
  if (parent >= 0) {
    if (d->n[parent].last >= 0)
      d->n[d->n[parent].last].next = k;
    else
      d->n[parent].child = k;
    d->n[parent].last = k;
  }
  return k;
}

/* Copies s[0..len) into the arena, decoding entities; returns it. */
static const char *x_text(struct xdoc *d, const char *s, size_t len) {
  char *o = d->arena + d->used, *start = o;
  for (size_t i = 0; i < len;) {
    if (s[i] != '&') {
      *o++ = s[i++];
      continue;
    }
    const char *semi = memchr(s + i, ';', len - i < 12 ? len - i : 12);
    if (!semi) {
      *o++ = s[i++];
      continue;
    }
    size_t el = (size_t)(semi - (s + i)) + 1;
    static const struct {
      const char *e;
      char c;
    } named[] = {{"&lt;", '<'},
                 {"&gt;", '>'},
                 {"&amp;", '&'},
                 {"&quot;", '"'},
                 {"&apos;", '\''}};
    int done = 0;
    for (size_t k = 0; k < sizeof named / sizeof *named; k++)
      if (el == strlen(named[k].e) && !memcmp(s + i, named[k].e, el)) {
        *o++ = named[k].c;
        done = 1;
      }
    if (!done && el > 3 && s[i + 1] == '#') {
      char num[16];
      memcpy(num, s + i + 2, el - 3);
      num[el - 3] = '\0';
      char *end;
      unsigned long cp = (num[0] == 'x' || num[0] == 'X')
                             ? strtoul(num + 1, &end, 16)
                             : strtoul(num, &end, 10);
      if (*end == '\0' && end != num && cp > 0 && cp < 0x110000) {
        /* UTF-8: at most 4 bytes, never more than the entity (>= 4). */
        if (cp < 0x80) {
          *o++ = (char)cp;
        } else if (cp < 0x800) {
          *o++ = (char)(0xc0 | (cp >> 6));
          *o++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
          *o++ = (char)(0xe0 | (cp >> 12));
          *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
          *o++ = (char)(0x80 | (cp & 0x3f));
        } else {
          *o++ = (char)(0xf0 | (cp >> 18));
          *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
          *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
          *o++ = (char)(0x80 | (cp & 0x3f));
        }
        done = 1;
      }
    }
    if (done) {
      i += el;
    } else {
      *o++ = s[i++];
    }
  }
  *o++ = '\0';
  d->used += (size_t)(o - start);
  return start;
}

static int blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isspace((unsigned char)s[i]))
      return 0;
  return 1;
}

/* Parses s (len bytes). 0, or -1 (malformed or out of memory). The root
 * pseudo-element is node 0, named "". */
static int x_parse(struct xdoc *d, const char *s, size_t len) {
  memset(d, 0, sizeof *d);
  d->arena_cap = 2 * len + 16; /* every name/text + its NUL fits */
  d->arena = malloc(d->arena_cap);
  if (!d->arena || x_new(d, "", -1) != 0)
    goto bad;
  int stack[64], depth = 0;
  stack[0] = 0;
  size_t i = 0;
  while (i < len) {
    if (s[i] != '<') {
      const char *lt = memchr(s + i, '<', len - i);
      size_t n = lt ? (size_t)(lt - (s + i)) : len - i;
      struct xnode *top = &d->n[stack[depth]];
      if (depth > 0 && !*top->text && !blank(s + i, n))
        top->text = x_text(d, s + i, n);
      i += n;
      continue;
    }
    const char *rest = s + i;
    size_t left = len - i;
    const char *end;
    if (left >= 4 && !memcmp(rest, "<!--", 4)) {
      end = memmem(rest + 4, left - 4, "-->", 3);
      if (!end)
        goto bad;
      i = (size_t)(end + 3 - s);
    } else if (left >= 9 && !memcmp(rest, "<![CDATA[", 9)) {
      end = memmem(rest + 9, left - 9, "]]>", 3);
      if (!end)
        goto bad;
      struct xnode *top = &d->n[stack[depth]];
      if (depth > 0 && !*top->text) {
        /* no entity decoding inside CDATA */
        size_t n = (size_t)(end - (rest + 9));
        char *o = d->arena + d->used;
        memcpy(o, rest + 9, n);
        o[n] = '\0';
        d->used += n + 1;
        top->text = o;
      }
      i = (size_t)(end + 3 - s);
    } else if (left >= 2 && (rest[1] == '?' || rest[1] == '!')) {
      end = memchr(rest, '>', left);
      if (!end)
        goto bad;
      i = (size_t)(end + 1 - s);
    } else {
      int closing = left >= 2 && rest[1] == '/';
      size_t p = closing ? 2 : 1;
      size_t nstart = p;
      while (p < left && !isspace((unsigned char)rest[p]) && rest[p] != '>' &&
             rest[p] != '/')
        p++;
      if (p == nstart || p >= left)
        goto bad;
      const char *name = rest + nstart;
      size_t nlen = p - nstart;
      const char *colon = memchr(name, ':', nlen);
      if (colon) {
        nlen -= (size_t)(colon + 1 - name);
        name = colon + 1;
      }
      /* to the '>' (quoted attribute values may hold '>') */
      char q = 0;
      while (p < left && (q || rest[p] != '>')) {
        if (q && rest[p] == q)
          q = 0;
        else if (!q && (rest[p] == '"' || rest[p] == '\''))
          q = rest[p];
        p++;
      }
      if (p >= left)
        goto bad;
      int selfclose = !closing && rest[p - 1] == '/';
      i += p + 1;
      if (closing) {
        if (depth == 0 || strlen(d->n[stack[depth]].name) != nlen ||
            memcmp(d->n[stack[depth]].name, name, nlen))
          goto bad;
        depth--;
        continue;
      }
      char *nm = d->arena + d->used;
      memcpy(nm, name, nlen);
      nm[nlen] = '\0';
      d->used += nlen + 1;
      int k = x_new(d, nm, stack[depth]);
      if (k < 0)
        goto bad;
      if (!selfclose) {
        if (depth + 1 >= (int)(sizeof stack / sizeof *stack))
          goto bad;
        stack[++depth] = k;
      }
    }
  }
  if (depth != 0 || d->n[0].child < 0)
    goto bad;
  return 0;
bad:
  x_free(d);
  return -1;
}

static int x_child(const struct xdoc *d, int k, const char *name) {
  if (k < 0)
    return -1;
  for (int c = d->n[k].child; c >= 0; c = d->n[c].next)
    if (!strcmp(d->n[c].name, name))
      return c;
  return -1;
}

static const char *x_val(const struct xdoc *d, int k) {
  return k < 0 ? "" : d->n[k].text;
}

/* The first element named `name` at or below k (pre-order). */
static int x_find(const struct xdoc *d, int k, const char *name) {
  if (k < 0)
    return -1;
  if (!strcmp(d->n[k].name, name))
    return k;
  for (int c = d->n[k].child; c >= 0; c = d->n[c].next) {
    int f = x_find(d, c, name);
    if (f >= 0)
      return f;
  }
  return -1;
}

static void copy_field(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src);
}

static void x_instance(const struct xdoc *d, int item, struct ec2_instance *o) {
  memset(o, 0, sizeof *o);
  copy_field(o->id, sizeof o->id, x_val(d, x_child(d, item, "instanceId")));
  copy_field(o->state, sizeof o->state,
             x_val(d, x_child(d, x_child(d, item, "instanceState"), "name")));
  if (!*o->state) /* TerminateInstances says currentState */
    copy_field(o->state, sizeof o->state,
               x_val(d, x_child(d, x_child(d, item, "currentState"), "name")));
  copy_field(o->public_ip, sizeof o->public_ip,
             x_val(d, x_child(d, item, "ipAddress")));
  copy_field(o->private_ip, sizeof o->private_ip,
             x_val(d, x_child(d, item, "privateIpAddress")));
  int tags = x_child(d, item, "tagSet");
  for (int t = tags >= 0 ? d->n[tags].child : -1; t >= 0; t = d->n[t].next) {
    if (strcmp(d->n[t].name, "item"))
      continue;
    const char *key = x_val(d, x_child(d, t, "key"));
    const char *val = x_val(d, x_child(d, t, "value"));
    if (!strcmp(key, "pydron:run")) {
      copy_field(o->run, sizeof o->run, val);
    } else if (!strcmp(key, "pydron:user")) {
      copy_field(o->user, sizeof o->user, val);
    } else if (!strcmp(key, "pydron:expiry")) {
      char *end;
      errno = 0;
      long long e = strtoll(val, &end, 10);
      o->expiry = (*val && !*end && !errno) ? e : 0;
    }
  }
}

struct ilist {
  struct ec2_instance *v;
  int n, cap;
};

/* Every instancesSet/item below k. -1 when out of memory. */
static int x_instances(const struct xdoc *d, int k, struct ilist *l) {
  if (!strcmp(d->n[k].name, "instancesSet")) {
    for (int c = d->n[k].child; c >= 0; c = d->n[c].next) {
      if (strcmp(d->n[c].name, "item"))
        continue;
      if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        struct ec2_instance *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
          return -1;
        l->v = v;
        l->cap = cap;
      }
      x_instance(d, c, &l->v[l->n++]);
    }
    return 0;
  }
  for (int c = d->n[k].child; c >= 0; c = d->n[c].next)
    if (x_instances(d, c, l) < 0)
      return -1;
  return 0;
}

/* ---- the client --------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;
static void curl_init_once(void) {
  /* Before curl starts OpenSSL: no OpenSSL cleanup from atexit, which
   * would pull the library from under the SSH I/O thread still ending the
   * workers (ssh_conn.c does the same for libssh2). */
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
  curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int valid_region(const char *r) {
  if (!*r || strlen(r) > 40)
    return 0;
  for (; *r; r++)
    if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-')
      return 0;
  return 1;
}

/* Checks the endpoint URL (http or https, no user, no query or
 * fragment); returns it normalised (malloc'd) or NULL with why. */
static char *check_endpoint(const char *endpoint, char *why, size_t why_len) {
  CURLU *u = curl_url();
  char *scheme = NULL, *user = NULL, *query = NULL, *frag = NULL, *out = NULL;
  if (!u) {
    snprintf(why, why_len, "cloud: out of memory");
    return NULL;
  }
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, endpoint, 0);
  if (rc != CURLUE_OK) {
    /* not quoted: the text might hold something secret-looking */
    snprintf(why, why_len,
             "cloud: endpoint is not a URL (%s): give e.g. "
             "https://ec2.us-east-1.amazonaws.com/",
             curl_url_strerror(rc));
    goto done;
  }
  curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if (!scheme || (strcmp(scheme, "https") && strcmp(scheme, "http"))) {
    snprintf(why, why_len,
             "cloud: endpoint must be an https:// (or http://) "
             "URL");
    goto done;
  }
  if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
    snprintf(why, why_len,
             "cloud: endpoint must not hold a user name or password: put "
             "the credentials in accesskeyid/accesskey or AWS_*");
    goto done;
  }
  if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
      curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
    snprintf(why, why_len,
             "cloud: endpoint must not have a query (?...) or "
             "fragment (#...)");
    goto done;
  }
  if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
    snprintf(why, why_len, "cloud: endpoint is not a usable URL");
done:
  curl_free(scheme);
  curl_free(user);
  curl_free(query);
  curl_free(frag);
  char *copy = out ? strdup(out) : NULL;
  curl_free(out);
  if (out && !copy)
    snprintf(why, why_len, "cloud: out of memory");
  curl_url_cleanup(u);
  return copy;
}

/* An answer being received. */
struct answer {
  char *p;
  size_t len, cap;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct answer *b = arg;
  size_t add = size * n;
  if (add > EC2_MAX_ANSWER - b->len)
    return 0;
  if (b->len + add + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 8192;
    while (cap < b->len + add + 1)
      cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q)
      return 0;
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, add);
  b->len += add;
  b->p[b->len] = '\0';
  return add;
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

int ec2_open(struct ec2_client **out, const struct pydron_cloud_conf *conf,
             char *why, size_t why_len) {
  *out = NULL;
  const char *keyid = NULL, *secret = NULL, *token = NULL;
  int have_id = conf->accesskeyid && *conf->accesskeyid;
  int have_key = conf->accesskey && *conf->accesskey;
  if (have_id != have_key) {
    snprintf(why, why_len,
             "cloud: pydron.conf's cloud section sets %s without %s: set "
             "both, or neither to use AWS_ACCESS_KEY_ID and "
             "AWS_SECRET_ACCESS_KEY",
             have_id ? "accesskeyid" : "accesskey",
             have_id ? "accesskey" : "accesskeyid");
    return -1;
  }
  if (have_id) {
    keyid = conf->accesskeyid;
    secret = conf->accesskey;
  } else {
    keyid = env_nonempty("AWS_ACCESS_KEY_ID");
    secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    token = env_nonempty("AWS_SESSION_TOKEN");
    if (!keyid || !secret) {
      snprintf(why, why_len,
               "cloud: no EC2 credentials: set accesskeyid and accesskey in "
               "pydron.conf's cloud section, or AWS_ACCESS_KEY_ID and "
               "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
               "credentials) in the environment%s",
               keyid    ? " (AWS_SECRET_ACCESS_KEY is missing)"
               : secret ? " (AWS_ACCESS_KEY_ID is missing)"
                        : "");
      return -1;
    }
  }
  if (strchr(keyid, ':') || strpbrk(keyid, "\r\n") || strpbrk(secret, "\r\n") ||
      (token && strpbrk(token, "\r\n"))) {
    snprintf(why, why_len,
             "cloud: the EC2 credentials are malformed (a key "
             "id with ':' or a line break in a value)");
    return -1;
  }
  const char *region = conf->region && *conf->region ? conf->region : NULL;
  if (!region)
    region = env_nonempty("AWS_REGION");
  if (!region)
    region = env_nonempty("AWS_DEFAULT_REGION");
  if (!region) {
    snprintf(why, why_len,
             "cloud: no region: set region in pydron.conf's "
             "cloud section (or AWS_REGION)");
    return -1;
  }
  if (!valid_region(region)) {
    snprintf(why, why_len,
             "cloud: region '%.60s' is not a region name (e.g. us-east-1)",
             region);
    return -1;
  }

  pthread_once(&curl_once, curl_init_once);
  if (curl_init_result != CURLE_OK) {
    snprintf(why, why_len, "cloud: libcurl could not be initialised: %s",
             curl_easy_strerror(curl_init_result));
    return -1;
  }

  struct ec2_client *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(why, why_len, "cloud: out of memory");
    return -1;
  }
  if (conf->endpoint && *conf->endpoint) {
    c->url = check_endpoint(conf->endpoint, why, why_len);
    if (!c->url) {
      free(c);
      return -1;
    }
  } else {
    size_t n = strlen(region) + 40;
    c->url = malloc(n);
    if (c->url)
      snprintf(c->url, n, "https://ec2.%s.amazonaws.com/", region);
  }
  c->region = strdup(region);
  c->keyid = strdup(keyid);
  c->secret = strdup(secret);
  c->token = token ? strdup(token) : NULL;
  c->h = curl_easy_init();
  if (!c->url || !c->region || !c->keyid || !c->secret ||
      (token && !c->token) || !c->h)
    goto oom;
  snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:ec2", region);

  struct curl_slist *h = curl_slist_append(
      NULL, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
  if (!h)
    goto oom;
  c->headers = h;
  if (c->token) {
    size_t n = strlen(c->token) + 32;
    char *line = malloc(n);
    if (!line)
      goto oom;
    snprintf(line, n, "X-Amz-Security-Token: %s", c->token);
    h = curl_slist_append(c->headers, line);
    wipe_free(line);
    if (!h)
      goto oom;
    c->headers = h;
  }

  CURL *e = c->h;
  int bad = 0;
  bad |= curl_easy_setopt(e, CURLOPT_URL, c->url) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_VERBOSE, 0L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "pydron-ec2/1") != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_AWS_SIGV4, c->sigv4) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_USERNAME, c->keyid) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, c->secret) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
  if (bad) {
    snprintf(why, why_len,
             "cloud: this libcurl lacks a needed feature "
             "(SigV4 needs curl >= 7.75, protocol lists 7.85)");
    ec2_close(c);
    return -1;
  }
  *out = c;
  return 0;
oom:
  snprintf(why, why_len, "cloud: out of memory");
  ec2_close(c);
  return -1;
}

void ec2_close(struct ec2_client *c) {
  if (!c)
    return;
  if (c->h)
    curl_easy_cleanup(c->h);
  for (struct curl_slist *s = c->headers; s; s = s->next)
    explicit_bzero(s->data, strlen(s->data));
  curl_slist_free_all(c->headers);
  free(c->url);
  free(c->region);
  wipe_free(c->keyid);
  wipe_free(c->secret);
  wipe_free(c->token);
  explicit_bzero(c, sizeof *c);
  free(c);
}

const char *ec2_last_error_code(const struct ec2_client *c) {
  return c ? c->code : "";
}

void ec2_free_ids(char **ids, int nids) {
  if (!ids)
    return;
  for (int i = 0; i < nids; i++)
    free(ids[i]);
  free(ids);
}

/* ---- errors ---------------------------------------------------------------
 */

static int code_in(const char *code, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(code, *list))
      return 1;
  return 0;
}

static int transient(const char *code) {
  static const char *const t[] = {
      "RequestLimitExceeded", "Throttling",         "ThrottlingException",
      "Unavailable",          "ServiceUnavailable", "InternalError",
      "InternalFailure",      "RequestTimeout",     NULL};
  return code_in(code, t);
}

/* What to say about an error answer. l is the launch for RunInstances. */
static void explain(struct ec2_client *c, const char *action, const char *code,
                    const char *message, const struct ec2_launch *l, char *why,
                    size_t why_len) {
  char msg[400];
  quote_text(msg, sizeof msg, message, 300);
  static const char *const creds[] = {"AuthFailure",
                                      "InvalidClientTokenId",
                                      "SignatureDoesNotMatch",
                                      "UnrecognizedClientException",
                                      "IncompleteSignature",
                                      "MissingAuthenticationToken",
                                      "InvalidAccessKeyId",
                                      "InvalidSecurity",
                                      "ExpiredToken",
                                      "ExpiredTokenException",
                                      NULL};
  static const char *const quota[] = {"InstanceLimitExceeded",
                                      "VcpuLimitExceeded",
                                      "MaxSpotInstanceCountExceeded",
                                      "ResourceLimitExceeded",
                                      "InsufficientFreeAddressesInSubnet",
                                      "AddressLimitExceeded",
                                      NULL};
  const char *image = l && l->image ? l->image : "";
  const char *type = l && l->type ? l->type : "";
  if (code_in(code, creds)) {
    say(c, why, why_len,
        "cloud: EC2 %s: the EC2 credentials were refused (%s: %s): check "
        "accesskeyid/accesskey in pydron.conf or AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN",
        action, code, msg);
  } else if (!strcmp(code, "RequestExpired")) {
    say(c, why, why_len,
        "cloud: EC2 %s: the request was refused as expired (%s: %s): check "
        "this machine's clock",
        action, code, msg);
  } else if (!strcmp(code, "UnauthorizedOperation") ||
             !strcmp(code, "AccessDenied") ||
             !strcmp(code, "AccessDeniedException")) {
    say(c, why, why_len,
        "cloud: EC2 %s: these credentials may not do this (%s: %.200s): they "
        "need ec2:RunInstances, ec2:CreateTags, ec2:DescribeInstances and "
        "ec2:TerminateInstances",
        action, code, msg);
  } else if (code_in(code, quota)) {
    say(c, why, why_len,
        "cloud: EC2 %s: an EC2 quota was reached starting %d instance(s) of "
        "sizeid '%s' (%s: %s): lower count, end other instances or ask AWS "
        "for a higher limit",
        action, l ? l->count : 0, type, code, msg);
  } else if (!strcmp(code, "InsufficientInstanceCapacity")) {
    say(c, why, why_len,
        "cloud: EC2 %s: AWS has no capacity for sizeid '%s' now (%s: %s): try "
        "again later, or another size, subnet or region",
        action, type, code, msg);
  } else if (!strncmp(code, "InvalidAMIID", 12)) {
    say(c, why, why_len,
        "cloud: EC2 %s: bad image: imageid '%s' cannot be used in region %s "
        "(%s: %s): check imageid",
        action, image, c->region, code, msg);
  } else if (!strcmp(code, "InvalidInstanceType") ||
             ((!strcmp(code, "InvalidParameterValue") ||
               !strcmp(code, "Unsupported") ||
               !strcmp(code, "InvalidParameterCombination") ||
               !strcmp(code, "UnsupportedOperation")) &&
              (strcasestr(msg, "instance type") ||
               strcasestr(msg, "instanceType") ||
               (*type && strstr(msg, type))))) {
    say(c, why, why_len,
        "cloud: EC2 %s: bad size: sizeid '%s' cannot be used here (%s: %s): "
        "check sizeid (an instance type offered in region %s, e.g. "
        "t3.micro)",
        action, type, code, msg, c->region);
  } else {
    say(c, why, why_len, "cloud: EC2 %s failed: %s: %s", action, code, msg);
  }
}

/* ---- one request ----------------------------------------------------------
 */

/* Sends the request made of ps (Action and Version are added) and parses
 * the answer into *doc. 0, or -1 with why (and c->code). */
static int call(struct ec2_client *c, const char *action, struct params *ps,
                const struct ec2_launch *l, struct xdoc *doc, char *why,
                size_t why_len) {
  c->code[0] = '\0';
  char *body = p_body(ps, action);
  if (!body) {
    say(c, why, why_len, "cloud: out of memory");
    return -1;
  }
  size_t body_len = strlen(body);
  int rc = -1;
  for (int attempt = 1; attempt <= EC2_TRIES; attempt++) {
    struct answer ans = {0};
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &ans);
    CURLcode res = curl_easy_perform(c->h);
    long status = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    int retry = 0;
    if (res != CURLE_OK) {
      retry = res == CURLE_OPERATION_TIMEDOUT || res == CURLE_GOT_NOTHING ||
              res == CURLE_RECV_ERROR || res == CURLE_SEND_ERROR;
      say(c, why, why_len,
          "cloud: EC2 %s: cannot reach the EC2 endpoint %s: "
          "%s",
          action, c->url,
          res == CURLE_WRITE_ERROR ? "the answer is too large"
          : c->errbuf[0]           ? c->errbuf
                                   : curl_easy_strerror(res));
    } else {
      struct xdoc d;
      int parsed = ans.p && x_parse(&d, ans.p, ans.len) == 0;
      int err = parsed ? x_find(&d, 0, "Error") : -1;
      const char *code = x_val(&d, x_child(&d, err, "Code"));
      if (err >= 0 && *code) {
        snprintf(c->code, sizeof c->code, "%s", code);
        retry = transient(code) || status >= 500;
        explain(c, action, code, x_val(&d, x_child(&d, err, "Message")), l, why,
                why_len);
        x_free(&d);
      } else if (status != 200) {
        retry = status >= 500 || status == 429;
        say(c, why, why_len, "cloud: EC2 %s: HTTP %ld from the EC2 endpoint %s",
            action, status, c->url);
        if (parsed)
          x_free(&d);
      } else if (!parsed) {
        say(c, why, why_len,
            "cloud: EC2 %s: the EC2 endpoint %s answered something that is "
            "not XML",
            action, c->url);
      } else {
        *doc = d;
        rc = 0;
      }
    }
    free(ans.p);
    if (rc == 0 || !retry || attempt == EC2_TRIES)
      break;
    struct timespec ts = {attempt, 0}; /* 1 s, then 2 s */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  explicit_bzero(body, body_len);
  free(body);
  return rc;
}

/* ---- the API
 * ------------------------------------------------------------------ */

static int add_ids(struct params *ps, char **ids, int nids, char *why,
                   size_t why_len, const struct ec2_client *c) {
  if (nids < 1) {
    say(c, why, why_len, "cloud: no instance ids");
    return -1;
  }
  for (int i = 0; i < nids; i++) {
    if (!ids[i] || !*ids[i] || strlen(ids[i]) >= 32) {
      say(c, why, why_len, "cloud: bad instance id");
      return -1;
    }
    p_addf(ps, ids[i], "InstanceId.%d", i + 1);
  }
  return 0;
}

int ec2_run_instances(struct ec2_client *c, const struct ec2_launch *l,
                      char ***ids, int *nids, char *why, size_t why_len) {
  *ids = NULL;
  *nids = 0;
  if (!l->image || !*l->image || !l->type || !*l->type) {
    say(c, why, why_len, "cloud: no %s: set it in pydron.conf's cloud section",
        (!l->image || !*l->image) ? "imageid" : "sizeid");
    return -1;
  }
  if (l->count < 1) {
    say(c, why, why_len, "cloud: count must be at least 1");
    return -1;
  }
  if (!l->client_token || !*l->client_token || strlen(l->client_token) > 64) {
    say(c, why, why_len,
        "cloud: a client token of 1 to 64 characters is "
        "needed");
    return -1;
  }
  const char *sg =
      l->security_group && *l->security_group ? l->security_group : NULL;
  const char *subnet = l->subnet && *l->subnet ? l->subnet : NULL;
  int sg_is_id = sg && !strncmp(sg, "sg-", 3);
  int nic = subnet || l->public_ip;
  if (sg && nic && !sg_is_id) {
    say(c, why, why_len,
        "cloud: security_group must be an id (sg-...) when subnet or "
        "public_ip is set");
    return -1;
  }

  struct params ps = {0};
  char num[32];
  snprintf(num, sizeof num, "%d", l->count);
  p_add(&ps, "ImageId", l->image);
  p_add(&ps, "InstanceType", l->type);
  p_add(&ps, "MinCount", num);
  p_add(&ps, "MaxCount", num);
  p_add(&ps, "ClientToken", l->client_token);
  p_add(&ps, "InstanceInitiatedShutdownBehavior", "terminate");
  if (l->user_data) {
    size_t n = strlen(l->user_data);
    if (n > EC2_MAX_USER_DATA) {
      say(c, why, why_len,
          "cloud: the user data is %zu bytes, EC2 takes at "
          "most %d",
          n, EC2_MAX_USER_DATA);
      p_free(&ps);
      return -1;
    }
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (!b64) {
      ps.failed = 1;
    } else {
      EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)l->user_data,
                      (int)n);
      p_add(&ps, "UserData", b64);
      wipe_free(b64);
    }
  }
  if (nic) {
    p_add(&ps, "NetworkInterface.1.DeviceIndex", "0");
    p_add(&ps, "NetworkInterface.1.AssociatePublicIpAddress",
          l->public_ip ? "true" : "false");
    p_add(&ps, "NetworkInterface.1.DeleteOnTermination", "true");
    if (subnet)
      p_add(&ps, "NetworkInterface.1.SubnetId", subnet);
    if (sg)
      p_add(&ps, "NetworkInterface.1.SecurityGroupId.1", sg);
  } else if (sg) {
    p_add(&ps, sg_is_id ? "SecurityGroupId.1" : "SecurityGroup.1", sg);
  }
  p_add(&ps, "TagSpecification.1.ResourceType", "instance");
  int t = 0;
  char name[128], expiry[32];
  const char *run = l->tag_run ? l->tag_run : "";
  snprintf(name, sizeof name, "%s", run); /* the run id says "pydron-" */
  snprintf(expiry, sizeof expiry, "%lld", l->tag_expiry);
  const char *tags[][2] = {{"Name", name},
                           {"pydron:run", run},
                           {"pydron:user", l->tag_user ? l->tag_user : ""},
                           {"pydron:expiry", expiry}};
  for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
    t++;
    p_addf(&ps, tags[i][0], "TagSpecification.1.Tag.%d.Key", t);
    p_addf(&ps, tags[i][1], "TagSpecification.1.Tag.%d.Value", t);
  }

  struct xdoc d;
  int rc = call(c, "RunInstances", &ps, l, &d, why, why_len);
  p_free(&ps);
  if (rc < 0)
    return -1;
  struct ilist il = {0};
  if (x_instances(&d, 0, &il) < 0) {
    say(c, why, why_len, "cloud: out of memory");
    goto fail;
  }
  if (il.n == 0) {
    say(c, why, why_len,
        "cloud: EC2 RunInstances: the answer names no instance (%s)", c->url);
    goto fail;
  }
  char **v = calloc((size_t)il.n, sizeof *v);
  if (!v) {
    say(c, why, why_len, "cloud: out of memory");
    goto fail;
  }
  for (int i = 0; i < il.n; i++) {
    v[i] = strdup(il.v[i].id);
    if (!v[i] || !*v[i]) {
      ec2_free_ids(v, il.n);
      say(c, why, why_len,
          v[i] ? "cloud: EC2 RunInstances: an instance "
                 "without an id in the answer"
               : "cloud: out of memory");
      goto fail;
    }
  }
  *ids = v;
  *nids = il.n;
  free(il.v);
  x_free(&d);
  return 0;
fail:
  free(il.v);
  x_free(&d);
  return -1;
}

/* DescribeInstances with ps (consumed), following nextToken. */
static int describe(struct ec2_client *c, struct params *ps,
                    struct ec2_instance **out, int *nout, char *why,
                    size_t why_len) {
  struct ilist il = {0};
  char token[1024] = "";
  for (int page = 0;; page++) {
    if (page == EC2_MAX_PAGES) {
      say(c, why, why_len, "cloud: EC2 DescribeInstances: more than %d pages",
          EC2_MAX_PAGES);
      goto fail;
    }
    int before = ps->n;
    if (*token)
      p_add(ps, "NextToken", token);
    struct xdoc d;
    int rc = call(c, "DescribeInstances", ps, NULL, &d, why, why_len);
    if (ps->n > before) { /* NextToken, the last parameter: drop it */
      ps->n--;
      free(ps->v[ps->n].name);
      free(ps->v[ps->n].value);
    }
    if (rc < 0)
      goto fail;
    if (x_instances(&d, 0, &il) < 0) {
      x_free(&d);
      say(c, why, why_len, "cloud: out of memory");
      goto fail;
    }
    snprintf(token, sizeof token, "%s",
             x_val(&d, x_child(&d, d.n[0].child, "nextToken")));
    x_free(&d);
    if (!*token)
      break;
  }
  p_free(ps);
  *out = il.v;
  *nout = il.n;
  return 0;
fail:
  p_free(ps);
  free(il.v);
  return -1;
}

int ec2_describe(struct ec2_client *c, char **ids, int nids,
                 struct ec2_instance **out, int *nout, char *why,
                 size_t why_len) {
  *out = NULL;
  *nout = 0;
  struct params ps = {0};
  if (add_ids(&ps, ids, nids, why, why_len, c) < 0) {
    p_free(&ps);
    return -1;
  }
  return describe(c, &ps, out, nout, why, why_len);
}

int ec2_find(struct ec2_client *c, const char *user, struct ec2_instance **out,
             int *nout, char *why, size_t why_len) {
  *out = NULL;
  *nout = 0;
  if (!user || !*user) {
    say(c, why, why_len, "cloud: no user to look for");
    return -1;
  }
  struct params ps = {0};
  p_add(&ps, "Filter.1.Name", "tag:pydron:user");
  p_add(&ps, "Filter.1.Value.1", user);
  p_add(&ps, "Filter.2.Name", "instance-state-name");
  p_add(&ps, "Filter.2.Value.1", "pending");
  p_add(&ps, "Filter.2.Value.2", "running");
  p_add(&ps, "Filter.2.Value.3", "stopping");
  p_add(&ps, "Filter.2.Value.4", "stopped");
  return describe(c, &ps, out, nout, why, why_len);
}

int ec2_terminate(struct ec2_client *c, char **ids, int nids, char *why,
                  size_t why_len) {
  struct params ps = {0};
  if (add_ids(&ps, ids, nids, why, why_len, c) < 0) {
    p_free(&ps);
    return -1;
  }
  struct xdoc d;
  int rc = call(c, "TerminateInstances", &ps, NULL, &d, why, why_len);
  p_free(&ps);
  if (rc == 0)
    x_free(&d);
  return rc;
}

int ec2_set_tag(struct ec2_client *c, char **ids, int nids, const char *key,
                const char *value, char *why, size_t why_len) {
  struct params ps = {0};
  for (int i = 0; i < nids; i++)
    p_addf(&ps, ids[i], "ResourceId.%d", i + 1);
  p_add(&ps, "Tag.1.Key", key);
  p_add(&ps, "Tag.1.Value", value);
  struct xdoc d;
  int rc = call(c, "CreateTags", &ps, NULL, &d, why, why_len);
  p_free(&ps);
  if (rc == 0)
    x_free(&d);
  return rc;
}
