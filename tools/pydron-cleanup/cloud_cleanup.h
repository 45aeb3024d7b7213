/* cloud_cleanup.h - pydron-cleanup --cloud (cloud_cleanup.c). */
#ifndef PYDRON_CLOUD_CLEANUP_H
#define PYDRON_CLOUD_CLEANUP_H

#include "config.h"

/* Lists (list), says what it would do (dry_run) or terminates this user's
 * expired Pydron instances of cloud entry c, printing a line each. 0, or
 * -1 when the endpoint could not be asked (said on stderr). */
int pydron_cleanup_cloud(const struct pydron_cloud_conf *c, int list,
                         int dry_run);

#endif
