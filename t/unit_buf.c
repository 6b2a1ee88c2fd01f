/* unit_buf.c - the arena-backed buffer and its JSON string escaping. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/buf.h"

static struct mh_arena a;
static void setup(void) { mh_arena_init(&a, 256); }
static void teardown(void) { mh_arena_destroy(&a); }
TestSuite(buf, .init = setup, .fini = teardown);

Test(buf, grows_past_its_initial_size)
{
	struct mh_buf b;

	mh_buf_init(&b, &a, 8);
	for (int i = 0; i < 1000; i++)
		mh_buf_printf(&b, "%03d", i % 1000);
	cr_assert_eq(b.len, 3000);
	cr_assert_eq(strncmp(mh_buf_cstr(&b) + 2997, "999", 3), 0);
}

static const char *esc(const char *s, size_t n)
{
	struct mh_buf b;

	mh_buf_init(&b, &a, 16);
	mh_buf_json_string(&b, s, n);
	return mh_buf_cstr(&b);
}

Test(buf, json_escapes_quotes_controls_and_keeps_utf8)
{
	cr_assert_str_eq(esc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(esc("\n\t\x01", 3), "\"\\n\\t\\u0001\"");
	cr_assert_str_eq(esc("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
	cr_assert_str_eq(esc("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");
}

Test(buf, json_replaces_invalid_utf8)
{
	cr_assert_str_eq(esc("a\xff" "b", 3), "\"a\\ufffdb\"");
	/* Overlong encoding of '/' and a lone surrogate. */
	cr_assert_str_eq(esc("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	cr_assert_str_eq(esc("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	/* Truncated sequence at the end. */
	cr_assert_str_eq(esc("x\xe2\x82", 3), "\"x\\ufffd\\ufffd\"");
}

Test(buf, json_cstr_null_is_null)
{
	struct mh_buf b;

	mh_buf_init(&b, &a, 16);
	mh_buf_json_cstr(&b, NULL);
	cr_assert_str_eq(mh_buf_cstr(&b), "null");
}
