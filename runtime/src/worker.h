/* worker.h - worker mode (worker.c): the executable started by a master
 * with PYDRON_WORKER set serves chunks from its constructors. */
#ifndef PYDRON_WORKER_H
#define PYDRON_WORKER_H

/* 1 in a worker process (the early constructor saw PYDRON_WORKER). */
int pydron_worker_mode(void);

#endif /* PYDRON_WORKER_H */
