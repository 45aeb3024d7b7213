/* cloud_cleanup.c - pydron-cleanup --cloud: this user's expired Pydron
 * instances on the EC2 endpoints of pydron.conf.
 *
 * Every instance Pydron starts carries the tags pydron:run, pydron:user
 * (the local login name) and pydron:expiry (when its run may be over:
 * start plus "ttl_minutes"). Normally the run's reaper terminates its
 * instances when the program ends, and the instances' watchdog ends them
 * after ttl_minutes without a worker; this catches what both missed (a
 * machine that lost power with the reaper on it, say). Only instances of
 * this user whose expiry has passed are touched: a live run's never are,
 * and neither are other users'. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud_cleanup.h"
#include "ec2.h"

int pydron_cleanup_cloud(const struct pydron_cloud_conf *c, int list,
                         int dry_run) {
  char why[1024], user[128];
  struct passwd *pw = getpwuid(getuid());
  snprintf(user, sizeof user, "%s", pw && pw->pw_name ? pw->pw_name : "");
  const char *where = c->endpoint ? c->endpoint : c->region;
  struct ec2_client *ec2 = NULL;
  struct ec2_instance *found = NULL;
  int n = 0;
  if (ec2_open(&ec2, c, why, sizeof why) != 0 ||
      ec2_find(ec2, user, &found, &n, why, sizeof why) != 0) {
    fprintf(stderr, "pydron-cleanup: cloud %s: %s\n", where, why);
    if (ec2)
      ec2_close(ec2);
    return -1;
  }
  long long now = (long long)time(NULL);
  char **ids = calloc((size_t)n + 1, sizeof *ids);
  int k = 0, rc = 0;
  for (int i = 0; ids && i < n; i++) {
    const struct ec2_instance *in = &found[i];
    int expired = in->expiry > 0 && in->expiry < now;
    if (list || (!expired && dry_run))
      printf("cloud %s: %s %s (run %s) %s\n", where, in->id, in->state,
             in->run[0] ? in->run : "?",
             expired ? "EXPIRED" : "live: its run may still use it");
    if (!expired)
      continue;
    if (dry_run)
      printf("cloud %s: would terminate %s (run %s, expired %lld s ago)\n",
           where, in->id, in->run, now - in->expiry);
    else if (!list)
      ids[k++] = (char *)in->id;
  }
  if (k) {
    if (ec2_terminate(ec2, ids, k, why, sizeof why) == 0) {
      for (int i = 0; i < k; i++)
        printf("cloud %s: terminated %s\n", where, ids[i]);
    } else {
      fprintf(stderr, "pydron-cleanup: cloud %s: %s\n", where, why);
      rc = -1;
    }
  } else if (!list && !dry_run) {
    printf("cloud %s: no expired instance of %s\n", where, user);
  }
  free(ids);
  free(found);
  ec2_close(ec2);
  return rc;
}
