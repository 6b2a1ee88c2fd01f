/* unit_cursor.c - keyset cursors: round trips, and every malformed cursor refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "core/cursor.h"

static struct mh_arena a;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 4096), 0);
}

static void teardown(void)
{
	mh_arena_destroy(&a);
}

TestSuite(cursor, .init = setup, .fini = teardown);

Test(cursor, round_trip_keeps_every_field)
{
	const char *in[4] = { "2026-11-24T10:15:30.123456Z", "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b",
			      "queued", "" };
	const char *out[4];
	const char *c = mh_cursor_encode(&a, in, 4);

	cr_assert_not_null(c);
	/* base64url: no '+', '/' or padding that would need escaping in a query string */
	cr_assert_eq(strcspn(c, "+/="), strlen(c));
	cr_assert_eq(mh_cursor_decode(&a, c, out, 4), 0);
	for (int i = 0; i < 4; i++)
		cr_assert_str_eq(out[i], in[i]);
}

Test(cursor, wrong_field_count_is_refused)
{
	const char *in[2] = { "a", "b" }, *out[3];
	const char *c = mh_cursor_encode(&a, in, 2);

	cr_assert_eq(mh_cursor_decode(&a, c, out, 3), -1);
	cr_assert_eq(mh_cursor_decode(&a, c, out, 1), -1);
	cr_assert_eq(mh_cursor_decode(&a, c, out, 2), 0);
}

Test(cursor, malformed_text_is_refused)
{
	const char *out[2];
	/* "a|b" with a NUL inside: base64url of the bytes 61 00 7c 62 */
	static const char with_nul[] = "YQB8Yg";

	cr_assert_eq(mh_cursor_decode(&a, "", out, 2), -1);
	cr_assert_eq(mh_cursor_decode(&a, "not base64!", out, 2), -1);
	cr_assert_eq(mh_cursor_decode(&a, "YWJj+/", out, 2), -1); /* base64, not base64url */
	cr_assert_eq(mh_cursor_decode(&a, "Y", out, 2), -1);      /* impossible length */
	cr_assert_eq(mh_cursor_decode(&a, with_nul, out, 2), -1);
}

Test(cursor, base64url_round_trips_any_length)
{
	static const char data[] = "keyset?pages&more/than+one";
	for (size_t n = 1; n < sizeof(data); n++) {
		size_t len = 0;
		char *e = mh_base64url_encode(&a, data, n);
		char *d = mh_base64url_decode(&a, e, &len);
		cr_assert_not_null(d, "length %zu", n);
		cr_assert_eq(len, n);
		cr_assert_eq(memcmp(d, data, n), 0);
	}
}

Test(cursor, timestamps_have_one_shape)
{
	cr_assert(mh_is_cursor_timestamp("2026-11-24T10:15:30.123456Z"));
	cr_assert_not(mh_is_cursor_timestamp("2026-11-24T10:15:30Z"));
	cr_assert_not(mh_is_cursor_timestamp("2026-11-24T10:15:30.123456Z'"));
	cr_assert_not(mh_is_cursor_timestamp("2026-11-24 10:15:30.123456+00"));
}
