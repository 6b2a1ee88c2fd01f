/* fuzz_json.c - libFuzzer target for request bodies: mh_json_parse against a reference
 * RFC 8259 recogniser (both ways) that also refuses duplicate member names and lone
 * surrogate escapes, the depth limit, and a serialise/re-parse round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/json.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mh_arena arena;

/* ---- the reference: a recursive-descent recogniser of RFC 8259 text ---- */

struct ref {
	const unsigned char *s;
	size_t len, i;
	int depth, max_depth;
	int dup;  /* some object has a member name twice (compared after unescaping) */
	int lone; /* some string has a \u escape of a lone surrogate */
};

/* A decoded member name. */
struct name {
	char *s;
	size_t len;
};

static int ref_value(struct ref *r);

static void ref_ws(struct ref *r)
{
	while (r->i < r->len &&
	       (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r'))
		r->i++;
}

static int ref_peek(struct ref *r)
{
	return r->i < r->len ? r->s[r->i] : -1;
}

static int ref_lit(struct ref *r, const char *w)
{
	size_t n = strlen(w);

	if (r->len - r->i < n || memcmp(r->s + r->i, w, n) != 0)
		return 0;
	r->i += n;
	return 1;
}

static int ref_digits(struct ref *r)
{
	size_t start = r->i;

	while (r->i < r->len && r->s[r->i] >= '0' && r->s[r->i] <= '9')
		r->i++;
	return r->i > start;
}

static int ref_number(struct ref *r)
{
	if (ref_peek(r) == '-')
		r->i++;
	if (ref_peek(r) == '0')
		r->i++;
	else if (ref_peek(r) >= '1' && ref_peek(r) <= '9')
		ref_digits(r);
	else
		return 0;
	if (ref_peek(r) == '.') {
		r->i++;
		if (!ref_digits(r))
			return 0;
	}
	if (ref_peek(r) == 'e' || ref_peek(r) == 'E') {
		r->i++;
		if (ref_peek(r) == '+' || ref_peek(r) == '-')
			r->i++;
		if (!ref_digits(r))
			return 0;
	}
	return 1;
}

static int ref_hex(int h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/* Four hex digits at r->i as a code unit, or -1. */
static long ref_unit(struct ref *r)
{
	long u = 0;

	if (r->len - r->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = ref_hex(r->s[r->i + k]);

		if (h < 0)
			return -1;
		u = u * 16 + h;
	}
	r->i += 4;
	return u;
}

/* Appends code point cp to out as UTF-8 (out may be NULL: nothing is kept). */
static void ref_put(struct name *out, unsigned long cp)
{
	unsigned char *b;

	if (out == NULL)
		return;
	b = (unsigned char *)out->s + out->len;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		out->len += 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 63));
		out->len += 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
		b[2] = (unsigned char)(0x80 | (cp & 63));
		out->len += 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
		b[3] = (unsigned char)(0x80 | (cp & 63));
		out->len += 4;
	}
}

/* A string; with out, its value too (out->s has room for the raw length). */
static int ref_string(struct ref *r, struct name *out)
{
	static const char escapes[] = "\"\\/bfnrt", values[] = "\"\\/\b\f\n\r\t";

	if (ref_peek(r) != '"')
		return 0;
	r->i++;
	for (;;) {
		int c = ref_peek(r);
		long u, lo;
		const char *esc;

		if (c < 0 || c < 0x20)
			return 0;
		r->i++;
		if (c == '"')
			return 1;
		if (c != '\\') {
			if (out != NULL)
				out->s[out->len++] = (char)c;
			continue;
		}
		c = ref_peek(r);
		r->i++;
		if (c > 0 && (esc = strchr(escapes, c)) != NULL) {
			ref_put(out, (unsigned char)values[esc - escapes]);
			continue;
		}
		if (c != 'u' || (u = ref_unit(r)) < 0)
			return 0;
		if (u >= 0xD800 && u <= 0xDBFF && ref_peek(r) == '\\' && r->i + 1 < r->len &&
		    r->s[r->i + 1] == 'u') {
			size_t back = r->i;

			r->i += 2;
			lo = ref_unit(r);
			if (lo < 0)
				return 0;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				ref_put(out, 0x10000 + (((unsigned long)u - 0xD800) << 10) +
				                     ((unsigned long)lo - 0xDC00));
				continue;
			}
			r->i = back;
		}
		if (u >= 0xD800 && u <= 0xDFFF)
			r->lone = 1;
		ref_put(out, (unsigned long)u);
	}
}

static int ref_container(struct ref *r, int close)
{
	struct name *names = NULL;
	size_t nnames = 0;
	int ok = 0;

	r->i++;
	if (++r->depth > r->max_depth)
		r->max_depth = r->depth;
	ref_ws(r);
	if (ref_peek(r) == close) {
		r->i++;
		r->depth--;
		return 1;
	}
	for (;;) {
		if (close == '}') {
			struct name n = {malloc(r->len - r->i + 1), 0};

			names = realloc(names, (nnames + 1) * sizeof(*names));
			FUZZ_CHECK(n.s != NULL && names != NULL, "out of memory");
			ref_ws(r);
			if (!ref_string(r, &n)) {
				free(n.s);
				goto out;
			}
			/* Quadratic on purpose: as unlike src/'s sort as can be. */
			for (size_t k = 0; k < nnames; k++)
				if (names[k].len == n.len && memcmp(names[k].s, n.s, n.len) == 0)
					r->dup = 1;
			names[nnames++] = n;
			ref_ws(r);
			if (ref_peek(r) != ':')
				goto out;
			r->i++;
		}
		if (!ref_value(r))
			goto out;
		if (ref_peek(r) == ',') {
			r->i++;
			continue;
		}
		if (ref_peek(r) != close)
			goto out;
		r->i++;
		r->depth--;
		ok = 1;
		goto out;
	}
out:
	for (size_t k = 0; k < nnames; k++)
		free(names[k].s);
	free(names);
	return ok;
}

static int ref_value(struct ref *r)
{
	int ok;

	ref_ws(r);
	switch (ref_peek(r)) {
	case '{': ok = ref_container(r, '}'); break;
	case '[': ok = ref_container(r, ']'); break;
	case '"': ok = ref_string(r, NULL); break;
	case 't': ok = ref_lit(r, "true"); break;
	case 'f': ok = ref_lit(r, "false"); break;
	case 'n': ok = ref_lit(r, "null"); break;
	default: ok = ref_number(r); break;
	}
	ref_ws(r);
	return ok;
}

/* 1 when s is one RFC 8259 JSON text; *depth is its deepest nesting, *dup and *lone say
 * whether it has a duplicate member name or a lone surrogate escape. */
static int ref_valid(const unsigned char *s, size_t len, int *depth, int *dup, int *lone)
{
	struct ref r = {s, len, 0, 0, 0, 0, 0};
	int ok = ref_value(&r) && r.i == len;

	*depth = r.max_depth;
	*dup = r.dup;
	*lone = r.lone;
	return ok;
}

/* ---- checks ---- */

static int is_bare_null(const uint8_t *s, size_t len)
{
	struct ref r = {s, len, 0, 0, 0, 0, 0};

	ref_ws(&r);
	return ref_lit(&r, "null") && (ref_ws(&r), r.i == len);
}

static int obj_depth(struct json_object *o)
{
	int d = 0;

	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			int k = obj_depth(json_object_array_get_idx(o, i));
			d = k > d ? k : d;
		}
		return d + 1;
	}
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val)
		{
			int k = obj_depth(val);
			(void)key;
			d = k > d ? k : d;
		}
		return d + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err = NULL, *err2 = NULL, *field = NULL, *field2 = NULL;
	struct json_object *obj, *again;
	int depth = 0, valid, utf8, dup = 0, lone = 0;
	const char *text;

	if (arena.first == NULL && mh_arena_init(&arena, 4096) < 0)
		abort();
	obj = mh_json_parse(&arena, (const char *)data, size, &err, &field);
	valid = ref_valid(data, size, &depth, &dup, &lone);
	utf8 = fuzz_utf8_check(data, size, 0) >= 0;

	if (obj == NULL) {
		FUZZ_CHECK(err != NULL && *err != '\0', "refused without a message");
		/* A named member is a duplicate the reference saw too, in valid JSON. */
		FUZZ_CHECK(field == NULL || (valid && dup && utf8), "named %s without a duplicate",
		           field);
		/* Valid, shallow, UTF-8 JSON without duplicates or lone surrogates gets
		 * through, except a bare null (no value at all). */
		FUZZ_CHECK(!valid || !utf8 || dup || lone || depth >= MH_JSON_MAX_DEPTH ||
		                   is_bare_null(data, size),
		           "valid JSON refused: %s", err);
		mh_arena_reset(&arena);
		return 0;
	}
	FUZZ_CHECK(valid, "accepted text that is not RFC 8259 JSON");
	FUZZ_CHECK(utf8, "accepted invalid UTF-8");
	FUZZ_CHECK(!dup, "accepted a member name given twice");
	FUZZ_CHECK(!lone, "accepted a lone surrogate escape");
	FUZZ_CHECK(obj_depth(obj) <= MH_JSON_MAX_DEPTH, "accepted nesting %d", obj_depth(obj));

	/* What a handler might echo back must parse again to the same value. */
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	FUZZ_CHECK(text != NULL, "could not serialise");
	again = mh_json_parse(&arena, text, strlen(text), &err2, &field2);
	FUZZ_CHECK(again != NULL, "serialised form %s does not parse: %s", text, err2);
	FUZZ_CHECK(json_object_equal(obj, again), "round trip changed the value: %s", text);
	mh_arena_reset(&arena);
	return 0;
}
