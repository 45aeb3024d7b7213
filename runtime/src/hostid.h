/* hostid.h - who a process is, for the hello: build id of the executable,
 * architecture, CPU features; and the master's check of a worker's hello. */
#ifndef PYDRON_HOSTID_H
#define PYDRON_HOSTID_H

#include <stddef.h>

#include "proto.h"

/* Fills everything but pid and threads with this process's values. */
void pydron_hostid_fill(struct proto_hello *h);

/* The executable's build id (hex): the GNU build-id note of the main
 * program, or, when it has none, "exe-" and the hash of /proc/self/exe.
 * Computed once. */
const char *pydron_hostid_build_id(void);

/* Checks a worker's hello against the master's own. Returns 0 when the
 * worker may run this program's chunks, else -1 with a message in why
 * naming both sides ("worker: ..., master: ..."). */
int pydron_hostid_check(const struct proto_hello *master,
                        const struct proto_hello *worker, char *why,
                        size_t why_len);

#endif /* PYDRON_HOSTID_H */
