/* cursor.h - keyset pagination: the opaque cursor a list hands out and takes back, and the
 * ?limit=&cursor= pair most lists read. */
#ifndef MH_CURSOR_H
#define MH_CURSOR_H

#include <stddef.h>

#include "core/arena.h"
#include "core/http.h"
#include "core/input.h"

/* base64url without padding, in the arena (NULL when out of memory). */
char *mh_base64url_encode(struct mh_arena *a, const void *data, size_t len);
/* The bytes of s (base64url, padding optional) NUL-terminated in the arena; *len their count.
 * NULL for anything else, and for data holding a NUL byte (never valid in a cursor). */
char *mh_base64url_decode(struct mh_arena *a, const char *s, size_t *len);

/*
 * A cursor is base64url("field|field|…"): a row's position (its sort key and id) and
 * whatever else the list must see again unchanged (its filters). Not signed: it only
 * positions a scan inside rows RLS already limits to the caller's tenant. What it must never
 * do is reach SQL malformed, hence the strict decoding: exactly n fields, no '|' inside one.
 */
const char *mh_cursor_encode(struct mh_arena *a, const char *const *fields, int n);
/* Fills fields[0..n) (in the arena); 0, or -1 when c is not a cursor of n fields. */
int mh_cursor_decode(struct mh_arena *a, const char *c, const char **fields, int n);

/* 1 when s is "YYYY-MM-DDTHH:MM:SS.ffffffZ", the timestamp shape list statements write. */
int mh_is_cursor_timestamp(const char *s);

/* The common page: newest first from the row (after_ts, after_id); NULLs on page one. */
struct mh_page {
	int limit;
	const char *after_ts;
	const char *after_id;
};

/* The ?limit= (1..max, default def) and ?cursor= a paginated list declares (core/input.h),
 * side by side in its query list; mh_page_read() takes the limit's index (the cursor's is
 * the next). */
/* clang-format off */
#define MH_PAGE_QUERY(def_, max_)                                                                  \
	{ "limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = (max_), .def = (def_),               \
	  .description = "How many items a page holds." },                                         \
	{ "cursor", MH_T_CURSOR, .max = 1024, .check = mh_page_cursor_check,                       \
	  .description = "`next_cursor` of the previous page." }
/* clang-format on */
/* NULL when s is a cursor mh_page_cursor() made, else the message. */
const char *mh_page_cursor_check(struct mh_arena *a, const char *s);
/* Fills page from the checked ?limit= (at index limit_index of the route's query list) and
 * ?cursor= (the next index). Returns 0, or -1 when the arena is exhausted. */
int mh_page_read(const struct mh_request *req, size_t limit_index, struct mh_page *page);
/* The cursor of the page after the row (ts, id). */
const char *mh_page_cursor(struct mh_arena *a, const char *ts, const char *id);

#endif
