/* pydron_abi.h - the one seam between the plugin and the runtime.
 *
 * The plugin turns every parallel loop into a chunk function and a constant
 * loop descriptor, emits one module descriptor per translation unit and a
 * constructor that calls pydron_register_module(). At the loop, generated
 * code calls pydron_parallel_for(); when that returns 0 the original
 * (sequential) loop runs instead.
 *
 * Everything here is laid out for C and mirrored by the plugin when it
 * builds the constants (pass/Outliner.cpp). Bump PYDRON_ABI_VERSION on any
 * change of layout or meaning.
 */
#ifndef PYDRON_ABI_H
#define PYDRON_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PYDRON_ABI_VERSION 4u

/* Runs iterations [lo, hi) of the normalized loop (0 .. trip_count-1).
 * `env` holds the loop invariants. `partial` is the chunk's own buffer of
 * loop->partial_size bytes: before the call the runtime fills every fold
 * slot with its identity; the chunk folds its iterations into it. */
typedef void (*pydron_chunk_fn)(int64_t lo, int64_t hi, const void *env,
                                void *partial);

/* Applies the in-order chain of iterations [lo, hi): the updates of values
 * carried from one iteration to the next that cannot be folded (a float
 * sum without reassoc, acc = acc * 0.9 + f(i)). `values` holds what the
 * chunk stored for each iteration (loop->value_size bytes per iteration,
 * iteration lo first); `state` holds the carried values (loop->state_size
 * bytes) and is updated in place. The runtime calls it on one thread, in
 * iteration order, each chunk exactly once. */
typedef void (*pydron_chain_fn)(int64_t lo, int64_t hi, const void *env,
                                const void *values, void *state);

/* A byte range [begin, end) of the master's address space. */
struct pydron_range {
  uintptr_t begin;
  uintptr_t end;
};

/* Fills out[0 .. loop->num_ranges-1] with the bytes iterations [lo, hi)
 * may read or write, one range per access of the loop (loop->range_kinds
 * says which): a superset of what the chunk touches. Runs on the master
 * only, with the master's env. */
typedef void (*pydron_footprint_fn)(int64_t lo, int64_t hi, const void *env,
                                    struct pydron_range *out);

/* How a folded recurrence combines two partials (acc, p), p coming from the
 * later chunk. Integer operations wrap. */
enum pydron_fold_op {
  PYDRON_FOLD_ADD = 1, /* acc + p  (integer wrap, or float with reassoc) */
  PYDRON_FOLD_MUL = 2, /* acc * p */
  PYDRON_FOLD_AND = 3,
  PYDRON_FOLD_OR = 4,
  PYDRON_FOLD_XOR = 5,
  PYDRON_FOLD_SMIN = 6,
  PYDRON_FOLD_SMAX = 7,
  PYDRON_FOLD_UMIN = 8,
  PYDRON_FOLD_UMAX = 9,
  /* Select-based float min/max, `m = t > m ? t : m`: acc = p OP acc ? p : acc
   * with an ordered comparison (false on NaN), so the first (GT, LT) or the
   * last (GE, LE) of equal values wins, exactly as in the sequential loop. */
  PYDRON_FOLD_SEL_GT = 10,
  PYDRON_FOLD_SEL_GE = 11,
  PYDRON_FOLD_SEL_LT = 12,
  PYDRON_FOLD_SEL_LE = 13,
  /* acc = p: the value computed in the loop's last iteration (a live-out
   * that is not a recurrence). Any type of the given size. */
  PYDRON_FOLD_LAST = 14,
};

enum pydron_fold_type {
  PYDRON_TYPE_I8 = 1,
  PYDRON_TYPE_I16 = 2,
  PYDRON_TYPE_I32 = 3,
  PYDRON_TYPE_I64 = 4,
  PYDRON_TYPE_F32 = 5,
  PYDRON_TYPE_F64 = 6,
};

/* One folded recurrence: its value lives at `offset` in the partial buffer
 * and, with the same offset, in the caller's result buffer. */
struct pydron_fold {
  uint16_t op;     /* enum pydron_fold_op */
  uint16_t type;   /* enum pydron_fold_type */
  uint32_t offset; /* bytes */
};

/* What a footprint range is. */
enum pydron_range_kind {
  PYDRON_RANGE_READ = 1,  /* only read by the chunk */
  PYDRON_RANGE_WRITE = 2, /* read and written: shipped in, changed bytes back */
  /* A mutable global of the program that a functional callee reads by its
   * symbol (not through env): a worker copies these bytes into its own
   * copy of that global, found at the same offset from the start of the
   * same loaded object (executable or shared library). */
  PYDRON_RANGE_IMAGE_READ = 3,
};

/* What an env slot holds, for shipping the env to another process. */
enum pydron_slot_kind {
  PYDRON_SLOT_VALUE = 1,   /* plain data: copied as is */
  PYDRON_SLOT_POINTER = 2, /* an address the chunk uses: rebased on workers
                              into the shipped copy of the range holding it */
  PYDRON_SLOT_MASTER = 3,  /* used only by the footprint function, on the
                              master */
};

struct pydron_env_slot {
  uint32_t offset; /* bytes into env */
  uint16_t size;   /* bytes */
  uint16_t kind;   /* enum pydron_slot_kind */
};

enum pydron_loop_flags {
  /* Footprints known for every access: may be shipped to remote workers. */
  PYDRON_LOOP_SHIPPABLE = 1u << 0,
  /* Has a float fold with reassoc: chunk boundaries must depend only on the
   * trip count (never on timing or worker count) and partials fold left to
   * right, so results repeat run to run. */
  PYDRON_LOOP_FIXED_CHUNKS = 1u << 1,
};

/* One parallel loop. Constant, emitted by the plugin. */
struct pydron_loop {
  uint32_t abi_version; /* PYDRON_ABI_VERSION */
  uint32_t flags;       /* enum pydron_loop_flags */
  const char *id;       /* "<module id>:<loop number>", same in every copy of
                           the same binary */
  const char *function; /* enclosing schedule function */
  const char *file;     /* source location of the loop */
  uint32_t line;
  uint32_t column;
  pydron_chunk_fn chunk;
  uint32_t env_size;     /* bytes of the env block */
  uint32_t partial_size; /* bytes of the partial buffer (0: no folds) */
  uint32_t num_folds;
  const struct pydron_fold *folds;
  pydron_footprint_fn footprint; /* NULL when local-only */
  uint32_t num_ranges;
  uint32_t reserved;
  uint64_t cost; /* static estimate of instructions per iteration */
  pydron_chain_fn chain; /* NULL: no in-order chain */
  uint32_t value_size;   /* bytes per iteration stored for the chain */
  uint32_t state_size;   /* bytes of chain state in `result` */
  const uint8_t *range_kinds;           /* num_ranges entries */
  uint32_t num_slots;                   /* entries of `slots` */
  uint32_t reserved2;
  const struct pydron_env_slot *slots;  /* every slot of env */
  /* num_ranges entries (or NULL): the env slot holding the pointer range r
   * is addressed through, or -1 (a global, or not known). A worker rebases
   * that pointer into the object holding its ranges; guessing it from the
   * pointer's value fails when arrays lie next to each other. (ABI 4) */
  const int16_t *range_slots;
};

/* The chunk's buffer (`partial`) holds the folds' partials (partial_size
 * bytes) and, from this offset on, value_size bytes per iteration of the
 * chunk for the chain. */
#define PYDRON_VALUES_OFFSET(loop) (((loop)->partial_size + 15u) & ~15u)
/* The caller's `result` holds the folds (partial_size bytes) and, from this
 * offset on, the chain state (state_size bytes). */
#define PYDRON_STATE_OFFSET(loop) ((loop)->partial_size)

/* Every parallel loop of one translation unit. */
struct pydron_module {
  uint32_t abi_version; /* PYDRON_ABI_VERSION */
  uint32_t num_loops;
  const char *id; /* module identity (source file name and hash) */
  const struct pydron_loop *const *loops;
};

/* Called by the constructor the plugin emits in every module that has a
 * parallel loop. Aborts with a message when abi_version does not match. */
void pydron_register_module(const struct pydron_module *module);

/* Why a loop with a descriptor ran sequentially (for PYDRON_REPORT). */
enum pydron_sequential_reason {
  PYDRON_SEQ_CHECK_FAILED = 1, /* a run-time overlap check failed */
};

/* Called by generated code when it takes the sequential path before asking
 * the runtime (reason: enum pydron_sequential_reason). */
void pydron_loop_sequential(const struct pydron_loop *loop, int64_t trip_count,
                            uint32_t reason);

/* Runs iterations 0 .. trip_count-1 of `loop` in parallel chunks.
 * `result` (loop->partial_size + loop->state_size bytes) holds the incoming
 * value of every fold and chain state on entry and the final values on
 * return. Returns 1 when the loop ran,
 * 0 when the caller must run the sequential loop itself (runtime disabled,
 * loop too small, called from inside a chunk, ...); `result` is then
 * untouched. */
int pydron_parallel_for(const struct pydron_loop *loop, int64_t trip_count,
                        const void *env, void *result);

#ifdef __cplusplus
}
#endif

#endif /* PYDRON_ABI_H */
