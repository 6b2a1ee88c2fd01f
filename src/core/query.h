/* query.h - application/x-www-form-urlencoded parsing into the request arena. */
#ifndef MH_QUERY_H
#define MH_QUERY_H

#include <stddef.h>

#include "core/arena.h"
#include "core/http.h"
#include "core/utf8.h"

#define MH_QUERY_MAX_PARAMS 64

/*
 * Decodes %XX and '+' in s[0..len) into the arena. Returns the decoded,
 * NUL-terminated string, or NULL for a malformed escape, an embedded NUL or
 * invalid UTF-8 (all 400s for the caller).
 */
char *mh_url_decode(struct mh_arena *a, const char *s, size_t len);

/*
 * Splits a query string into decoded pairs ("a=1&b" gives b = ""). Returns the
 * number of pairs, or -1 for a malformed one or more than MH_QUERY_MAX_PARAMS
 * (err then says which).
 */
int mh_query_parse(struct mh_arena *a, const char *qs, struct mh_kv **out, const char **err);


#endif
