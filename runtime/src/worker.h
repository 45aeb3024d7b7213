/* worker.h - worker mode (worker.c): the executable started by a master
 * with PYDRON_WORKER set serves chunks from its constructors. */
#ifndef PYDRON_WORKER_H
#define PYDRON_WORKER_H

/* 1 in a worker process (the early constructor saw PYDRON_WORKER). */
int pydron_worker_mode(void);

/* worker_mpi.c: in an MPI rank other than 0, prepares worker mode (threads,
 * lease, PYDRON_WORKER) and returns 1 with the stream to rank 0 in *fd;
 * 0 when this process is no such rank; -1 with why. */
#include <stddef.h>
int pydron_worker_mpi_setup(int *fd, char *why, size_t why_len);

#endif /* PYDRON_WORKER_H */
