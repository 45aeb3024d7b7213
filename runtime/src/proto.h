/* proto.h - the master <-> worker protocol: frames and messages.
 *
 * Any byte stream carries it (a socketpair for local process workers, an
 * SSH channel later). Every message is one frame:
 *
 *   u32 magic "PYDR"   u16 type   u16 flags (0)   u32 length   payload
 *
 * all little-endian; `length` counts the payload only and is capped per
 * type (PROTO_MAX_FRAME for tasks and results). The worker speaks first
 * (HELLO); the master sends nothing before it has checked the hello.
 * docs/remote-workers.md describes every message field by field.
 *
 * Everything here is pure: encoders append to a growable buffer, decoders
 * read a payload in memory and check every length, count, order and range
 * before they return, so that truncated, corrupt, oversized or hostile
 * input gives an error message and never a crash or an out-of-bounds
 * access. Decoded messages point into the payload (which must outlive
 * them) and may hold arrays the decoder allocated: release them with the
 * matching proto_free_*. What the decoders cannot know (is this loop
 * registered, is this attempt in flight, does the run lie inside a WRITE
 * range) is checked by the caller (worker.c, ship.c). */
#ifndef PYDRON_PROTO_H
#define PYDRON_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_MAGIC 0x52445950u /* "PYDR" as little-endian bytes */
#define PROTO_HEADER_BYTES 12u

/* Caps: a frame (payload) and what one may hold. */
#define PROTO_MAX_FRAME (1u << 30)
#define PROTO_MAX_HELLO 4096u
#define PROTO_MAX_ERROR_TEXT 16384u
#define PROTO_MAX_ID 4096u        /* loop id */
#define PROTO_MAX_ENV (1u << 20)  /* env bytes */
#define PROTO_MAX_SLOTS 65536u
#define PROTO_MAX_OBJECTS 65536u
#define PROTO_MAX_INTERVALS 65536u
#define PROTO_MAX_DROPS 65536u
#define PROTO_MAX_OBJECT_BYTES (1ull << 44) /* address space, not memory */
#define PROTO_MAX_FEATURES 8u
#define PROTO_MAX_MODULES 64u
#define PROTO_MAX_MODULE_NAME 1023u

enum proto_type {
  PROTO_HELLO = 1,     /* worker -> master, first */
  PROTO_TASK = 2,      /* master -> worker */
  PROTO_RESULT = 3,    /* worker -> master */
  PROTO_ERROR = 4,     /* worker -> master */
  PROTO_HEARTBEAT = 5, /* both ways; a worker echoes the master's */
  PROTO_SHUTDOWN = 6,  /* master -> worker: finish and exit */
};

/* ERROR codes. */
enum proto_error_code {
  PROTO_ERR_GENERIC = 1,
  PROTO_ERR_UNKNOWN_LOOP = 2, /* no loop with that id in this worker */
  PROTO_ERR_BAD_TASK = 3,     /* the task does not fit the loop */
  PROTO_ERR_NO_MEMORY = 4,
  PROTO_ERR_FAULT = 5,        /* the chunk crashed (signal, address) */
  PROTO_ERR_REFUSED = 6,      /* the worker will not serve (attempt 0) */
  PROTO_ERR_PROTOCOL = 7,     /* the worker could not decode a message */
  PROTO_ERR_OUTSIDE = 8,      /* the chunk wrote outside its intervals */
};

/* Interval flags and sources in a TASK. */
#define PROTO_IV_WRITE 1u  /* holds a WRITE range: diff it and send back */
#define PROTO_IV_DATA 0u   /* the bytes follow */
#define PROTO_IV_CACHED 1u /* the worker holds them under cache_id */
#define PROTO_IV_IMAGE 2u  /* read-only data of the executable (or a shared
                              object): the worker has the same bytes */

/* ---- encoding ---------------------------------------------------------- */

/* A growable byte buffer. After an allocation failure `failed` is set and
 * further appends do nothing. */
struct pbuf {
  uint8_t *p;
  size_t len, cap;
  int failed;
};

void pbuf_free(struct pbuf *b);
void pbuf_reset(struct pbuf *b); /* len = 0, keeps the memory */
/* Makes room for n more bytes; returns where they go, or NULL. */
uint8_t *pbuf_grow(struct pbuf *b, size_t n);
void pbuf_put(struct pbuf *b, const void *p, size_t n);
void pbuf_u8(struct pbuf *b, uint8_t v);
void pbuf_u16(struct pbuf *b, uint16_t v);
void pbuf_u32(struct pbuf *b, uint32_t v);
void pbuf_u64(struct pbuf *b, uint64_t v);
/* u16 length, bytes (cut at 65535). */
void pbuf_str(struct pbuf *b, const char *s);
/* Unsigned LEB128. */
void pbuf_var(struct pbuf *b, uint64_t v);

/* Starts a frame of `type` at the end of b (header with length 0); returns
 * its offset for proto_frame_end, which fills in the length. Returns 0
 * from proto_frame_end on success, -1 when the buffer failed or the
 * payload exceeds the type's cap. */
size_t proto_frame_begin(struct pbuf *b, uint16_t type);
int proto_frame_end(struct pbuf *b, size_t start);

/* The most payload a frame of this type may have. */
uint32_t proto_max_payload(uint16_t type);

/* ---- reading frames from a byte stream ---------------------------------
 *
 * The payload buffer grows as bytes arrive, so a header that announces a
 * huge frame costs nothing until the bytes are there. */
struct proto_reader {
  uint8_t header[PROTO_HEADER_BYTES];
  size_t have_header;
  uint16_t type;
  uint32_t length;
  uint8_t *payload;
  size_t have, cap;
  int in_payload;
  uint64_t bytes_read; /* every byte proto_read_frame read; other threads
                          may watch it with __atomic_load_n (a lease) */
};

/* Feeds up to n bytes from `data`; returns how many were used (less than
 * n only when a frame completed: call again with the rest after handling
 * it). *done is set to 1 when a whole frame is ready in r->type /
 * r->payload / r->length; proto_reader_next then releases it (or
 * proto_reader_take hands over the payload). On a corrupt header
 * (magic, flags, unknown type, length over the cap) returns -1 with a
 * message in err. */
long proto_reader_feed(struct proto_reader *r, const uint8_t *data, size_t n,
                       int *done, char *err, size_t err_len);
/* Reads one frame from fd. Returns 1 with a frame in r, 0 at end of
 * stream between frames, 2 when fd is non-blocking and the frame is not
 * complete yet (what arrived is kept in r: call again when fd is
 * readable), -1 on error (truncated frame, I/O error,
 * corrupt header) with a message in err. */
int proto_read_frame(int fd, struct proto_reader *r, char *err,
                     size_t err_len);
/* The frame was handled: forget it (keeps the buffer for the next). */
void proto_reader_next(struct proto_reader *r);
/* Hands the payload to the caller (free() it), then as proto_reader_next. */
uint8_t *proto_reader_take(struct proto_reader *r);
void proto_reader_free(struct proto_reader *r);

/* Writes all of buf to fd: send(MSG_NOSIGNAL) on sockets (a dead peer
 * gives EPIPE, not SIGPIPE), write otherwise. 0 or -1 (errno set). */
int proto_write_all(int fd, const void *buf, size_t n);

/* ---- messages ----------------------------------------------------------- */

struct proto_hello {
  uint32_t version;     /* PROTO_VERSION */
  uint32_t abi_version; /* PYDRON_ABI_VERSION */
  uint32_t pid;
  uint32_t threads;     /* threads the worker runs tasks on */
  char build_id[129];   /* hex */
  char arch[65];        /* "x86_64-linux-gnu-le64" */
  char host[256];
  uint32_t nfeatures;
  uint64_t features[PROTO_MAX_FEATURES];
};

struct proto_object {
  uint64_t begin, end; /* master addresses */
  uint32_t module;     /* 0: anonymous memory (heap, stack, mmap): mapped
                          fresh; k: static storage of module k - 1, put at
                          the same offset in the worker's copy */
};

struct proto_module {
  const char *name; /* not NUL-terminated; "" (length 0): the executable */
  uint32_t name_len;
  uint64_t base;    /* the master's load bias */
};

struct proto_interval {
  uint32_t object;
  uint8_t flags;  /* PROTO_IV_WRITE */
  uint8_t source; /* PROTO_IV_DATA, PROTO_IV_CACHED or PROTO_IV_IMAGE */
  uint64_t begin, end;
  uint64_t cache_id; /* CACHED: the worker's copy */
  uint64_t keep_id;  /* DATA: keep the bytes under this id (0: don't) */
  const uint8_t *data; /* DATA: end - begin bytes */
};

struct proto_task {
  uint64_t attempt;
  const char *loop_id; /* not NUL-terminated */
  uint32_t loop_id_len;
  int64_t lo, hi;
  const uint8_t *env;
  uint32_t env_len;
  uint32_t nslots;
  int32_t *slot_object; /* per env slot: object it is rebased into, -1 */
  uint32_t nobjects;
  struct proto_object *objects;
  uint32_t nintervals;
  struct proto_interval *intervals;
  uint32_t ndrops;
  uint64_t *drops; /* cache ids to forget, before this task's intervals */
  uint32_t nmodules;
  struct proto_module *modules;
};

struct proto_run {
  uint32_t interval;
  uint64_t offset;
  uint32_t len;
  const uint8_t *data;
};

struct proto_result {
  uint64_t attempt;
  uint64_t run_ns;
  const uint8_t *buf; /* partials, then chain values */
  uint32_t buf_len;
  uint32_t nruns;
  struct proto_run *runs;
};

struct proto_error {
  uint64_t attempt; /* 0: not about a task */
  uint32_t code;
  uint32_t signal;
  uint64_t address;
  char text[PROTO_MAX_ERROR_TEXT + 1];
};

/* Encoders append one whole frame; 0 or -1 (buffer failure / too big). */
int proto_put_hello(struct pbuf *b, const struct proto_hello *h);
int proto_put_error(struct pbuf *b, uint64_t attempt, uint32_t code,
                    uint32_t signal, uint64_t address, const char *text);
int proto_put_heartbeat(struct pbuf *b, uint64_t value);
int proto_put_shutdown(struct pbuf *b);
/* Tasks and results are built in pieces by their callers (ship.c) with
 * the pbuf_* functions, in the order the decoders below read. */

/* Decoders: 0, or -1 with a message in err (and nothing to free). */
int proto_get_hello(const uint8_t *p, size_t n, struct proto_hello *out,
                    char *err, size_t err_len);
int proto_get_task(const uint8_t *p, size_t n, struct proto_task *out,
                   char *err, size_t err_len);
void proto_free_task(struct proto_task *t);
int proto_get_result(const uint8_t *p, size_t n, struct proto_result *out,
                     char *err, size_t err_len);
void proto_free_result(struct proto_result *r);
int proto_get_error(const uint8_t *p, size_t n, struct proto_error *out,
                    char *err, size_t err_len);
int proto_get_heartbeat(const uint8_t *p, size_t n, uint64_t *value,
                        char *err, size_t err_len);

const char *proto_type_name(unsigned type);

#endif /* PYDRON_PROTO_H */
