/* ssh_conn.h - one SSH connection to a worker host (libssh2), set up in
 * blocking mode by the thread that calls ssh_conn_open.
 *
 * ssh_conn.c opens it: TCP connect with a timeout, handshake, host key
 * check against known_hosts (ssh_hostkey.c), login (ssh_auth.c) and
 * keepalive. ssh_conn_exec runs small helper commands to completion
 * (id -u, sha256sum, rm -rf ...). Afterwards a connection may be handed to
 * the I/O thread (ssh_io.c), which then is the only one to touch it until
 * it hands it back: libssh2 sessions are not thread-safe.
 *
 * libssh2 is Debian 12's 1.10: no rsa-sha2 signatures (so RSA user keys
 * only work with servers that still accept ssh-rsa/SHA-1, which OpenSSH
 * >= 8.8 refuses), no channel signals. */
#ifndef PYDRON_SSH_CONN_H
#define PYDRON_SSH_CONN_H

#include <stddef.h>

#include <libssh2.h>

#include "config.h"

struct ssh_conn {
  int sock;                           /* the TCP connection, -1 when closed */
  LIBSSH2_SESSION *session;           /* NULL when closed */
  const struct pydron_ssh_conf *conf; /* must outlive the connection */
  char host[256];                     /* conf->hostname */
  char user[128];                     /* the remote user we log in as */
  int port;
  char label[420]; /* "user@host:port", for messages */
  int timeout_ms;  /* for each blocking step */
};

/* Connects, checks the host key, logs in, configures keepalive (15 s).
 * Returns 0, or -1 with why saying what failed, on which user@host:port,
 * and what to do. On failure c is closed (ssh_conn_close is harmless).
 * Thread-safe: several connections may be opened at once from different
 * threads. Secrets from conf are never printed. */
int ssh_conn_open(struct ssh_conn *c, const struct pydron_ssh_conf *conf,
                  int timeout_ms, char *why, size_t why_len);

/* Runs `cmd` (through the remote user's shell) to completion: sends
 * stdin_data (may be NULL) then end of file, collects stdout into *out
 * (malloc'd, NUL-terminated; out may be NULL to discard it) and the exit
 * status (-1: killed by a signal, or unknown). Returns 0 when the command
 * ran, whatever its status, with the start of its stderr in why (so a
 * caller can quote it after a non-zero status); -1 with why when it could
 * not be run or the connection failed. The connection must be in blocking
 * mode (not handed to the I/O thread); each wait is bounded by
 * c->timeout_ms. */
int ssh_conn_exec(struct ssh_conn *c, const char *cmd, const void *stdin_data,
                  size_t stdin_len, char **out, size_t *out_len,
                  int *exit_status, char *why, size_t why_len);

struct ssh_str;
/* ssh_conn_exec of a command built in *cmd (without stdin), which it
 * frees; a command that could not be built (cmd->failed) is "out of
 * memory". */
int ssh_conn_run(struct ssh_conn *c, struct ssh_str *cmd, char **out,
                 int *exit_status, char *why, size_t why_len);

/* Sends a disconnect (when the connection still works), frees the
 * session, closes the socket. Safe on a closed or zeroed connection. */
void ssh_conn_close(struct ssh_conn *c);

/* Waits until the socket is ready in the direction libssh2 was blocked
 * on (non-blocking mode), at most timeout_ms. 1 ready, 0 timeout, -1
 * error. */
int ssh_conn_wait(struct ssh_conn *c, int timeout_ms);

/* libssh2's last error text on this session ("" when none). */
const char *ssh_conn_error(struct ssh_conn *c);

/* ---- inside ssh_conn_open (ssh_hostkey.c, ssh_auth.c) ---------------- */

/* Before the handshake: sets the host-key method preference from the key
 * types known_hosts records for this host (so a host with several keys is
 * checked against the one we know). After it: checks the host's key. */
int ssh_hostkey_prefer(struct ssh_conn *c, char *why, size_t why_len);
int ssh_hostkey_check(struct ssh_conn *c, char *why, size_t why_len);

/* Logs in: ssh-agent, key files, inline keys, password,
 * keyboard-interactive. 0, or -1 with why. */
int ssh_auth_login(struct ssh_conn *c, char *why, size_t why_len);

/* ---- small helpers shared by the ssh_* files ------------------------- */

/* A growable string. On allocation failure `failed` is set and further
 * appends do nothing. */
struct ssh_str {
  char *p;
  size_t len, cap;
  int failed;
};
void ssh_str_add(struct ssh_str *s, const char *t);
void ssh_str_addf(struct ssh_str *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends t as one word for a POSIX shell: 'single quoted', with each '
 * written as '\''. */
void ssh_str_quote(struct ssh_str *s, const char *t);
void ssh_str_free(struct ssh_str *s);

/* ~/x -> $HOME/x (the local home); other paths unchanged. 0 or -1. */
int ssh_expand_home(const char *path, char *out, size_t cap);

/* "SHA256:<base64 without padding>" of a raw key blob, as OpenSSH prints
 * fingerprints. */
void ssh_fingerprint(const void *blob, size_t len, char *out, size_t cap);

#endif /* PYDRON_SSH_CONN_H */
