/* fuzz_json_escape.c - libFuzzer target for mh_buf_json_string: whatever the bytes, the output
 * is one valid JSON string, and json-c reads back exactly the input (valid UTF-8, NULs
 * included) or the input with each invalid byte replaced by U+FFFD. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/buf.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mh_arena arena;

/* The reference: input with every byte that starts no well-formed sequence as U+FFFD. */
static size_t expected(const uint8_t *s, size_t len, unsigned char *out)
{
	size_t i = 0, o = 0, n;

	while (i < len) {
		n = fuzz_utf8_seq(s + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_buf b;
	struct json_tokener *tok;
	struct json_object *obj;
	const unsigned char *out;
	unsigned char *want;
	size_t wlen;

	if (arena.first == NULL && mh_arena_init(&arena, 4096) < 0)
		abort();
	/* A tiny initial buffer makes every append exercise growth. */
	mh_buf_init(&b, &arena, 1);
	mh_buf_json_string(&b, (const char *)data, size);
	out = (const unsigned char *)mh_buf_cstr(&b);
	FUZZ_CHECK(out != NULL, "buffer failed");
	FUZZ_CHECK(b.len >= 2 && out[0] == '"' && out[b.len - 1] == '"', "not quoted");
	FUZZ_CHECK(fuzz_utf8_check(out, b.len, 0) >= 0, "output is not valid UTF-8");
	for (size_t i = 0; i < b.len; i++)
		FUZZ_CHECK(out[i] >= 0x20, "raw control byte %#x at %zu",
			   out[i], i);

	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, (const char *)out, (int)b.len);
	FUZZ_CHECK(obj != NULL && json_tokener_get_error(tok) == json_tokener_success &&
			   json_tokener_get_parse_end(tok) == b.len &&
			   json_object_is_type(obj, json_type_string),
		   "json-c does not read one string from %s", out);
	json_tokener_free(tok);

	want = malloc(size * 3 + 1);
	wlen = expected(data, size, want);
	if (fuzz_utf8_check(data, size, 1) >= 0)
		FUZZ_CHECK(wlen == size, "reference changed valid input");
	FUZZ_CHECK((size_t)json_object_get_string_len(obj) == wlen &&
			   memcmp(json_object_get_string(obj), want, wlen) == 0,
		   "read back %d bytes, want %zu", json_object_get_string_len(obj), wlen);
	free(want);
	json_object_put(obj);
	mh_arena_reset(&arena);
	return 0;
}
