/* validate.h - the generic rules for input values (UUIDs, e-mail addresses, slugs, text
 * lengths, enums, integers, booleans, timestamps, https URLs): one definition each, used by
 * the declared-input checker (core/input.c) and by anything else that takes such a value. */
#ifndef MH_VALIDATE_H
#define MH_VALIDATE_H

#include <stddef.h>

#include "core/arena.h"

/*
 * Each mh_check_* returns NULL when s is acceptable, else the message a client reads next to
 * the field ("must be a UUID"). Messages that name a bound are formatted into a (the request
 * arena) and only on failure; with a == NULL, or when the arena is exhausted, a message
 * without the bound is returned instead. s is a NUL-terminated string; NULL is never valid.
 */

/* 1 when s is a canonical UUID: 8-4-4-4-12 hex digits, either case. */
int mh_is_uuid(const char *s);
const char *mh_check_uuid(const char *s);

/* An e-mail address, by the project's one rule (core/email.h: RFC 5321 dot-atom local part of
 * at most 64 octets, a domain of at least two labels, ASCII only, at most 254 octets). */
const char *mh_check_email(const char *s);

/* A slug: 1 to 63 of a-z, 0-9 and dashes, no dash first or last. */
const char *mh_check_slug(const char *s);

/* Text: between min and max characters (UTF-8 code points; max 0: no upper bound) and no
 * control characters (C0, DEL, C1). The caller has checked that s is UTF-8. */
const char *mh_check_text(struct mh_arena *a, const char *s, size_t min, size_t max);
/* The characters (code points) in s, or -1 when s holds a control character. */
long mh_text_length(const char *s);

/* One of values (NULL-terminated); *index is set to its position when it is. */
const char *mh_check_enum(struct mh_arena *a, const char *s, const char *const *values,
                          size_t *index);

/* A decimal integer (an optional '-', digits, nothing else) in [min, max]; *out set when it
 * is. */
const char *mh_check_integer(struct mh_arena *a, const char *s, long long min, long long max,
                             long long *out);

/* "true" or "false" and nothing else: a typo must not quietly mean false. */
const char *mh_check_boolean(const char *s, int *out);

/* An RFC 3339 date-time with a time zone ("2024-05-01T10:00:00Z",
 * "2024-05-01T12:00:00.5+02:00"), with real calendar dates. */
const char *mh_check_timestamp(const char *s);

/* An absolute https URL of at most max characters: visible ASCII only, a host, an optional
 * port, no user name or password, no fragment. Only the shape: where it may point is the
 * caller's business. */
const char *mh_check_https_url(struct mh_arena *a, const char *s, size_t max);

/* A lower-case copy of s (ASCII letters only) in a; s itself when it has no upper-case
 * letter. NULL when the arena is exhausted. */
const char *mh_lower(struct mh_arena *a, const char *s);

#endif
