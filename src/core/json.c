/* json.c - request-body JSON parsing whose result the request arena frees. */
#include "core/json.h"

#include <ctype.h>
#include <string.h>

#include "core/query.h"

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
 * first checked by this recogniser, and json-c only builds the tree.
 */
struct scan {
	const unsigned char *s;
	size_t len, i;
	int depth;
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

static int scan_string(struct scan *c)
{
	c->i++; /* opening quote */
	while (c->i < c->len) {
		unsigned char ch = c->s[c->i++];

		if (ch == '"')
			return 1;
		if (ch < 0x20)
			return 0;
		if (ch != '\\')
			continue;
		if (c->i >= c->len)
			return 0;
		ch = c->s[c->i++];
		if (ch == 'u') {
			for (int k = 0; k < 4; k++, c->i++)
				if (c->i >= c->len || !isxdigit(c->s[c->i]))
					return 0;
		} else if (!strchr("\"\\/bfnrt", ch) || ch == '\0') {
			return 0;
		}
	}
	return 0;
}

static int scan_container(struct scan *c, char close, int is_object)
{
	if (++c->depth >= MH_JSON_MAX_DEPTH)
		return 0;
	c->i++;
	scan_ws(c);
	if (c->i < c->len && c->s[c->i] == (unsigned char)close) {
		c->i++;
		c->depth--;
		return 1;
	}
	for (;;) {
		if (is_object) {
			if (c->i >= c->len || c->s[c->i] != '"' || !scan_string(c))
				return 0;
			scan_ws(c);
			if (c->i >= c->len || c->s[c->i] != ':')
				return 0;
			c->i++;
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

/* 1 when s[0..len) is exactly one RFC 8259 JSON text nested less than MH_JSON_MAX_DEPTH. */
static int strict_json(const char *s, size_t len, int *too_deep)
{
	struct scan c = { (const unsigned char *)s, len, 0, 0 };
	int ok = scan_value(&c) && c.i == len;

	*too_deep = c.depth >= MH_JSON_MAX_DEPTH;
	return ok;
}

struct json_object *mh_json_parse(struct mh_arena *a, const char *body, size_t len,
				  const char **err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	int too_deep = 0;

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
	if (!strict_json(body, len, &too_deep)) {
		*err = too_deep ? "the JSON body is nested too deeply"
				: "the request body is not valid JSON";
		return NULL;
	}
	tok = json_tokener_new_ex(MH_JSON_MAX_DEPTH);
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
	return mh_json_defer(a, obj);
}
