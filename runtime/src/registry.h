/* registry.h - the modules and loops this process has registered. */
#ifndef PYDRON_REGISTRY_H
#define PYDRON_REGISTRY_H

#include <stddef.h>

#include "pydron_abi.h"

/* The loop with this id ("<module id>:<loop number>"), or NULL. When the
 * same module is linked twice (executable and shared library), the first
 * registered copy is returned. */
const struct pydron_loop *pydron_registry_find_loop(const char *loop_id);

/* Calls fn for every registered module, in registration order, with the
 * registry locked: fn must not register modules. */
void pydron_registry_foreach(void (*fn)(const struct pydron_module *module,
                                        void *arg),
                             void *arg);

/* Number of registered modules. */
size_t pydron_registry_count(void);

#endif /* PYDRON_REGISTRY_H */
