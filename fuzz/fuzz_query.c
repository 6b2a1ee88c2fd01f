/* fuzz_query.c - libFuzzer target for query strings: mh_query_parse, mh_url_decode and
 * mh_utf8_valid against a reference decoder, plus an encode/parse round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/query.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mh_arena arena;

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The reference: decodes into out (size len + 1); -1 when the contract says 400
 * (bad escape, NUL, invalid UTF-8), else the decoded length. */
static long ref_decode(const unsigned char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3)
				return -1;
			if (hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
				return -1;
			out[o++] = (char)(hex(s[i + 1]) << 4 | hex(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i] == '+' ? ' ' : (char)s[i];
		}
	}
	out[o] = '\0';
	return fuzz_utf8_check((const unsigned char *)out, o, 0) < 0 ? -1 : (long)o;
}

static void check_decode(const uint8_t *data, size_t size)
{
	char *want = malloc(size + 1);
	long wlen = ref_decode(data, size, want);
	char *got = mh_url_decode(&arena, (const char *)data, size);

	if (wlen < 0) {
		FUZZ_CHECK(got == NULL, "mh_url_decode accepted what must be a 400: \"%s\"", got);
	} else {
		FUZZ_CHECK(got != NULL, "mh_url_decode refused a valid input");
		FUZZ_CHECK(strlen(got) == (size_t)wlen, "decoded length %zu, want %ld", strlen(got),
			   wlen);
		FUZZ_CHECK(memcmp(got, want, (size_t)wlen) == 0, "decoded bytes differ");
		FUZZ_CHECK(mh_utf8_valid(got, strlen(got)), "decoded output is not valid UTF-8");
	}
	free(want);
}

/* Percent-encodes everything but unreserved characters. */
static void encode(const char *s, char *out)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hx[*p >> 4];
			out[o++] = hx[*p & 15];
		}
	}
	out[o] = '\0';
}

static void check_parse(const uint8_t *data, size_t size)
{
	/* A query string reaches the parser as a C string: stop at the first NUL. */
	char *qs = strndup((const char *)data, size);
	size_t qlen = strlen(qs);
	struct mh_kv *kv = NULL, *kv2 = NULL;
	const char *err = NULL;
	int n = mh_query_parse(&arena, qs, &kv, &err);
	int want_n = 0, want_ok = 1;
	char *tmp = malloc(qlen + 1);
	char *re, *o;

	/* The reference split: '&'-separated, empty segments skipped, names non-empty. */
	for (size_t i = 0; i <= qlen && want_ok;) {
		size_t j = i;
		while (j < qlen && qs[j] != '&')
			j++;
		if (j > i) {
			const char *eq = memchr(qs + i, '=', j - i);
			size_t klen = eq ? (size_t)(eq - (qs + i)) : j - i;

			if (want_n == MH_QUERY_MAX_PARAMS || klen == 0 ||
			    ref_decode((const unsigned char *)qs + i, klen, tmp) < 0 ||
			    (eq && ref_decode((const unsigned char *)eq + 1, j - i - klen - 1, tmp) < 0))
				want_ok = 0;
			else
				want_n++;
		}
		i = j + 1;
	}
	free(tmp);
	if (!want_ok) {
		FUZZ_CHECK(n == -1, "mh_query_parse accepted an invalid query (%d pairs)", n);
		FUZZ_CHECK(err != NULL && *err != '\0', "no error message");
		free(qs);
		return;
	}
	FUZZ_CHECK(n == want_n, "mh_query_parse gave %d pairs, want %d (%s)", n, want_n,
		   n < 0 && err ? err : "");
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(kv[i].key != NULL && kv[i].value != NULL, "NULL pair %d", i);
		FUZZ_CHECK(kv[i].key[0] != '\0', "empty name in pair %d", i);
		FUZZ_CHECK(mh_utf8_valid(kv[i].key, strlen(kv[i].key)) &&
				   mh_utf8_valid(kv[i].value, strlen(kv[i].value)),
			   "pair %d is not valid UTF-8", i);
	}
	if (n == 0) {
		free(qs);
		return;
	}
	/* Round trip: encoding the pairs and parsing again gives the same pairs. */
	re = malloc(qlen * 3 + 2 * (size_t)n + 1);
	o = re;
	for (int i = 0; i < n; i++) {
		if (i > 0)
			*o++ = '&';
		encode(kv[i].key, o);
		o += strlen(o);
		*o++ = '=';
		encode(kv[i].value, o);
		o += strlen(o);
	}
	*o = '\0';
	FUZZ_CHECK(mh_query_parse(&arena, re, &kv2, &err) == n, "re-encoded query \"%s\" parses differently",
		   re);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(kv[i].key, kv2[i].key) == 0 && strcmp(kv[i].value, kv2[i].value) == 0,
			   "pair %d changed in the round trip", i);
	free(re);
	free(qs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (arena.first == NULL && mh_arena_init(&arena, 4096) < 0)
		abort();
	FUZZ_CHECK(!!mh_utf8_valid((const char *)data, size) ==
			   (fuzz_utf8_check(data, size, 0) >= 0),
		   "mh_utf8_valid disagrees with the reference (says %d)",
		   mh_utf8_valid((const char *)data, size));
	check_decode(data, size);
	check_parse(data, size);
	mh_arena_reset(&arena);
	return 0;
}
