/* config.h - the runtime's configuration: where workers run (pydron.conf).
 *
 * The file is JSON, compatible with the original (Python) Pydron's:
 *
 *   {"workers": [{"type": "multicore", "cores": 4}]}
 *
 * It is searched in $PYDRON_CONF, ./pydron.conf, ~/pydron.conf and
 * /etc/pydron.conf, in that order; the first that exists is used, and when
 * none exists every local core is used. docs/configuration.md describes every
 * key; this header is the runtime's internal API for it:
 *
 *   config.c         searching, reading and checking the file as a file
 *   schema.c         turning the JSON into the structs below, strictly
 *   config_locate.c  line and column of a JSON path, for error messages
 *   config_dump.c    printing a loaded configuration (secrets masked)
 *   config_start.c   loading at program start; what the pool asks for
 *
 * Nothing here is exported from libpydron_rt.so: only the runtime itself and
 * the pydron-config tool (linked with the static library) use it.
 */
#ifndef PYDRON_CONFIG_H
#define PYDRON_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* Limits that catch typos ("cores": 40000) without getting in anyone's way.
 * The file limit keeps a runaway file (or /dev/zero behind a symlink) from
 * being read into memory at program start. */
#define PYDRON_CONFIG_MAX_CORES 4096
#define PYDRON_CONFIG_MAX_COUNT 1024
#define PYDRON_CONFIG_MAX_TTL_MINUTES (7 * 24 * 60)
#define PYDRON_CONFIG_MAX_FILE_BYTES (1024 * 1024)

/* The four places searched, in order. */
#define PYDRON_CONFIG_MAX_CANDIDATES 4

enum pydron_worker_type {
  PYDRON_WORKER_MULTICORE,
  PYDRON_WORKER_SSH,
  PYDRON_WORKER_CLOUD,
  PYDRON_WORKER_MPI,
};

enum pydron_isolation {
  PYDRON_ISOLATION_THREAD,  /* chunks run on threads of this process */
  PYDRON_ISOLATION_PROCESS, /* chunks run in local worker processes */
};

enum pydron_host_key_check {
  PYDRON_HOST_KEY_STRICT,     /* the host must be in known_hosts already */
  PYDRON_HOST_KEY_ACCEPT_NEW, /* unknown hosts are added; changed keys fail */
};

/* A list of strings from a JSON array (the original's "private_key_files"
 * and "private_keys"). */
struct pydron_strlist {
  char **items;
  size_t count;
};

struct pydron_multicore_conf {
  int cores; /* threads running chunks, the calling one included; 0 = all */
  enum pydron_isolation isolation;
};

/* Unset optional strings are NULL. Secrets: password, passphrase,
 * private_keys (the original's inline key texts). */
struct pydron_ssh_conf {
  char *hostname;
  int port;
  char *username; /* NULL: the local user's name, as ssh does */
  char *password;
  struct pydron_strlist privatekeys; /* "privatekey" or "private_key_files" */
  struct pydron_strlist private_keys; /* inline key texts (original) */
  char *publickey;
  char *passphrase;
  char *tmp_dir;
  int cores; /* 0 = every core of the host */
  enum pydron_host_key_check host_key_check;
  char *known_hosts;
  int keep_cache; /* 1: the shipped program stays cached on the host */
};

/* Secret: accesskey. Without accesskeyid/accesskey the AWS_* environment
 * variables are used when the instances are started. */
struct pydron_cloud_conf {
  char *provider;
  char *region; /* from the provider when the file has none */
  char *endpoint;
  char *accesskeyid;
  char *accesskey;
  char *imageid;
  char *sizeid;
  char *username;
  char *publickey;  /* NULL with privatekey NULL: an ephemeral key per run */
  char *privatekey;
  char *security_group;
  char *subnet;
  int public_ip; /* 1: give the instances a public address */
  char *tmp_dir;
  int count;
  int cores; /* 0 = every core of the instance */
  int ttl_minutes;
};

/* What happens when workers fail ("faults" at the top level of the file;
 * docs/configuration.md). Every field always holds a value: the defaults
 * below when the file says nothing. */
enum pydron_no_workers {
  PYDRON_NO_WORKERS_THREADS, /* loops go on on this process's threads */
  PYDRON_NO_WORKERS_FAIL,    /* the program stops with an error */
};
#define PYDRON_FAULTS_DEFAULT_LEASE_SECONDS 10
#define PYDRON_FAULTS_MAX_LEASE_SECONDS 3600
#define PYDRON_FAULTS_DEFAULT_CHUNK_RETRIES 1
#define PYDRON_FAULTS_MAX_CHUNK_RETRIES 3
#define PYDRON_FAULTS_DEFAULT_WORKER_RESTARTS 3
#define PYDRON_FAULTS_MAX_WORKER_RESTARTS 100
struct pydron_faults_conf {
  int lease_seconds;   /* silence after which a worker (or the master) is
                          given up on */
  int chunk_retries;   /* reruns of a chunk that crashed on a worker */
  int worker_restarts; /* restarts of each lost worker, per program run */
  enum pydron_no_workers when_no_workers;
};
void pydron_faults_defaults(struct pydron_faults_conf *f);

/* The ranks of an MPI job (mpirun, srun) other than rank 0 are workers. */
struct pydron_mpi_conf {
  int cores; /* threads per worker rank; 0 = the node's cores shared by
                the ranks on that node */
};

struct pydron_worker_conf {
  enum pydron_worker_type type;
  int index;        /* position in "workers", for messages: workers[index] */
  int line, column; /* where the entry starts in the file; 0 if implicit */
  union {
    struct pydron_multicore_conf multicore;
    struct pydron_ssh_conf ssh;
    struct pydron_cloud_conf cloud;
    struct pydron_mpi_conf mpi;
  } u;
};

/* Why a candidate path was or was not used. */
enum pydron_candidate_status {
  PYDRON_CANDIDATE_UNSET,       /* $PYDRON_CONF not set */
  PYDRON_CANDIDATE_NO_HOME,     /* no home directory known */
  PYDRON_CANDIDATE_MISSING,     /* does not exist */
  PYDRON_CANDIDATE_USED,        /* this is the file */
  PYDRON_CANDIDATE_FAILED,      /* exists but could not be used: see error */
  PYDRON_CANDIDATE_NOT_REACHED, /* an earlier candidate decided */
};

struct pydron_config_candidate {
  const char *origin; /* "$PYDRON_CONF", "./pydron.conf", ... */
  char path[PATH_MAX];
  enum pydron_candidate_status status;
};

/* A note about something in the file that is accepted but has no effect
 * (keys of the original that only made sense for its TCP transport). */
struct pydron_config_note {
  char text[256];
};
#define PYDRON_CONFIG_MAX_NOTES 16

struct pydron_config {
  /* The search (pydron_config_load only): filled in even when it fails, so
   * that pydron-config can say where it looked. */
  struct pydron_config_candidate tried[PYDRON_CONFIG_MAX_CANDIDATES];
  int ntried;

  char *file;   /* the file used; NULL: none, every local core (implicit) */
  int implicit; /* 1: no file, workers[] is the one default multicore entry */
  struct pydron_worker_conf *workers;
  size_t nworkers;
  struct pydron_faults_conf faults;

  struct pydron_config_note notes[PYDRON_CONFIG_MAX_NOTES];
  int nnotes;
};

enum pydron_config_error_kind {
  PYDRON_CONFIG_OK = 0,
  PYDRON_CONFIG_ERR_IO,            /* missing, unreadable, not a file */
  PYDRON_CONFIG_ERR_SYNTAX,        /* not JSON */
  PYDRON_CONFIG_ERR_SCHEMA,        /* JSON, but not a valid configuration */
  PYDRON_CONFIG_ERR_PERMISSIONS,   /* secrets in a file others can read */
  PYDRON_CONFIG_ERR_NOT_AVAILABLE, /* valid, but needs a later version */
  PYDRON_CONFIG_ERR_ENV,           /* PYDRON_CONF set but empty */
  PYDRON_CONFIG_ERR_NOMEM,
};

/* One error, ready to print: `text` says what went wrong, where ("file:
 * line:column: workers[1].cores: ...") and what to do about it. */
struct pydron_config_error {
  enum pydron_config_error_kind kind;
  int line, column; /* 1-based; 0 when not known */
  char text[1536];
};

/* Searches $PYDRON_CONF, ./pydron.conf, ~/pydron.conf, /etc/pydron.conf and
 * loads the first that exists (see pydron_config_load_file). A $PYDRON_CONF
 * that is set but names no file is an error, never a reason to look
 * further. No file at all gives one implicit multicore entry (every core).
 * Returns 0, or -1 with `err` filled in. Either way `out` must be released
 * with pydron_config_free. On failure it holds the search record and the
 * name of the file found (if any); after PYDRON_CONFIG_ERR_NOT_AVAILABLE
 * also the valid entries, so that they can be shown. */
int pydron_config_load(struct pydron_config *out,
                       struct pydron_config_error *err);

/* Reads and validates one file and refuses workers this version cannot run
 * yet. Returns 0, or -1 with `err` filled in (and `out` as described for
 * pydron_config_load, without the search record). */
int pydron_config_load_file(const char *path, struct pydron_config *out,
                            struct pydron_config_error *err);

/* Like pydron_config_load_file, without the last step: the configuration is
 * valid but may name workers this version cannot run. For pydron-config,
 * which shows such files before it says why they cannot be used. */
int pydron_config_parse_file(const char *path, struct pydron_config *out,
                             struct pydron_config_error *err);

/* 0 when every entry can run in this version; -1 with `err` naming the first
 * entry that cannot. */
int pydron_config_check_available(const struct pydron_config *cfg,
                                  struct pydron_config_error *err);

/* Releases what a load allocated; `cfg` may be zeroed or partly filled.
 * Secrets are cleared before their memory is freed. */
void pydron_config_free(struct pydron_config *cfg);

/* Local threads running chunks (the calling thread included), from the
 * multicore entry: N, or 0 = not configured = every core. A file without a
 * multicore entry gives 1: only the calling thread works locally. */
int pydron_config_threads(const struct pydron_config *cfg);

/* The precedence below in one place, for the program and for pydron-config:
 * 1 when disabled, else env_workers when > 0, else the file's threads (cfg
 * may be NULL: 0 = every core). The environment itself is read by env.c
 * (pydron_env_disabled, pydron_env_workers), which owns those variables. */
int pydron_config_effective_threads(const struct pydron_config *cfg,
                                    int disabled, int env_workers);

/* Human-readable names, for messages and dumps. */
const char *pydron_worker_type_name(enum pydron_worker_type type);

/* Prints one entry on one line as JSON with every default filled in and
 * every secret replaced by "***" (config_dump.c). */
void pydron_config_dump_worker(FILE *fp, const struct pydron_worker_conf *w);
/* The "faults" policy, defaults filled in, as one line of JSON. */
void pydron_config_dump_faults(FILE *fp, const struct pydron_faults_conf *f);

/* ---- program start (config_start.c) ----------------------------------
 *
 * A constructor loads the configuration before main; a broken file prints
 * the error to stderr and exits with status 2 (env.c does the same for a bad
 * PYDRON_DISABLE / PYDRON_WORKERS). It does nothing in worker mode
 * (PYDRON_WORKER set).
 *
 * Precedence, highest first:
 *   PYDRON_DISABLE=1  everything runs sequentially; the file is not read
 *   PYDRON_WORKERS=N  N local threads, whatever the file says
 *   the file         its multicore entry's "cores"
 *   the default      every local core
 */

/* Local threads for the pool: 1 when disabled, N from PYDRON_WORKERS, the
 * file's cores, or 0 = every core. */
int pydron_config_threads_global(void);

/* 1 when PYDRON_DISABLE=1: pydron_parallel_for should decline every loop. */
int pydron_config_disabled_global(void);

/* The configuration loaded at start (NULL in worker mode or when disabled),
 * for the parts that start remote workers. */
const struct pydron_config *pydron_config_global(void);

#endif /* PYDRON_CONFIG_H */
