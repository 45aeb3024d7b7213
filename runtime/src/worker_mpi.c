/* worker_mpi.c - the ranks of an MPI job other than rank 0 are workers.
 *
 * Under mpirun or srun every rank starts the same program. Rank 0 runs
 * main and is the master; every other rank goes into worker mode from the
 * early constructor, exactly like a worker process started by a master,
 * except that its protocol stream comes from the MPI bridge
 * (mpi_bridge.h) instead of an inherited descriptor, and that it reads
 * the threads and the lease itself (nobody sets its environment):
 *  - threads: the "mpi" entry's "cores", else the CPUs the launcher bound
 *    the rank to, else this node's cores shared by the ranks on it
 *    (mpirun and srun say how many run here), at least 1;
 *  - lease: "faults" "lease_seconds" of the same configuration.
 * With PYDRON_DISABLE=1 rank 0 runs sequentially and uses no worker: the
 * other ranks end at once, without starting MPI (rank 0 does not either),
 * so the job ends cleanly and main runs once. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mpi_bridge.h"
#include "worker.h"

/* Ranks of this job on this node, from the launcher's environment. */
static long local_ranks(void) {
  const char *names[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS",
                         "SLURM_NTASKS_PER_NODE",
                         "SLURM_TASKS_PER_NODE" /* "2(x3)": 2 here */};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const char *v = getenv(names[i]);
    long n = v ? strtol(v, NULL, 10) : 0;
    if (n > 0)
      return n;
  }
  return 1;
}

static void set_number(const char *name, long value) {
  char text[32];
  snprintf(text, sizeof text, "%ld", value);
  setenv(name, text, 1);
}

int pydron_worker_mpi_setup(int *fd, char *why, size_t why_len) {
  int rank, size;
  if (!pydron_mpi_detect(&rank, &size) || rank == 0)
    return 0;
  const char *off = getenv("PYDRON_DISABLE");
  if (off && !strcmp(off, "1"))
    _exit(0);

  struct pydron_config cfg;
  struct pydron_config_error err;
  memset(&cfg, 0, sizeof cfg);
  long threads = 0, lease_s = PYDRON_FAULTS_DEFAULT_LEASE_SECONDS;
  if (pydron_config_load(&cfg, &err) == 0) {
    for (size_t i = 0; i < cfg.nworkers; i++)
      if (cfg.workers[i].type == PYDRON_WORKER_MPI)
        threads = cfg.workers[i].u.mpi.cores;
    lease_s = cfg.faults.lease_seconds;
  }
  pydron_config_free(&cfg);
  if (threads <= 0) {
    /* A rank the launcher bound to some CPUs gets those; an unbound one
     * shares the node with the other ranks on it. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    long bound = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                             : cpus;
    if (cpus < 1)
      cpus = 1;
    threads = bound > 0 && bound < cpus ? bound : cpus / local_ranks();
    if (threads < 1)
      threads = 1;
  }
  if (!getenv("PYDRON_WORKER_THREADS"))
    set_number("PYDRON_WORKER_THREADS", threads);
  if (!getenv("PYDRON_WORKER_LEASE_MS"))
    set_number("PYDRON_WORKER_LEASE_MS", lease_s * 1000);
  /* The rest of the runtime (configuration, observability) now sees a
   * worker. */
  setenv("PYDRON_WORKER", "mpi", 1);

  if (pydron_mpi_start(why, why_len) != 0)
    return -1;
  *fd = pydron_mpi_master_fd(why, why_len);
  return *fd >= 0 ? 1 : -1;
}
