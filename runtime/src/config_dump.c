/* config_dump.c - one configuration entry as one line of JSON.
 *
 * pydron-config shows each worker as the file would have to say it to mean
 * the same, every default filled in, so that "what did Pydron make of my
 * file" has a literal answer. Keys whose value is decided only at run time
 * (the host's core count, the login name) are null. Secrets are printed as
 * "***": a dump ends up in bug reports and terminal scrollback.
 *
 * jansson builds the line so that every string is escaped correctly; keys
 * keep the order of the schema (jansson keeps insertion order).
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "config.h"

static json_t *str_or_null(const char *s) {
  return s ? json_string(s) : json_null();
}

static json_t *secret(const char *s) { return s ? json_string("***") : json_null(); }

static json_t *int_or_null(int v) { return v ? json_integer(v) : json_null(); }

static json_t *list(const struct pydron_strlist *l, int masked) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < l->count; i++)
    json_array_append_new(a, json_string(masked ? "***" : l->items[i]));
  return a;
}

static const char *const isolation[] = {"thread", "process"};
static const char *const host_key_check[] = {"strict", "accept-new"};

static json_t *build(const struct pydron_worker_conf *w) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "type", json_string(pydron_worker_type_name(w->type)));
  switch (w->type) {
  case PYDRON_WORKER_MULTICORE:
    json_object_set_new(o, "cores", int_or_null(w->u.multicore.cores));
    json_object_set_new(o, "isolation",
                        json_string(isolation[w->u.multicore.isolation]));
    break;
  case PYDRON_WORKER_SSH: {
    const struct pydron_ssh_conf *s = &w->u.ssh;
    json_object_set_new(o, "hostname", str_or_null(s->hostname));
    json_object_set_new(o, "port", json_integer(s->port));
    json_object_set_new(o, "username", str_or_null(s->username));
    json_object_set_new(o, "password", secret(s->password));
    if (s->privatekeys.count == 1)
      json_object_set_new(o, "privatekey",
                          json_string(s->privatekeys.items[0]));
    else if (s->privatekeys.count > 1)
      json_object_set_new(o, "private_key_files", list(&s->privatekeys, 0));
    else
      json_object_set_new(o, "privatekey", json_null());
    if (s->private_keys.count)
      json_object_set_new(o, "private_keys", list(&s->private_keys, 1));
    json_object_set_new(o, "publickey", str_or_null(s->publickey));
    json_object_set_new(o, "passphrase", secret(s->passphrase));
    json_object_set_new(o, "tmp_dir", str_or_null(s->tmp_dir));
    json_object_set_new(o, "cores", int_or_null(s->cores));
    json_object_set_new(o, "host_key_check",
                        json_string(host_key_check[s->host_key_check]));
    json_object_set_new(o, "known_hosts", str_or_null(s->known_hosts));
    json_object_set_new(o, "keep_cache", json_boolean(s->keep_cache));
    break;
  }
  case PYDRON_WORKER_MPI:
    json_object_set_new(o, "cores", int_or_null(w->u.mpi.cores));
    break;
  case PYDRON_WORKER_CLOUD: {
    const struct pydron_cloud_conf *c = &w->u.cloud;
    json_object_set_new(o, "provider", str_or_null(c->provider));
    json_object_set_new(o, "region", str_or_null(c->region));
    json_object_set_new(o, "endpoint", str_or_null(c->endpoint));
    json_object_set_new(o, "accesskeyid", str_or_null(c->accesskeyid));
    json_object_set_new(o, "accesskey", secret(c->accesskey));
    json_object_set_new(o, "imageid", str_or_null(c->imageid));
    json_object_set_new(o, "sizeid", str_or_null(c->sizeid));
    json_object_set_new(o, "username", str_or_null(c->username));
    json_object_set_new(o, "publickey", str_or_null(c->publickey));
    json_object_set_new(o, "privatekey", str_or_null(c->privatekey));
    json_object_set_new(o, "security_group", str_or_null(c->security_group));
    json_object_set_new(o, "subnet", str_or_null(c->subnet));
    json_object_set_new(o, "public_ip", json_boolean(c->public_ip));
    json_object_set_new(o, "tmp_dir", str_or_null(c->tmp_dir));
    json_object_set_new(o, "count", json_integer(c->count));
    json_object_set_new(o, "cores", int_or_null(c->cores));
    json_object_set_new(o, "ttl_minutes", json_integer(c->ttl_minutes));
    break;
  }
  }
  return o;
}

void pydron_config_dump_faults(FILE *fp, const struct pydron_faults_conf *f) {
  static const char *const no_workers[] = {"threads", "fail"};
  json_t *o = json_object();
  if (o) {
    json_object_set_new(o, "lease_seconds", json_integer(f->lease_seconds));
    json_object_set_new(o, "chunk_retries", json_integer(f->chunk_retries));
    json_object_set_new(o, "worker_restarts",
                        json_integer(f->worker_restarts));
    json_object_set_new(o, "when_no_workers",
                        json_string(no_workers[f->when_no_workers]));
  }
  char *s = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
  fprintf(fp, "%s\n", s ? s : "(out of memory)");
  free(s);
  json_decref(o);
}

void pydron_config_dump_worker(FILE *fp, const struct pydron_worker_conf *w) {
  json_t *o = build(w);
  char *s = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
  fprintf(fp, "%s\n", s ? s : "(out of memory)");
  free(s);
  json_decref(o);
}
