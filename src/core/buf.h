/* buf.h - growable byte buffer whose storage lives in a request arena. */
#ifndef MH_BUF_H
#define MH_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"

/*
 * Growth copies into a larger arena block and abandons the old one; the arena
 * reclaims it at reset. A failed growth sets `failed` and later appends do
 * nothing, so callers check once at the end instead of after every append.
 */
struct mh_buf {
	struct mh_arena *arena;
	char *data;
	size_t len;
	size_t cap;
	int failed;
};

void mh_buf_init(struct mh_buf *b, struct mh_arena *a, size_t initial);
void mh_buf_append(struct mh_buf *b, const void *data, size_t len);
void mh_buf_puts(struct mh_buf *b, const char *s);
void mh_buf_putc(struct mh_buf *b, char c);
void mh_buf_printf(struct mh_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. Invalid UTF-8 bytes are
 * replaced by U+FFFD so the output is always valid JSON. */
void mh_buf_json_string(struct mh_buf *b, const char *s, size_t len);
void mh_buf_json_cstr(struct mh_buf *b, const char *s);
/* Returns the NUL-terminated contents, or NULL if any growth failed. */
const char *mh_buf_cstr(struct mh_buf *b);

#endif
