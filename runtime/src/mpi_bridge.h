/* mpi_bridge.h - MPI as a transport: each MPI rank behind one socket.
 *
 * Under mpirun (or srun), rank 0 runs main (the master) and every other
 * rank serves as a worker. Tasks and results are the same protocol byte
 * stream as for process and SSH workers (proto.h), carried in MPI
 * messages. As with SSH (transport_ssh.h), a bridge turns each peer into a
 * plain AF_UNIX stream socket, so the scheduler and the worker loop only
 * ever see file descriptors and do not know MPI exists:
 *
 *   rank 0:  scheduler fd  <-> socketpair <-> bridge thread <-MPI-> rank r
 *   rank r:  worker fd     <-> socketpair <-> bridge thread <-MPI-> rank 0
 *
 * libmpi is not a link-time dependency: it is dlopen'ed only when
 * pydron_mpi_start runs, so programs that never run under MPI do not need
 * it installed. One thread per process (the bridge thread) makes every
 * MPI call, from MPI_Init_thread (MPI_THREAD_FUNNELED) to MPI_Finalize;
 * the functions below may be called from any thread.
 *
 * End of stream: closing the fd (or shutdown(SHUT_WR)) sends end of stream
 * to the other rank, whose bridge then shuts down its socket for writing:
 * its reader sees EOF. An MPI error on a peer closes that peer's socket
 * (the reader sees EOF) and records "MPI rank N: <reason>". */
#ifndef PYDRON_MPI_BRIDGE_H
#define PYDRON_MPI_BRIDGE_H

#include <stddef.h>

/* From the environment only (libmpi is not touched): the rank and size the
 * launcher gave this process (mpirun: OMPI_COMM_WORLD_RANK/SIZE; PMIx:
 * PMIX_RANK; MPICH/Intel: PMI_RANK/PMI_SIZE; srun: SLURM_PROCID/NTASKS
 * with SLURM_STEP_ID). Returns 1 when this process is one rank of
 * several (*rank, *size set), else 0 (*rank 0, *size 1). */
int pydron_mpi_detect(int *rank, int *size);

/* Loads libmpi, starts the bridge thread and waits until it has
 * initialized MPI and created one socketpair per peer (rank 0: one per
 * other rank; rank r > 0: one to rank 0). Returns 0, or -1 with why
 * (libmpi missing, MPI_Init_thread failed, built without MPI support).
 * Idempotent: later calls return the first call's outcome. */
int pydron_mpi_start(char *why, size_t why_len);

/* This process's rank and size once started (else -1). */
int pydron_mpi_rank(void);
int pydron_mpi_size(void);

/* Rank 0: the scheduler's end of the stream to worker rank `rank`
 * (1..size-1): an AF_UNIX SOCK_STREAM socket, blocking, close-on-exec,
 * owned by the caller from now on. Each rank's fd is handed out once (a
 * lost MPI rank cannot be restarted). -1 with why. */
int pydron_mpi_worker_fd(int rank, char *why, size_t why_len);

/* Rank r > 0: the worker's end of the stream to rank 0 (as above). */
int pydron_mpi_master_fd(char *why, size_t why_len);

/* Ends MPI: closes the fds never handed out, lets the bridge flush what is
 * pending and exchange end of stream with every peer (at most ~2 s), then
 * MPI_Finalize on the bridge thread, and joins it. Close (or shut down)
 * the fds you hold first: a peer whose stream is still open counts as
 * pending. Rank 0 calls it at exit after closing its worker fds; workers
 * call it before they exit (an MPI process that exits without finalizing
 * makes mpirun fail the whole job). Safe when never started; once only
 * (later calls do nothing). */
void pydron_mpi_finish(void);

/* The last peer error ("MPI rank 2: MPI_ERR_...") or NULL. The string
 * stays valid for the life of the process. */
const char *pydron_mpi_error(void);

#endif /* PYDRON_MPI_BRIDGE_H */
