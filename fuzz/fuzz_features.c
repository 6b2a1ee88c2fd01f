/* fuzz_features.c - libFuzzer target for the processing features (src/modules/processing):
 * whatever the bytes, every feature fails with invalid_utf8 exactly when the body is not
 * well-formed UTF-8 (the reference validator in fuzz_util.h decides), and otherwise returns
 * one JSON object, the same bytes on a second run, with figures that agree with the input:
 * stats counts the input's code points and bytes; keywords lists at most k terms, most
 * frequent first; summary's sentences are pieces of the input in order; redact's copy is
 * valid UTF-8 and holds exactly one more [email] / [phone] / [card] per counted redaction. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_util.h"
#include "modules/processing/features.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mh_arena arena;

static json_object *parse(const struct feature_result *out)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, out->json.data, (int)out->json.len);
	FUZZ_CHECK(o != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	                   json_tokener_get_parse_end(tok) == out->json.len &&
	                   json_object_is_type(o, json_type_object),
	           "not one JSON object: %.*s", (int)out->json.len, out->json.data);
	json_tokener_free(tok);
	return o;
}

static int64_t member(json_object *o, const char *key)
{
	json_object *v;

	FUZZ_CHECK(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_int64(v);
}

static size_t occurrences(const char *s, size_t len, const char *token)
{
	size_t n = 0, t = strlen(token);

	for (size_t i = 0; i + t <= len; i++)
		if (memcmp(s + i, token, t) == 0)
			n++;
	return n;
}

static void check_stats(json_object *o, const uint8_t *data, size_t size, long cps)
{
	FUZZ_CHECK(member(o, "bytes") == (int64_t)size, "bytes");
	FUZZ_CHECK(member(o, "characters") == cps, "characters %lld, want %ld",
	           (long long)member(o, "characters"), cps);
	FUZZ_CHECK(member(o, "characters_no_spaces") <= cps, "visible characters");
	FUZZ_CHECK(member(o, "words") <= cps && member(o, "sentences") <= member(o, "words"),
	           "more words than characters or sentences than words");
	FUZZ_CHECK(member(o, "paragraphs") <= member(o, "characters_no_spaces"), "paragraphs");
	(void)data;
}

static void check_keywords(json_object *o, int k)
{
	json_object *list;
	int64_t last = INT64_MAX;

	FUZZ_CHECK(json_object_object_get_ex(o, "keywords", &list), "no keywords");
	FUZZ_CHECK(json_object_array_length(list) <= (size_t)k, "more than k");
	FUZZ_CHECK(json_object_array_length(list) <= (size_t)member(o, "distinct_terms"), "count");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		int64_t c = member(json_object_array_get_idx(list, i), "count");

		FUZZ_CHECK(c >= 1 && c <= last, "counts not descending");
		last = c;
	}
}

static void check_summary(json_object *o, const uint8_t *data, size_t size, int n)
{
	json_object *list;
	int64_t last = -1;

	FUZZ_CHECK(json_object_object_get_ex(o, "sentences", &list), "no sentences");
	FUZZ_CHECK(json_object_array_length(list) <= (size_t)n, "more than asked");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *s = json_object_array_get_idx(list, i), *text;
		int64_t index = member(s, "index");

		FUZZ_CHECK(index > last && index < member(o, "total_sentences"), "order");
		last = index;
		FUZZ_CHECK(json_object_object_get_ex(s, "text", &text), "no text");
		FUZZ_CHECK(memmem(data, size, json_object_get_string(text),
		                  (size_t)json_object_get_string_len(text)) != NULL,
		           "a sentence that is not in the input");
	}
}

static void check_redact(json_object *o, const struct feature_result *out, const uint8_t *data,
                         size_t size)
{
	static const char *const kinds[] = {"email", "phone", "card"};
	json_object *counts;
	int64_t total = 0;

	FUZZ_CHECK(out->body != NULL && strlen(out->body) == out->body_len, "no NUL-free body");
	FUZZ_CHECK(fuzz_utf8_check((const unsigned char *)out->body, out->body_len, 1) >= 0,
	           "the copy is not UTF-8");
	FUZZ_CHECK(json_object_object_get_ex(o, "counts", &counts), "no counts");
	for (size_t i = 0; i < 3; i++) {
		char token[16];
		int64_t c = member(counts, kinds[i]);

		snprintf(token, sizeof(token), "[%s]", kinds[i]);
		FUZZ_CHECK(occurrences(out->body, out->body_len, token) ==
		                   occurrences((const char *)data, size, token) + (size_t)c,
		           "%s: masks and count disagree", kinds[i]);
		total += c;
	}
	FUZZ_CHECK(member(o, "redactions") == total, "total");
	FUZZ_CHECK(out->changed == (out->body_len != size || memcmp(out->body, data, size) != 0),
	           "changed");
	FUZZ_CHECK(total > 0 || !out->changed, "changed without a redaction");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feature_params p = {0};
	long cps;

	if (arena.first == NULL && mh_arena_init(&arena, 64 * 1024) < 0)
		abort();
	/* NUL cannot reach a feature (PostgreSQL text has none): inputs with one get the
	 * verdict and determinism checks, not the ones that read the output as C strings. */
	cps = fuzz_utf8_check(data, size, 1);
	p.k = size > 0 ? 1 + data[0] % 50 : 10;
	p.sentences = size > 0 ? 1 + data[0] % 20 : 3;
	p.canonical = "{}";
	for (size_t f = 0; f < processing_nfeatures; f++) {
		const struct processing_feature *feature = processing_features[f];
		struct feature_result one, two;
		int rc =
		        processing_feature_run(feature, (const char *)data, size, &p, &arena, &one);
		json_object *o;

		if (cps < 0) {
			FUZZ_CHECK(rc < 0 && strcmp(one.error_code, "invalid_utf8") == 0,
			           "%s accepted invalid UTF-8", feature->name);
			continue;
		}
		FUZZ_CHECK(rc == 0, "%s failed on valid UTF-8: %s", feature->name, one.error_code);
		FUZZ_CHECK(processing_feature_run(feature, (const char *)data, size, &p, &arena,
		                                  &two) == 0 &&
		                   one.json.len == two.json.len &&
		                   memcmp(one.json.data, two.json.data, one.json.len) == 0,
		           "%s is not deterministic", feature->name);
		if (memchr(data, 0, size) != NULL)
			continue;
		o = parse(&one);
		if (strcmp(feature->name, "stats") == 0)
			check_stats(o, data, size, cps);
		else if (strcmp(feature->name, "keywords") == 0)
			check_keywords(o, p.k);
		else if (strcmp(feature->name, "summary") == 0)
			check_summary(o, data, size, p.sentences);
		else if (strcmp(feature->name, "redact") == 0)
			check_redact(o, &one, data, size);
		json_object_put(o);
	}
	mh_arena_reset(&arena);
	return 0;
}
