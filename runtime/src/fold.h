/* fold.h - identities and combining of folded recurrences (partials). */
#ifndef PYDRON_FOLD_H
#define PYDRON_FOLD_H

#include <stddef.h>

#include "pydron_abi.h"

/* Checks loop->folds against the ABI: a known op for the type (SEL_* only
 * for floats; AND/OR/XOR/min/max only for integers), a known type, and the
 * slot inside partial_size. Returns 0, or -1 with a reason in why. */
int pydron_fold_validate(const struct pydron_loop *loop, char *why,
                         size_t why_len);

/* Fills the partial buffer: zero, then every fold slot's identity. */
void pydron_fold_identity(const struct pydron_loop *loop, void *partial);

/* acc = fold(acc, p) for every slot; p comes from the later chunk. */
void pydron_fold_combine(const struct pydron_loop *loop, void *acc,
                         const void *p);

#endif /* PYDRON_FOLD_H */
