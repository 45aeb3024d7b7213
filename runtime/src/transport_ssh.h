/* transport_ssh.h - workers on other hosts over SSH, behind one file
 * descriptor each, so that the scheduler treats them like local worker
 * processes (transport_pipe.c) and does not know SSH exists.
 *
 *   transport_ssh.c  start and stop one worker: connect (ssh_conn.c), ship
 *                    the program (ssh_deploy.c), run it on an exec
 *                    channel, hand the session to the I/O thread
 *   ssh_io.c         the one thread that owns every session once set up:
 *                    bridges each channel to a local socketpair, forwards
 *                    the worker's stderr as "[host] line", keepalives
 *
 * The protocol runs over the exec channel's stdin/stdout: no extra ports.
 * The worker exits at end of stdin, so closing the stream (or the master
 * dying, which closes the TCP connection) ends it; a stuck one is killed
 * through a second exec channel (libssh2 1.10 has no channel signals). */
#ifndef PYDRON_TRANSPORT_SSH_H
#define PYDRON_TRANSPORT_SSH_H

#include <stddef.h>
#include <stdint.h>

#include <libssh2.h>

#include "config.h"
#include "ssh_conn.h"

struct ssh_worker;

/* Connects to the host of `conf`, ships this program there and starts it
 * in worker mode:
 *   exec env -u LD_PRELOAD -u LD_LIBRARY_PATH PYDRON_WORKER=1
 *        [PYDRON_WORKER_THREADS=threads] <env...>
 *        <run>/<loader> --library-path <run> --argv0 <exe> <run>/<exe>
 * `threads` 0 lets the worker use every core of its host. `env` is NULL
 * or a NULL-terminated list of "NAME=value" (e.g.
 * "PYDRON_WORKER_LEASE_MS=10000"); it goes on the remote command line, so
 * never put secrets there. conf must stay valid until the worker is
 * stopped.
 *
 * Returns 0 with *fd (the scheduler's end of an AF_UNIX stream socket,
 * blocking, close-on-exec; the worker's hello is the first thing to read
 * on it) and *out; or -1 with why (what failed, on which user@host:port,
 * what to do). Blocking, bounded by timeouts (20 s per step); several may
 * run at once from different threads (one per host). */
int pydron_transport_ssh_start(const struct pydron_ssh_conf *conf, int threads,
                               const char *const *env, int *fd,
                               struct ssh_worker **out, char *why,
                               size_t why_len);

/* The worker's pid on its host (from its hello): lets stop kill it. */
void pydron_transport_ssh_set_pid(struct ssh_worker *w, uint32_t pid);

/* Ends the worker and frees w (kill_now 2: the worker was silent, its host
 * may be unreachable: kill it with one brief try). Closes the transport's end of the stream
 * (the caller closes its own fd, before or after), sends end of file on
 * the channel, waits up to 2 s for the worker to exit (kill_now: not at
 * all), kills it if it did not (`kill -KILL <pid>` after checking that
 * the pid still runs from this worker's run directory, or pkill by that
 * directory when the pid is not known), removes the run directory (the
 * cache stays) and disconnects. When the connection is already dead
 * nothing remote can be done: the worker ends by itself (end of stdin
 * when sshd notices, or its lease) and pydron-cleanup removes what is
 * left. Blocking (up to ~2 s plus one round trip per step); safe from any
 * thread, once per worker. NULL is ignored. */
void pydron_transport_ssh_stop(struct ssh_worker *w, int kill_now);

/* "user@host:port", for messages. */
const char *pydron_transport_ssh_label(const struct ssh_worker *w);

/* ---- ssh_io.c: the I/O thread --------------------------------------------
 *
 * One thread owns every attached session: libssh2 sessions are not
 * thread-safe, so after attach only that thread touches the session until
 * ssh_io_finish hands it back. The thread starts with the first attach and
 * ends when nothing is attached. */

struct ssh_link;

/* What happened to the channel, when it is handed back. */
struct ssh_io_result {
  int dead;        /* the connection failed: nothing remote can be done */
  int closed;      /* the channel closed (the worker exited) */
  int exit_status; /* when closed: its status; -1 killed by a signal */
  char signal[32]; /* when closed by a signal: its name ("KILL") */
  char why[256];   /* when dead: why */
};

/* Hands c (its session switched to non-blocking here) and ch (an exec
 * channel, already started) to the I/O thread. Returns the link and, in
 * *fd, the scheduler's end of a socketpair bridged to the channel's stdin
 * and stdout; the channel's stderr goes to our stderr, each line prefixed
 * with `prefix` ("[host] "). `early` (may be NULL) is stdout the caller
 * already read from the channel: the scheduler gets it first. NULL with
 * why on failure (nothing attached). */
struct ssh_link *ssh_io_attach(struct ssh_conn *c, LIBSSH2_CHANNEL *ch,
                               const char *prefix, const void *early,
                               size_t early_len, int *fd, char *why,
                               size_t why_len);

/* Asks the I/O thread to close the bridge: closes its end of the
 * socketpair, sends end of file on the channel and waits up to wait_ms for
 * the channel to close (forwarding stderr meanwhile), then hands the
 * session back (still non-blocking) and frees the link. Fills *res. */
void ssh_io_finish(struct ssh_link *l, int wait_ms, struct ssh_io_result *res);

#endif /* PYDRON_TRANSPORT_SSH_H */
