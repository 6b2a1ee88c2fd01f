/* json.h - request-body JSON parsing whose result the request arena frees. */
#ifndef MH_JSON_H
#define MH_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "core/arena.h"

#define MH_JSON_MAX_DEPTH 32

/*
 * Parses exactly one JSON value from body[0..len) (strict RFC 8259: no
 * trailing data, no comments, at most MH_JSON_MAX_DEPTH nesting). The object
 * is released at the next arena reset. Returns NULL with a client-facing
 * message in *err on failure.
 */
struct json_object *mh_json_parse(struct mh_arena *a, const char *body, size_t len,
				  const char **err);

/* Hands a json-c object to the arena (json_object_put at reset). */
struct json_object *mh_json_defer(struct mh_arena *a, struct json_object *obj);

#endif
