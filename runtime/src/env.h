/* env.h - the environment variables that steer local execution.
 *
 * Parsed once, on first use (and checked at start-up by a constructor so
 * that a bad value stops the program before main). The configuration file
 * (config.c) may later take over; these then stay as overrides. */
#ifndef PYDRON_ENV_H
#define PYDRON_ENV_H

/* Most threads PYDRON_WORKERS may ask for. */
#define PYDRON_MAX_THREADS 4096

/* 1 when PYDRON_DISABLE=1: every loop runs sequentially. */
int pydron_env_disabled(void);

/* PYDRON_WORKERS=N (threads running chunks, the calling thread included),
 * or 0 when unset or empty. A bad value prints a message and exits with
 * status 2. */
int pydron_env_workers(void);

/* PYDRON_TINY_CHUNKS=1 (testing): no loop is too small, chunks are as small
 * as the schedule allows. */
int pydron_env_tiny_chunks(void);

/* Parses s as a plain decimal number in [lo, hi] (digits only: no sign,
 * space or trailing text). 0 with the number in *out, or -1 (s NULL or
 * empty too). */
int pydron_parse_long(const char *s, long lo, long hi, long *out);

#endif /* PYDRON_ENV_H */
