/* ssh_auth.c - logging in to a worker host, in ssh's order: ssh-agent
 * (SSH_AUTH_SOCK), key files ("privatekey"/"private_key_files", else
 * ~/.ssh/id_ed25519, id_ecdsa, id_rsa), inline keys ("private_keys"),
 * password, keyboard-interactive (answered with the password).
 *
 * Debian 12's libssh2 1.10 signs with RSA keys only as ssh-rsa (SHA-1),
 * which OpenSSH >= 8.8 refuses by default. RSA keys are still tried (old
 * servers accept them), agent RSA keys are skipped (each refused key costs
 * one of sshd's MaxAuthTries), and a refusal says to use ed25519 instead.
 *
 * When every method fails, the message lists what the host offers and
 * what was tried with what result. Secrets (passwords, passphrases, key
 * texts) are never printed; key file bytes read to learn the key's type
 * are wiped before they are freed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ssh_conn.h"

/* ---- what kind of key is this? ----------------------------------------- */

struct key_info {
  char type[32]; /* "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "" */
  int encrypted;
};

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* Reads an SSH "string" at *off; 0 or -1 past the end. */
static int get_string(const unsigned char *p, size_t n, size_t *off,
                      const unsigned char **s, uint32_t *len) {
  if (*off + 4 > n)
    return -1;
  uint32_t l = be32(p + *off);
  if (l > n - *off - 4)
    return -1;
  *s = p + *off + 4;
  *len = l;
  *off += 4 + (size_t)l;
  return 0;
}

/* The public header of an "openssh-key-v1" key: cipher, kdf, kdf options,
 * number of keys, first public key (whose first string is its type). It
 * precedes the private part, so only the start of the text is decoded. */
static void openssh_key_info(const char *body, size_t n, struct key_info *ki) {
  char b64[1400];
  size_t k = 0;
  for (size_t i = 0; i < n && k < sizeof b64 - 1 && body[i] != '-'; i++)
    if (body[i] != '\n' && body[i] != '\r' && body[i] != ' ')
      b64[k++] = body[i];
  k -= k % 4;
  unsigned char raw[1100];
  int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)k);
  explicit_bzero(b64, sizeof b64);
  static const char magic[] = "openssh-key-v1";
  if (len < (int)sizeof magic || memcmp(raw, magic, sizeof magic) != 0) {
    explicit_bzero(raw, sizeof raw);
    return;
  }
  size_t off = sizeof magic;
  const unsigned char *s, *pub;
  uint32_t l, publen;
  if (get_string(raw, (size_t)len, &off, &s, &l) == 0) { /* cipher */
    ki->encrypted = !(l == 4 && memcmp(s, "none", 4) == 0);
    if (get_string(raw, (size_t)len, &off, &s, &l) == 0 && /* kdf */
        get_string(raw, (size_t)len, &off, &s, &l) == 0 && /* kdf options */
        off + 4 <= (size_t)len && (off += 4) &&            /* nkeys */
        get_string(raw, (size_t)len, &off, &pub, &publen) == 0) {
      size_t po = 0;
      if (get_string(pub, publen, &po, &s, &l) == 0 && l < sizeof ki->type) {
        memcpy(ki->type, s, l);
        ki->type[l] = 0;
      }
    }
  }
  explicit_bzero(raw, sizeof raw);
}

static void key_info_text(const char *t, size_t n, struct key_info *ki) {
  memset(ki, 0, sizeof *ki);
  static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
  const char *b = memmem(t, n, begin, sizeof begin - 1);
  if (b) {
    b += sizeof begin - 1;
    openssh_key_info(b, n - (size_t)(b - t), ki);
  } else if (memmem(t, n, "BEGIN RSA PRIVATE KEY", 21)) {
    snprintf(ki->type, sizeof ki->type, "ssh-rsa");
  } else if (memmem(t, n, "BEGIN EC PRIVATE KEY", 20)) {
    snprintf(ki->type, sizeof ki->type, "ecdsa");
  }
  if (memmem(t, n, "Proc-Type: 4,ENCRYPTED", 22) ||
      memmem(t, n, "BEGIN ENCRYPTED PRIVATE KEY", 27))
    ki->encrypted = 1;
}

/* From the private key file, else from its public key file. */
static void key_info_file(const char *priv, const char *pub,
                          struct key_info *ki) {
  memset(ki, 0, sizeof *ki);
  char buf[4096];
  int fd = open(priv, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n > 0)
      key_info_text(buf, (size_t)n, ki);
    explicit_bzero(buf, sizeof buf);
  }
  if (!ki->type[0] && pub) {
    FILE *f = fopen(pub, "re");
    if (f) {
      if (fscanf(f, "%31s", ki->type) != 1)
        ki->type[0] = 0;
      fclose(f);
    }
  }
}

static int is_rsa(const struct key_info *ki) {
  return strcmp(ki->type, "ssh-rsa") == 0;
}

static const char rsa_hint[] =
    "it is an RSA key, and Debian 12's libssh2 1.10 can only sign with "
    "ssh-rsa (SHA-1), which OpenSSH >= 8.8 refuses: use an ed25519 key "
    "(ssh-keygen -t ed25519) instead";

/* ---- the attempts -------------------------------------------------------- */

struct attempt {
  struct ssh_conn *c;
  struct ssh_str tried; /* "; "-separated record of attempts */
  int gone;             /* the host closed the connection */
};

static void note(struct attempt *a, const char *fmt, const char *arg,
                 const char *detail) {
  if (a->tried.len)
    ssh_str_add(&a->tried, "; ");
  ssh_str_addf(&a->tried, fmt, arg);
  if (detail && *detail)
    ssh_str_addf(&a->tried, " (%s)", detail);
}

/* After a failed attempt: is the connection still there? */
static void check_gone(struct attempt *a) {
  int e = libssh2_session_last_errno(a->c->session);
  if (e == LIBSSH2_ERROR_SOCKET_DISCONNECT || e == LIBSSH2_ERROR_SOCKET_RECV ||
      e == LIBSSH2_ERROR_SOCKET_SEND || e == LIBSSH2_ERROR_TIMEOUT ||
      e == LIBSSH2_ERROR_SOCKET_TIMEOUT)
    a->gone = 1;
}

static int try_agent(struct attempt *a) {
  LIBSSH2_SESSION *s = a->c->session;
  LIBSSH2_AGENT *agent = libssh2_agent_init(s);
  if (!agent)
    return -1;
  int ok = -1, tried = 0, skipped = 0;
  if (libssh2_agent_connect(agent) != 0) {
    note(a, "ssh-agent (%s)", "cannot connect to $SSH_AUTH_SOCK", NULL);
    libssh2_agent_free(agent);
    return -1;
  }
  if (libssh2_agent_list_identities(agent) == 0) {
    struct libssh2_agent_publickey *id = NULL, *prev = NULL;
    while (!a->gone && libssh2_agent_get_identity(agent, &id, prev) == 0) {
      prev = id;
      /* The blob starts with the key type as an SSH string. */
      if (id->blob_len >= 11 && be32(id->blob) == 7 &&
          memcmp(id->blob + 4, "ssh-rsa", 7) == 0) {
        skipped++;
        continue;
      }
      tried++;
      if (libssh2_agent_userauth(agent, a->c->user, id) == 0) {
        ok = 0;
        break;
      }
      check_gone(a);
    }
  }
  if (ok != 0) {
    char what[200];
    if (tried)
      snprintf(what, sizeof what, "%d key%s refused%s", tried,
               tried == 1 ? "" : "s",
               skipped ? "; its RSA keys skipped: libssh2 1.10 signs them "
                         "only with SHA-1"
                       : "");
    else
      snprintf(what, sizeof what, "%s",
               skipped ? "only RSA keys, skipped: libssh2 1.10 signs them "
                         "only with SHA-1, which OpenSSH >= 8.8 refuses; add "
                         "an ed25519 key"
                       : "no keys");
    note(a, "ssh-agent (%s)", what, NULL);
  }
  libssh2_agent_disconnect(agent);
  libssh2_agent_free(agent);
  return ok;
}

static void describe_key_failure(struct attempt *a, const char *what,
                                 const char *name, const struct key_info *ki,
                                 int has_passphrase) {
  char *msg = NULL;
  int e = libssh2_session_last_error(a->c->session, &msg, NULL, 0);
  /* With a .pub file libssh2 asks the host first and reads the private
   * key only to sign: a key it cannot read then fails as "Callback
   * returned error", not as a file error. */
  if (e == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED && msg && strstr(msg, "Callback"))
    e = LIBSSH2_ERROR_FILE;
  if (e == LIBSSH2_ERROR_FILE) {
    if (ki->encrypted && !has_passphrase)
      note(a, what, name,
           "it is encrypted: set \"passphrase\" in pydron.conf, or load it "
           "into ssh-agent");
    else if (ki->encrypted)
      note(a, what, name,
           "cannot be read: wrong passphrase, or a format libssh2 1.10 does "
           "not know");
    else
      note(a, what, name,
           "cannot be read: not a private key in a format libssh2 1.10 "
           "knows (OpenSSH or PEM; ed25519 or ECDSA)");
  } else if (is_rsa(ki)) {
    note(a, what, name, rsa_hint);
  } else {
    check_gone(a);
    note(a, what, name,
         a->gone ? "the host closed the connection"
                 : "refused by the host: is its public key in "
                   "~/.ssh/authorized_keys there?");
  }
}

static int try_key_file(struct attempt *a, const char *path, const char *pub,
                        int configured) {
  char priv[PATH_MAX], pubp[PATH_MAX];
  if (ssh_expand_home(path, priv, sizeof priv) != 0) {
    note(a, "key %s", path, "no home directory to expand ~ in");
    return -1;
  }
  if (access(priv, R_OK) != 0) {
    if (configured) /* a default key that does not exist is not news */
      note(a, "key %s", priv, strerror(errno));
    return -1;
  }
  const char *pubfile = NULL;
  if (pub && ssh_expand_home(pub, pubp, sizeof pubp) == 0) {
    pubfile = pubp;
  } else {
    snprintf(pubp, sizeof pubp, "%s.pub", priv);
    if (access(pubp, R_OK) == 0)
      pubfile = pubp;
  }
  struct key_info ki;
  key_info_file(priv, pubfile, &ki);
  const char *pass = a->c->conf->passphrase;
  const char *user = a->c->user;
  /* Never NULL: libssh2's OpenSSL PEM callback calls strlen on it. */
  if (libssh2_userauth_publickey_fromfile_ex(a->c->session, user,
                                             (unsigned)strlen(user), pubfile,
                                             priv, pass ? pass : "") == 0)
    return 0;
  describe_key_failure(a, "key %s", priv, &ki, pass != NULL);
  return -1;
}

static int try_key_text(struct attempt *a, const char *text, size_t index) {
  struct key_info ki;
  key_info_text(text, strlen(text), &ki);
  const char *pass = a->c->conf->passphrase;
  const char *user = a->c->user;
  if (libssh2_userauth_publickey_frommemory(a->c->session, user, strlen(user),
                                            NULL, 0, text, strlen(text),
                                            pass ? pass : "") == 0)
    return 0;
  char name[64];
  snprintf(name, sizeof name, "private_keys[%zu]", index);
  describe_key_failure(a, "inline key %s", name, &ki, pass != NULL);
  return -1;
}

static int try_password(struct attempt *a) {
  const char *user = a->c->user, *pw = a->c->conf->password;
  int r =
      libssh2_userauth_password_ex(a->c->session, user, (unsigned)strlen(user),
                                   pw, (unsigned)strlen(pw), NULL);
  if (r == 0)
    return 0;
  if (r == LIBSSH2_ERROR_PASSWORD_EXPIRED) {
    note(a, "password (%s)", "expired: log in once with ssh to change it",
         NULL);
  } else {
    check_gone(a);
    char what[600];
    snprintf(what, sizeof what, "wrong password for %s", a->c->label);
    note(a, "password (%s)", a->gone ? "the host closed the connection" : what,
         NULL);
  }
  return -1;
}

/* Every prompt that does not echo (a password prompt) gets the password;
 * libssh2 frees the answers. */
static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_answer) {
  (void)name;
  (void)name_len;
  (void)instruction;
  (void)instruction_len;
  struct ssh_conn *c = *abstract;
  const char *pw = c->conf->password ? c->conf->password : "";
  for (int i = 0; i < num_prompts; i++) {
    const char *ans = prompts[i].echo ? "" : pw;
    responses[i].text = strdup(ans);
    responses[i].length = responses[i].text ? (unsigned)strlen(ans) : 0;
  }
}

static int try_kbdint(struct attempt *a) {
  const char *user = a->c->user;
  if (libssh2_userauth_keyboard_interactive_ex(
          a->c->session, user, (unsigned)strlen(user), kbd_answer) == 0)
    return 0;
  check_gone(a);
  char what[600];
  snprintf(what, sizeof what, "the password was not accepted for %s",
           a->c->label);
  note(a, "keyboard-interactive (%s)",
       a->gone ? "the host closed the connection" : what, NULL);
  return -1;
}

int ssh_auth_login(struct ssh_conn *c, char *why, size_t why_len) {
  const struct pydron_ssh_conf *conf = c->conf;
  LIBSSH2_SESSION *s = c->session;
  char *list = libssh2_userauth_list(s, c->user, (unsigned)strlen(c->user));
  if (!list) {
    if (libssh2_userauth_authenticated(s))
      return 0; /* "none" was enough */
    snprintf(why, why_len, "ssh %s: cannot ask how to log in: %s", c->label,
             ssh_conn_error(c));
    return -1;
  }
  char offered[256];
  snprintf(offered, sizeof offered, "%s", list);
  int pk = strstr(offered, "publickey") != NULL;
  int pw = strstr(offered, "password") != NULL;
  int kbd = strstr(offered, "keyboard-interactive") != NULL;

  struct attempt a = {.c = c};
  int ok = -1;
  if (pk && getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK"))
    ok = try_agent(&a);
  if (ok != 0 && pk && !a.gone) {
    if (conf->privatekeys.count) {
      for (size_t i = 0; ok != 0 && !a.gone && i < conf->privatekeys.count; i++)
        ok = try_key_file(&a, conf->privatekeys.items[i],
                          conf->privatekeys.count == 1 ? conf->publickey : NULL,
                          1);
    } else if (!conf->private_keys.count && !conf->password) {
      /* Nothing configured: ssh's default identities. */
      static const char *const defaults[] = {
          "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"};
      for (size_t i = 0; ok != 0 && !a.gone && i < 3; i++)
        ok = try_key_file(&a, defaults[i], NULL, 0);
    }
    for (size_t i = 0; ok != 0 && !a.gone && i < conf->private_keys.count; i++)
      ok = try_key_text(&a, conf->private_keys.items[i], i);
  }
  if (ok != 0 && !a.gone && conf->password && pw)
    ok = try_password(&a);
  if (ok != 0 && !a.gone && conf->password && kbd)
    ok = try_kbdint(&a);
  if (ok == 0) {
    ssh_str_free(&a.tried);
    return 0;
  }
  if (!a.tried.len) {
    snprintf(why, why_len,
             "ssh %s: no way to log in: the host accepts %s, but no usable "
             "key, ssh-agent or password is configured for it: set "
             "\"privatekey\" (an ed25519 key whose .pub is in "
             "~/.ssh/authorized_keys on the host) or \"password\" in "
             "pydron.conf, or load a key into ssh-agent",
             c->label, offered);
  } else {
    snprintf(why, why_len,
             "ssh %s: login failed: the host accepts %s; tried: %s%s", c->label,
             offered, a.tried.p ? a.tried.p : "",
             conf->password && !pw && !kbd
                 ? "; \"password\" is set but the host does not accept "
                   "passwords"
                 : "");
  }
  ssh_str_free(&a.tried);
  return -1;
}
