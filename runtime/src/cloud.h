/* cloud.h - EC2 instances that Pydron starts, uses as SSH workers and
 * terminates (cloud.c, cloud_reaper.c). */
#ifndef PYDRON_CLOUD_H
#define PYDRON_CLOUD_H

#include <stddef.h>

#include "config.h"

struct remote_set;
struct remote_worker;

/* Starts, in the background, the `count` instances of cloud entry `e` for
 * the workers slots[0..count-1] (marked starting): keys, user data, a
 * reaper process that terminates the run's instances when this process
 * ends however it ends, RunInstances, the wait until they run, then each
 * slot is started as an SSH worker (remote.c). Returns 0, or -1 with why
 * (nothing was started). */
int pydron_cloud_launch(struct remote_set *set,
                        const struct pydron_worker_conf *e,
                        struct remote_worker **slots, int count, char *why,
                        size_t why_len);

/* Cloud slot w is given up for good (set->lock held): its instance, if
 * it has one, is terminated now, on a thread of its own, rather than when
 * the program ends: it would cost money and serve nobody until then. */
void pydron_cloud_release(struct remote_worker *w);

struct ec2_client;
struct ec2_instance;

/* The live instances (as ec2_find sees them) of `user` tagged with run
 * `run`, except those in keep[0..nkeep-1]. 0 with their ids in *ids and
 * their count in *n (the ids point into *found; free both), or -1 with
 * why. */
int pydron_cloud_run_ids(struct ec2_client *ec2, const char *user,
                         const char *run, char **keep, int nkeep,
                         struct ec2_instance **found, char ***ids, int *n,
                         char *why, size_t why_len);

/* Reaper mode (PYDRON_REAPER set by cloud.c): reads what it needs from
 * stdin, waits for end of file there (its master is gone), terminates the
 * run's instances and exits. Never returns. */
void pydron_cloud_reaper_main(void) __attribute__((noreturn));

#endif /* PYDRON_CLOUD_H */
