/* schema.h - internals shared by the configuration files (config*.c,
 * schema.c): the JSON schema of pydron.conf and the helpers its error
 * messages need. The public side of all this is config.h.
 */
#ifndef PYDRON_SCHEMA_H
#define PYDRON_SCHEMA_H

#include <stddef.h>

#include "config.h"

/* One step of a JSON path: a member name, or (key == NULL) an array index.
 * workers[1].cores is {"workers"}, {NULL, 1}, {"cores"}. */
struct pydron_json_seg {
  const char *key;
  size_t index;
};

/* Parses `text` (the whole file, `len` bytes, named `file` in messages) and
 * fills out->workers. Syntax errors carry jansson's line and column, schema
 * errors the JSON path and, found by pydron_json_locate, the line and column
 * of the value. When the file holds a secret, `secret_at` (cap bytes)
 * receives the JSON path of the first one; otherwise it is "". */
int pydron_schema_parse(const char *file, const char *text, size_t len,
                        struct pydron_config *out,
                        struct pydron_config_error *err, char *secret_at,
                        size_t secret_cap);

/* Finds the value at `segs` (or, with at_key, the member name that leads to
 * it) in JSON text that jansson has already accepted. jansson keeps no
 * positions for values, so this re-scans the text. Returns 0 and 1-based
 * line and column (in characters, like jansson's), or -1. */
int pydron_json_locate(const char *text, size_t len,
                       const struct pydron_json_seg *segs, int nsegs,
                       int at_key, int *line, int *column);

/* Formats err->text (printf style) and sets err->kind; line/column 0. */
void pydron_config_set_error(struct pydron_config_error *err,
                             enum pydron_config_error_kind kind,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Frees a string that may hold a secret, clearing it first. */
void pydron_config_free_secret(char *s);

#endif /* PYDRON_SCHEMA_H */
