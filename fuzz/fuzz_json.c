/* fuzz_json.c - libFuzzer target for request bodies: mh_json_parse against a reference
 * RFC 8259 recogniser (both ways), the depth limit, and a serialise/re-parse round trip. */
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

static int ref_string(struct ref *r)
{
	if (ref_peek(r) != '"')
		return 0;
	r->i++;
	for (;;) {
		int c = ref_peek(r);

		if (c < 0 || c < 0x20)
			return 0;
		r->i++;
		if (c == '"')
			return 1;
		if (c != '\\')
			continue;
		c = ref_peek(r);
		r->i++;
		if (c >= 0 && strchr("\"\\/bfnrt", c) != NULL && c != 0)
			continue;
		if (c != 'u' || r->len - r->i < 4)
			return 0;
		for (int k = 0; k < 4; k++, r->i++) {
			int h = r->s[r->i];
			if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
				return 0;
		}
	}
}

static int ref_container(struct ref *r, int close)
{
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
			ref_ws(r);
			if (!ref_string(r))
				return 0;
			ref_ws(r);
			if (ref_peek(r) != ':')
				return 0;
			r->i++;
		}
		if (!ref_value(r))
			return 0;
		if (ref_peek(r) == ',') {
			r->i++;
			continue;
		}
		if (ref_peek(r) != close)
			return 0;
		r->i++;
		r->depth--;
		return 1;
	}
}

static int ref_value(struct ref *r)
{
	int ok;

	ref_ws(r);
	switch (ref_peek(r)) {
	case '{': ok = ref_container(r, '}'); break;
	case '[': ok = ref_container(r, ']'); break;
	case '"': ok = ref_string(r); break;
	case 't': ok = ref_lit(r, "true"); break;
	case 'f': ok = ref_lit(r, "false"); break;
	case 'n': ok = ref_lit(r, "null"); break;
	default: ok = ref_number(r); break;
	}
	ref_ws(r);
	return ok;
}

/* 1 when s is one RFC 8259 JSON text; *depth is its deepest nesting. */
static int ref_valid(const unsigned char *s, size_t len, int *depth)
{
	struct ref r = { s, len, 0, 0, 0 };
	int ok = ref_value(&r) && r.i == len;

	*depth = r.max_depth;
	return ok;
}

/* ---- checks ---- */

static int is_bare_null(const uint8_t *s, size_t len)
{
	struct ref r = { s, len, 0, 0, 0 };

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
	const char *err = NULL, *err2 = NULL;
	struct json_object *obj, *again;
	int depth = 0, valid, utf8;
	const char *text;

	if (arena.first == NULL && mh_arena_init(&arena, 4096) < 0)
		abort();
	obj = mh_json_parse(&arena, (const char *)data, size, &err);
	valid = ref_valid(data, size, &depth);
	utf8 = fuzz_utf8_check(data, size, 0) >= 0;

	if (obj == NULL) {
		FUZZ_CHECK(err != NULL && *err != '\0', "refused without a message");
		/* Valid, shallow, UTF-8 JSON gets through, except a bare null (no value at all). */
		FUZZ_CHECK(!valid || !utf8 || depth >= MH_JSON_MAX_DEPTH || is_bare_null(data, size),
			   "valid JSON refused: %s", err);
		mh_arena_reset(&arena);
		return 0;
	}
	FUZZ_CHECK(valid, "accepted text that is not RFC 8259 JSON");
	FUZZ_CHECK(utf8, "accepted invalid UTF-8");
	FUZZ_CHECK(obj_depth(obj) <= MH_JSON_MAX_DEPTH, "accepted nesting %d", obj_depth(obj));

	/* What a handler might echo back must parse again to the same value. */
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	FUZZ_CHECK(text != NULL, "could not serialise");
	again = mh_json_parse(&arena, text, strlen(text), &err2);
	FUZZ_CHECK(again != NULL, "serialised form %s does not parse: %s", text, err2);
	FUZZ_CHECK(json_object_equal(obj, again), "round trip changed the value: %s", text);
	mh_arena_reset(&arena);
	return 0;
}
