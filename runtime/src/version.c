/* version.c - the runtime's version string, for tools and reports. */
#include "pydron_abi.h"

__attribute__((visibility("default"))) const char pydron_runtime_version[] =
    "pydron runtime 0.1.0 (ABI 3)";
