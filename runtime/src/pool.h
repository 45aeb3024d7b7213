/* pool.h - the persistent thread pool that runs chunks locally. */
#ifndef PYDRON_POOL_H
#define PYDRON_POOL_H

#include <signal.h>

/* A job: called once on every participating thread. `index` is 0 for the
 * calling thread and 1 .. threads-1 for the workers, so a job can keep
 * per-thread state in an array of pydron_pool_threads() entries. */
typedef void (*pydron_pool_job)(void *arg, int index);

/* Threads running chunks, the calling thread included (OpenMP's meaning):
 * PYDRON_WORKERS, else the CPUs this process may run on. Always >= 1;
 * starts nothing. */
int pydron_pool_threads(void);

/* Runs job(arg, i) on the calling thread (i = 0) and on every worker,
 * starting the workers on first use, and returns when all have returned.
 * One job owns the pool at a time: returns 0 at once, without running
 * anything, when another thread's job holds it, when called from inside a
 * job, or after shutdown began. Returns the number of threads that ran the
 * job (at least 1) otherwise. */
int pydron_pool_run(pydron_pool_job job, void *arg);

/* Blocks every signal but the fault signals in the calling thread, saving
 * the old mask in *old (restore it with pthread_sigmask). Threads started
 * meanwhile inherit the mask: asynchronous signals (SIGINT, SIGCHLD,
 * timers, ...) then go to the user's threads, while a crash still reaches
 * the user's (or a sanitizer's) handler. */
void pydron_block_async_signals(sigset_t *old);

/* Starts fn(arg) on a detached thread with asynchronous signals blocked
 * (as above: they stay with the user's threads), storing its id in *tid
 * when tid is not NULL. 0, or pthread_create's error. */
int pydron_start_detached(void *(*fn)(void *), void *arg, pthread_t *tid);

#endif /* PYDRON_POOL_H */
