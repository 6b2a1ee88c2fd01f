/* utf8.h - UTF-8 well-formedness, shared by every parser that hands text on. */
#ifndef MH_UTF8_H
#define MH_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s (avail bytes left), or 0
 * when it is not one: overlong forms, surrogates and code points past
 * U+10FFFF are not well-formed. */
size_t mh_utf8_seq_len(const unsigned char *s, size_t avail);

/* 1 when s[0..len) is well-formed UTF-8 without NUL bytes. */
int mh_utf8_valid(const char *s, size_t len);

#endif
