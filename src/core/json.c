/* json.c - request-body JSON parsing whose result the request arena frees. */
#include "core/json.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/query.h"
#include "core/utf8.h"

static void put_object(void *p)
{
	json_object_put(p);
}

struct json_object *mh_json_defer(struct mh_arena *a, struct json_object *obj)
{
	if (obj != NULL && mh_arena_defer(a, put_object, obj) < 0)
		return NULL;
	return obj;
}

/*
 * json-c's "strict" mode still accepts things RFC 8259 does not ('single'
 * keys, 00, 1., -.5, raw control characters in strings), so every body is
 * first checked by this recogniser, and json-c only builds the tree. It also
 * refuses what RFC 8259 leaves to the parser but an API must not guess at: a
 * member name given twice in one object (json-c keeps the last, another parser
 * on the path may keep the first) and a \u escape of a lone UTF-16 surrogate
 * (json-c stores U+FFFD).
 */

/* A member name, decoded when it had escapes; s is not NUL-terminated. */
struct key {
	const char *s;
	size_t len;
};

/* One step of the path to the current value: an object member or an array index. */
struct step {
	struct key key; /* key.s == NULL for an array element */
	size_t index;
};

struct scan {
	const unsigned char *s;
	size_t len, i;
	int depth;
	struct mh_arena *arena;
	int oom;          /* the arena ran out: the answer is not about the text */
	int lone;         /* a \u escape of a lone surrogate was seen */
	const char *dup;  /* path of the first member seen twice */
	struct key *keys; /* member names of the open objects, innermost last */
	size_t nkeys, capkeys;
	struct step path[MH_JSON_MAX_DEPTH];
};

static int scan_value(struct scan *c);

static void scan_ws(struct scan *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
				 c->s[c->i] == '\r'))
		c->i++;
}

static int scan_literal(struct scan *c, const char *word)
{
	size_t n = strlen(word);

	if (c->len - c->i < n || memcmp(c->s + c->i, word, n) != 0)
		return 0;
	c->i += n;
	return 1;
}

static int is_digit(struct scan *c)
{
	return c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9';
}

static int scan_digits(struct scan *c)
{
	size_t start = c->i;

	while (is_digit(c))
		c->i++;
	return c->i > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct scan *c)
{
	if (c->i < c->len && c->s[c->i] == '-')
		c->i++;
	if (c->i < c->len && c->s[c->i] == '0')
		c->i++;
	else if (!scan_digits(c))
		return 0;
	if (c->i < c->len && c->s[c->i] == '.') {
		c->i++;
		if (!scan_digits(c))
			return 0;
	}
	if (c->i < c->len && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
		c->i++;
		if (c->i < c->len && (c->s[c->i] == '+' || c->s[c->i] == '-'))
			c->i++;
		if (!scan_digits(c))
			return 0;
	}
	return 1;
}

/* The code unit of the four hex digits at s (already checked to be hex). */
static unsigned hex4(const unsigned char *s)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++)
		v = v * 16 + (unsigned)(isdigit(s[k]) ? s[k] - '0' : (tolower(s[k]) - 'a' + 10));
	return v;
}

/* At c->i: "XXXX" after a \u. Consumes it (and the low half after a high
 * surrogate); *cp is the code point. 0 when it is not hex; a lone surrogate is
 * recorded in c->lone (and decodes to U+FFFD) so that a syntax error later in
 * the text still takes precedence. */
static int scan_unicode_escape(struct scan *c, unsigned long *cp)
{
	unsigned u;

	for (size_t k = 0; k < 4; k++)
		if (c->i + k >= c->len || !isxdigit(c->s[c->i + k]))
			return 0;
	u = hex4(c->s + c->i);
	c->i += 4;
	if (u >= 0xDC00 && u <= 0xDFFF)
		goto lone;
	if (u >= 0xD800 && u <= 0xDBFF) {
		unsigned lo;

		if (c->len - c->i < 6 || c->s[c->i] != '\\' || c->s[c->i + 1] != 'u')
			goto lone;
		for (size_t k = 2; k < 6; k++)
			if (!isxdigit(c->s[c->i + k]))
				return 0;
		lo = hex4(c->s + c->i + 2);
		if (lo < 0xDC00 || lo > 0xDFFF)
			goto lone;
		c->i += 6;
		*cp = 0x10000 + (((unsigned long)u - 0xD800) << 10) + (lo - 0xDC00);
		return 1;
	}
	*cp = u;
	return 1;
lone:
	c->lone = 1;
	*cp = 0xFFFD;
	return 1;
}

/* At the opening quote. *has_escapes tells whether the raw text differs from the value. */
static int scan_string_raw(struct scan *c, int *has_escapes)
{
	*has_escapes = 0;
	c->i++; /* opening quote */
	while (c->i < c->len) {
		unsigned char ch = c->s[c->i++];
		unsigned long cp;

		if (ch == '"')
			return 1;
		if (ch < 0x20)
			return 0;
		if (ch != '\\')
			continue;
		*has_escapes = 1;
		if (c->i >= c->len)
			return 0;
		ch = c->s[c->i++];
		if (ch == 'u') {
			if (!scan_unicode_escape(c, &cp))
				return 0;
		} else if (!strchr("\"\\/bfnrt", ch) || ch == '\0') {
			return 0;
		}
	}
	return 0;
}

static int scan_string(struct scan *c)
{
	int has_escapes;

	return scan_string_raw(c, &has_escapes);
}

static void put_utf8(char *out, size_t *n, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xC0 | (cp >> 6));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xE0 | (cp >> 12));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		out[(*n)++] = (char)(0xF0 | (cp >> 18));
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

/* The value of the (already recognised) string whose quotes are at from-1 and to,
 * escapes decoded into the arena: never longer than its escaped text. */
static int decode_key(struct scan *c, size_t from, size_t to, struct key *k)
{
	static const char names[] = "bfnrt", values[] = "\b\f\n\r\t";
	const char *esc;
	struct scan sub = *c;
	char *out = mh_arena_alloc(c->arena, to - from + 1);
	size_t n = 0;

	if (out == NULL)
		return -1;
	for (sub.i = from; sub.i < to;) {
		unsigned char ch = c->s[sub.i++];
		unsigned long cp;

		if (ch != '\\') {
			out[n++] = (char)ch;
			continue;
		}
		ch = c->s[sub.i++];
		if (ch == 'u') {
			if (!scan_unicode_escape(&sub, &cp)) /* recognised before: cannot fail */
				return -1;
			put_utf8(out, &n, cp);
			continue;
		}
		esc = strchr(names, ch); /* \" \\ \/ stand for themselves */
		out[n++] = esc != NULL ? values[esc - names] : (char)ch;
	}
	k->s = out;
	k->len = n;
	return 0;
}

/* At the opening quote of a member name: recognises it, decodes it when it has escapes
 * and pushes it on c->keys. */
static int scan_key(struct scan *c, struct key *k)
{
	size_t from = c->i + 1;
	int has_escapes;

	if (!scan_string_raw(c, &has_escapes))
		return 0;
	k->s = (const char *)c->s + from;
	k->len = c->i - 1 - from;
	if (has_escapes && decode_key(c, from, c->i - 1, k) < 0)
		goto oom;
	if (c->nkeys == c->capkeys) {
		size_t cap = c->capkeys ? 2 * c->capkeys : 64;
		struct key *grown = mh_arena_alloc(c->arena, cap * sizeof(*grown));

		if (grown == NULL)
			goto oom;
		if (c->nkeys > 0)
			memcpy(grown, c->keys, c->nkeys * sizeof(*grown));
		c->keys = grown;
		c->capkeys = cap;
	}
	c->keys[c->nkeys++] = *k;
	return 1;
oom:
	c->oom = 1;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int r = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

/* "parameters.k", "items[2].name": the path to member k of the object at c->depth. */
static const char *path_of(struct scan *c, const struct key *k)
{
	struct mh_buf b;

	mh_buf_init(&b, c->arena, 64);
	for (int d = 0; d < c->depth - 1; d++) {
		if (c->path[d].key.s == NULL) {
			mh_buf_printf(&b, "[%zu]", c->path[d].index);
			continue;
		}
		if (d > 0)
			mh_buf_putc(&b, '.');
		mh_buf_append(&b, c->path[d].key.s, c->path[d].key.len);
	}
	if (c->depth > 1)
		mh_buf_putc(&b, '.');
	mh_buf_append(&b, k->s, k->len);
	return mh_buf_cstr(&b);
}

/* Records in c->dup the path of a member name given twice among c->keys[first..], the
 * names of the object being closed (the first such object only). Sorting keeps it
 * O(n log n) for an object with very many members. */
static void check_unique_keys(struct scan *c, size_t first)
{
	struct key *k = c->keys + first;
	size_t n = c->nkeys - first;

	if (n < 2 || c->dup != NULL)
		return;
	qsort(k, n, sizeof(*k), key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (key_cmp(&k[i - 1], &k[i]) == 0) {
			c->dup = path_of(c, &k[i]);
			c->oom |= c->dup == NULL;
			return;
		}
	}
}

static int scan_container(struct scan *c, char close, int is_object)
{
	size_t first_key = c->nkeys, index = 0;
	struct step *step;

	if (++c->depth >= MH_JSON_MAX_DEPTH)
		return 0;
	step = &c->path[c->depth - 1];
	c->i++;
	scan_ws(c);
	if (c->i < c->len && c->s[c->i] == (unsigned char)close) {
		c->i++;
		c->depth--;
		return 1;
	}
	for (;;) {
		if (is_object) {
			if (c->i >= c->len || c->s[c->i] != '"' || !scan_key(c, &step->key))
				return 0;
			scan_ws(c);
			if (c->i >= c->len || c->s[c->i] != ':')
				return 0;
			c->i++;
		} else {
			step->key.s = NULL;
			step->index = index++;
		}
		if (!scan_value(c))
			return 0;
		if (c->i < c->len && c->s[c->i] == ',') {
			c->i++;
			scan_ws(c);
			continue;
		}
		if (c->i < c->len && c->s[c->i] == (unsigned char)close) {
			c->i++;
			if (is_object)
				check_unique_keys(c, first_key);
			c->nkeys = first_key;
			c->depth--;
			return 1;
		}
		return 0;
	}
}

static int scan_value(struct scan *c)
{
	int ok;

	scan_ws(c);
	if (c->i >= c->len)
		return 0;
	switch (c->s[c->i]) {
	case '{': ok = scan_container(c, '}', 1); break;
	case '[': ok = scan_container(c, ']', 0); break;
	case '"': ok = scan_string(c); break;
	case 't': ok = scan_literal(c, "true"); break;
	case 'f': ok = scan_literal(c, "false"); break;
	case 'n': ok = scan_literal(c, "null"); break;
	default: ok = scan_number(c); break;
	}
	scan_ws(c);
	return ok;
}

/* 1 when s[0..len) is exactly one RFC 8259 JSON text nested less than MH_JSON_MAX_DEPTH;
 * c->lone and c->dup then tell whether it is one Menhir reads. */
static int strict_json(struct scan *c)
{
	return scan_value(c) && c->i == c->len && !c->oom;
}

struct json_object *mh_json_parse(struct mh_arena *a, const char *body, size_t len,
                                  const char **err, const char **field)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	struct mh_arena_defer *slot;
	struct scan c;

	*field = NULL;
	if (len == 0) {
		*err = "the request body is empty";
		return NULL;
	}
	/* json-c accepts some invalid UTF-8; reject it here so what reaches a
	 * handler (and PostgreSQL, which would refuse it) is always valid text. */
	if (!mh_utf8_valid(body, len)) {
		*err = "the request body is not valid UTF-8";
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.s = (const unsigned char *)body;
	c.len = len;
	c.arena = a;
	if (!strict_json(&c)) {
		*err = c.oom                          ? "out of memory"
		       : c.depth >= MH_JSON_MAX_DEPTH ? "the JSON body is nested too deeply"
		                                      : "the request body is not valid JSON";
		return NULL;
	}
	if (c.lone) {
		*err = "a string holds a \\u escape of a lone UTF-16 surrogate";
		return NULL;
	}
	if (c.dup != NULL) {
		*field = c.dup;
		*err = "a member is given more than once";
		return NULL;
	}
	/* The tree's cleanup slot before the tree. */
	slot = mh_arena_defer_reserve(a);
	tok = slot ? json_tokener_new_ex(MH_JSON_MAX_DEPTH) : NULL;
	if (tok == NULL) {
		*err = "out of memory";
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, body, (int)len);
	/* A bare top-level number needs to see the end of input to finish. */
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, "", 1);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_success && obj == NULL) {
		*err = "the request body must be a JSON object";
		return NULL;
	}
	if (jerr != json_tokener_success || obj == NULL) {
		/* The recogniser above accepted it: json-c disagreeing is a bug,
		 * but the client still gets a plain 400. */
		json_object_put(obj);
		*err = "the request body is not valid JSON";
		return NULL;
	}
	mh_arena_defer_set(slot, put_object, obj);
	return obj;
}

/* OWS: spaces and tabs. */
static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* RFC 9110 tchar. */
static int is_tchar(char ch)
{
	return ch != '\0' && (isalnum((unsigned char)ch) || strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

int mh_json_media_type_ok(const char *ct)
{
	static const char type[] = "application/json";
	const char *p;

	if (ct == NULL || strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return 0;
	p = skip_ows(ct + sizeof(type) - 1);
	/* *( OWS ";" OWS [ parameter ] ), parameter = token "=" ( token / quoted-string ) */
	while (*p == ';') {
		char value[32];
		size_t name_len, n = 0;
		const char *name = p = skip_ows(p + 1);
		int overflow = 0;

		if (*p == ';' || *p == '\0')
			continue;
		while (is_tchar(*p))
			p++;
		name_len = (size_t)(p - name);
		if (name_len == 0 || *p++ != '=')
			return 0;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\0')
					return 0;
				if (n + 1 < sizeof(value))
					value[n++] = *p;
				else
					overflow = 1;
			}
			p++;
		} else {
			for (; is_tchar(*p); p++) {
				if (n + 1 < sizeof(value))
					value[n++] = *p;
				else
					overflow = 1;
			}
			if (n == 0)
				return 0;
		}
		value[n] = '\0';
		/* JSON is UTF-8 (RFC 8259 section 8.1): any other charset is another media type. */
		if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    (overflow || strcasecmp(value, "utf-8") != 0))
			return 0;
		p = skip_ows(p);
	}
	return *p == '\0';
}
