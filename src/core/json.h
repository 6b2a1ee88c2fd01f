/* json.h - request-body JSON parsing whose result the request arena frees. */
#ifndef MH_JSON_H
#define MH_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "core/arena.h"

#define MH_JSON_MAX_DEPTH 32

/*
 * Parses exactly one JSON value from body[0..len) (strict RFC 8259: UTF-8, no
 * trailing data, no comments, at most MH_JSON_MAX_DEPTH nesting), and refuses
 * what RFC 8259 leaves open: a member name given twice in one object (compared
 * after unescaping) and a \u escape of a lone UTF-16 surrogate. The object is
 * released at the next arena reset. Returns NULL with a client-facing message
 * in *err on failure; *field is then the path of a duplicated member ("title",
 * "parameters.k", "items[2].name"), NULL for any other failure.
 */
struct json_object *mh_json_parse(struct mh_arena *a, const char *body, size_t len,
                                  const char **err, const char **field);

/*
 * 1 when a Content-Type header names a JSON body Menhir reads: application/json
 * (case-insensitive) whose parameters, if any, are well-formed and whose
 * charset, if given, is UTF-8 (case-insensitive, optionally quoted). 0 for
 * anything else, including NULL: the caller answers 415.
 */
int mh_json_media_type_ok(const char *ct);

/* Hands a json-c object to the arena (json_object_put at reset) and returns it; NULL when
 * obj is NULL or the arena is out of memory, in which case obj has already been put
 * (mh_arena_defer releases what it cannot register): the caller never frees obj. */
struct json_object *mh_json_defer(struct mh_arena *a, struct json_object *obj);

#endif
