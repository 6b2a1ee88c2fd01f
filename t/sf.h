/* sf.h - a parser of RFC 8941 structured field Lists, for the tests that read the
 * RateLimit-Policy and RateLimit fields as a client would, never by string matching. */
#ifndef MH_T_SF_H
#define MH_T_SF_H

#include <stddef.h>

enum t_sf_type { T_SF_INTEGER, T_SF_DECIMAL, T_SF_STRING, T_SF_TOKEN, T_SF_BYTES, T_SF_BOOLEAN };

struct t_sf_bare {
	enum t_sf_type type;
	long long integer; /* T_SF_INTEGER, T_SF_BOOLEAN (0 or 1) */
	double decimal;
	char text[256]; /* T_SF_STRING (unescaped), T_SF_TOKEN, T_SF_BYTES (the base64) */
};

#define T_SF_MAX_PARAMS  8
#define T_SF_MAX_INNER   8
#define T_SF_MAX_MEMBERS 16

struct t_sf_param {
	char key[64];
	struct t_sf_bare value;
};

/* A list member: an Item, or an Inner List (inner_list set, its items in inner[]). */
struct t_sf_member {
	int inner_list;
	struct t_sf_bare item; /* an Item's bare item */
	struct t_sf_bare inner[T_SF_MAX_INNER];
	size_t ninner;
	struct t_sf_param params[T_SF_MAX_PARAMS];
	size_t nparams;
};

struct t_sf_list {
	struct t_sf_member members[T_SF_MAX_MEMBERS];
	size_t n;
};

/* Parses text as a List (RFC 8941 section 4.2.1). Returns 0, or -1 when the text is not a
 * valid List (or has more members or parameters than this parser keeps). */
int t_sf_parse_list(const char *text, struct t_sf_list *out);

/* The parameter key of m, or NULL. */
const struct t_sf_bare *t_sf_param(const struct t_sf_member *m, const char *key);

#endif
